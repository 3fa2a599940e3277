// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    AssignmentMode,
    Node,
    NodeStatus,
    Offer,
    Role,
    SessionConfig,
    TaskStatus,
    ValidationMode
} from "../../contracts/types/Types.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Shared moves of the attack tests: an attacker that owns several accounts (a session owner, sybil miners,
/// a validator, a router) plays against honest nodes registered by BaseTest.
abstract contract AttackBase is BaseTest {
    address internal attacker = makeAddr("attacker");

    /// @dev Registers a fresh account of the attacker as a node with `offer`.
    function _sybil(string memory name, Role role, Offer memory offer) internal returns (address account, uint32 id) {
        account = makeAddr(name);
        _fund(account, 10_000 ether);
        bytes32[] memory models = new bytes32[](role == Role.Miner ? 1 : 0);
        if (role == Role.Miner) models[0] = MODEL;
        vm.prank(account);
        id = network.register(role, STAKE, models, bytes32(0), "http://attacker", offer);
    }

    /// @dev Opens a session owned by `who` with `cfg` and `amount`, funding `who` first.
    function _openAs(address who, SessionConfig memory cfg, uint112 amount) internal returns (uint32 sessionId) {
        _fund(who, uint256(amount) + 1 ether);
        vm.prank(who);
        sessionId = network.createSession(cfg, amount);
    }

    function _submitAs(address who, uint32 sessionId) internal returns (uint256 taskId) {
        vm.prank(who);
        taskId = network.submitTask(sessionId, keccak256("prompt"), "bafkreiprompt", MAX_TOKENS);
    }

    function _assignAs(address who, uint256 taskId, uint32[] memory ids) internal {
        vm.prank(who);
        network.assignTask(taskId, ids);
    }

    /// @dev Commits then (next block) reveals `h` with `tokens` in every slot.
    function _play(uint256 taskId, bytes32[] memory hashes, uint32 tokens) internal {
        for (uint8 i; i < hashes.length; ++i) {
            _commit(taskId, i, hashes[i], tokens);
        }
        vm.roll(block.number + 1);
        for (uint8 i; i < hashes.length; ++i) {
            _reveal(taskId, i, hashes[i], tokens);
        }
    }

    function _ids2(uint32 a, uint32 b) internal pure returns (uint32[] memory ids) {
        ids = new uint32[](2);
        (ids[0], ids[1]) = (a, b);
    }

    function _ids3(uint32 a, uint32 b, uint32 c) internal pure returns (uint32[] memory ids) {
        ids = new uint32[](3);
        (ids[0], ids[1], ids[2]) = (a, b, c);
    }

    function _stake(uint32 id) internal view returns (uint96) {
        return network.getNode(id).stake;
    }

    function _rewards(uint32 id) internal view returns (uint96) {
        return network.getNode(id).rewards;
    }

    /// @dev A validated-mode config that satisfies a public-chain quorum of 3.
    function _validated(uint8 r, ValidationMode mode, AssignmentMode assignment)
        internal
        view
        returns (SessionConfig memory c)
    {
        c = _config(r, mode, assignment);
        c.quorum = 3;
    }
}
