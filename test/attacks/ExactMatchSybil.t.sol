// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AssignmentMode, Offer, Outcome, Role, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice M-4 ExactMatch with R=2: the owner assigned one honest miner plus its own sybil revealing garbage →
/// NoMajority, full refund, honest miner unpaid. Without a verdict every revealed result is now paid.
contract ExactMatchSybilAttack is AttackBase {
    function test_attack_exactMatchSybil_honestMinerStillPaid() public {
        (, uint32 sybilId) = _sybil("sybil", Role.Miner, Offer({minPrice: 0, capacity: 10, modes: 7}));
        uint32 sessionId = _openAs(attacker, _config(2, ValidationMode.ExactMatch, AssignmentMode.Router), 1_000 ether);
        uint256 taskId = _submitAs(attacker, sessionId);
        _assignAs(attacker, taskId, _ids2(minerIds[0], sybilId));
        uint256 attackerBefore = network.getSession(sessionId).deposit + network.getSession(sessionId).escrowed;
        _commit(taskId, 0, keccak256("honest"), 40);
        _commit(taskId, 1, keccak256("garbage"), 40);
        vm.roll(block.number + 1);
        _reveal(taskId, 0, keccak256("honest"), 40);
        _reveal(taskId, 1, keccak256("garbage"), 40);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed), "no majority");
        uint256 honestPay = _net(40, params.protocolFeeBps);
        assertEq(_rewards(minerIds[0]), honestPay, "the honest miner is paid for what the client received");
        assertEq(_stake(minerIds[0]), STAKE, "and not slashed");
        uint256 attackerAfter = network.getSession(sessionId).deposit + _rewards(sybilId);
        assertGe(attackerBefore - attackerAfter, honestPay, "the attacker paid at least the honest work");
    }
}
