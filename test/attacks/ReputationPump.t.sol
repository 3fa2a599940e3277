// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {AssignmentMode, Offer, Role, SessionConfig, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice M-1 Reputation pump: self-dealing tasks (the attacker's session, the attacker's miner) used to raise a
/// fresh node to score 10000 at 0 COR. Reputation now moves by a step weighted by the protocol fee each result
/// pays, and every settled task pays that fee.
contract ReputationPumpAttack is AttackBase {
    address internal sybil;
    uint32 internal sybilId;

    function setUp() public override {
        super.setUp();
        (sybil, sybilId) = _sybil("sybil", Role.Miner, Offer({minPrice: 0, capacity: 10, modes: 7}));
    }

    /// @dev One self-dealing task: owner-assigned (no router fee), R=1, fast path. Returns the COR that left the
    /// attacker (what its session paid minus what its miner earned).
    function _selfDeal(uint32 sessionId, uint32 tokens) internal returns (uint256 cost) {
        uint256 rewardsBefore = _rewards(sybilId);
        uint256 paidBefore = network.getSession(sessionId).deposit;
        uint256 taskId = _submitAs(attacker, sessionId);
        _assignAs(attacker, taskId, _ids(sybilId));
        bytes32[] memory h = new bytes32[](1);
        h[0] = keccak256(abi.encode("fluff", taskId));
        _play(taskId, h, tokens);
        cost = (paidBefore - network.getSession(sessionId).deposit) - (_rewards(sybilId) - rewardsBefore);
    }

    function test_attack_reputationPump_costsAtLeastMinStake() public {
        // The attacker picks the cheapest route: the price that buys a full step per task.
        SessionConfig memory c = _config(1, ValidationMode.None, AssignmentMode.Router);
        c.routerId = 0;
        uint256 feePerToken = PRICE * params.protocolFeeBps / 10_000;
        c.pricePerToken = uint96(params.reputationFeeUnit / (feePerToken * MAX_TOKENS) * PRICE + PRICE);
        uint32 sessionId = _openAs(attacker, c, 20_000 ether);
        uint256 cost;
        uint256 tasks;
        while (network.getNode(sybilId).score < 9_000) {
            cost += _selfDeal(sessionId, MAX_TOKENS);
            ++tasks;
            require(tasks < 200, "pump did not converge");
        }
        console.log("tasks to raise a fresh miner from 5000 to 9000:", tasks);
        console.log("COR burnt in protocol fees (wei):", cost);
        console.log("minimum miner stake (wei):", uint256(params.minStakeMiner));
        assertGe(cost, params.minStakeMiner, "reputation costs at least the minimum stake");
    }

    function test_attack_reputationPump_tinyTasksEarnNothing() public {
        SessionConfig memory c = _config(1, ValidationMode.None, AssignmentMode.Router);
        c.routerId = 0;
        c.pricePerToken = params.minPricePerToken;
        uint32 sessionId = _openAs(attacker, c, 1_000 ether);
        for (uint256 i; i < 50; ++i) {
            _selfDeal(sessionId, 1);
        }
        assertEq(network.getNode(sybilId).score, 5_000, "dust fees buy no reputation");
        assertEq(network.getNode(sybilId).speed, 0, "nor speed");
        assertEq(network.getNode(sybilId).accepted, 50, "the work itself is still counted");
    }
}
