// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISessionManager} from "../../contracts/interfaces/ISessionManager.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    NodeStatus,
    Offer,
    Outcome,
    Role,
    SessionConfig,
    TaskStatus,
    ValidationMode
} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice H-1 Forced assignment: an attacker opens a session, puts honest miners on it and expires them, hoping to
/// slash and jail them for free or to get their work for nothing.
contract ForcedAssignmentAttack is AttackBase {
    address internal victim;
    uint32 internal victimId;

    function setUp() public override {
        super.setUp();
        // An honest miner that only works for at least 2 × PRICE per token, in Router mode, 2 tasks at once.
        (victim, victimId) = _sybil("victim", Role.Miner, Offer({minPrice: 2 * PRICE, capacity: 2, modes: 1}));
    }

    function test_attack_forcedAssignment_priceZeroSessionReverts() public {
        SessionConfig memory c = _config(1, ValidationMode.None, AssignmentMode.Router);
        c.pricePerToken = 0;
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.PriceBelowFloor.selector, 0, params.minPricePerToken));
        network.createSession(c, 0);
    }

    function test_attack_forcedAssignment_belowOfferReverts() public {
        // PRICE is above the floor but below the victim's offer.
        uint32 sessionId = _openAs(attacker, _config(1, ValidationMode.None, AssignmentMode.Router), 1_000 ether);
        uint256 taskId = _submitAs(attacker, sessionId);
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, victimId));
        network.assignTask(taskId, _ids(victimId));
    }

    function test_attack_forcedAssignment_modeNotOfferedReverts() public {
        // The victim does not accept Dedicated work: a Dedicated session naming it cannot submit.
        SessionConfig memory c = _config(1, ValidationMode.None, AssignmentMode.Dedicated);
        c.pricePerToken = 2 * PRICE;
        c.dedicatedMiners = _ids(victimId);
        uint32 sessionId = _openAs(attacker, c, 1_000 ether);
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotEnoughMiners.selector, 0, 1));
        network.submitTask(sessionId, keccak256("p"), "bafkreip", MAX_TOKENS);
    }

    function test_attack_forcedAssignment_expiryCostsNoStakeAndNoJail() public {
        SessionConfig memory c = _config(1, ValidationMode.None, AssignmentMode.Router);
        c.pricePerToken = 2 * PRICE;
        c.retryLimit = params.maxRetryLimit;
        uint32 sessionId = _openAs(attacker, c, 1_000 ether);
        uint256 attackerBefore = token.balanceOf(attacker);
        uint96 stake = _stake(victimId);
        for (uint256 round; round < 20; ++round) {
            uint256 taskId = _submitAs(attacker, sessionId);
            _assignAs(attacker, taskId, _ids(victimId));
            vm.warp(block.timestamp + c.precommitWindow + 1);
            network.expire(taskId, 0);
            // The attacker cannot put the same miner back on the task it timed out on.
            vm.prank(attacker);
            vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyTimedOut.selector, taskId, victimId));
            network.assignTask(taskId, _ids(victimId));
        }
        assertEq(_stake(victimId), stake, "an assignment never committed to costs no stake");
        assertEq(uint8(network.getNode(victimId).status), uint8(NodeStatus.Active), "never jailed");
        assertEq(network.getNode(victimId).open, 0, "every assignment released");
        // Not even gas-free for the attacker: escrow is locked while tasks run (here refunded, nothing gained).
        assertEq(token.balanceOf(attacker), attackerBefore);
    }

    function test_attack_forcedAssignment_victimThatWorksIsPaidAtLeastItsOffer() public {
        SessionConfig memory c = _config(1, ValidationMode.None, AssignmentMode.Router);
        c.pricePerToken = 2 * PRICE;
        uint32 sessionId = _openAs(attacker, c, 1_000 ether);
        uint256 taskId = _submitAs(attacker, sessionId);
        _assignAs(attacker, taskId, _ids(victimId));
        bytes32[] memory h = new bytes32[](1);
        h[0] = keccak256("honest");
        _play(taskId, h, 40);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        uint256 expected = uint256(40) * 2 * PRICE * (10_000 - params.protocolFeeBps) / 10_000;
        assertEq(_rewards(victimId), expected, "paid at the offered price less the protocol fee");
    }

    function test_attack_forcedAssignment_capacityBoundsOpenWork() public {
        SessionConfig memory c = _config(1, ValidationMode.None, AssignmentMode.Router);
        c.pricePerToken = 2 * PRICE;
        uint32 sessionId = _openAs(attacker, c, 1_000 ether);
        _assignAs(attacker, _submitAs(attacker, sessionId), _ids(victimId));
        _assignAs(attacker, _submitAs(attacker, sessionId), _ids(victimId));
        uint256 third = _submitAs(attacker, sessionId);
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, victimId));
        network.assignTask(third, _ids(victimId));
    }
}
