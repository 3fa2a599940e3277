// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISessionManager} from "../../contracts/interfaces/ISessionManager.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    FailReason,
    Role,
    SessionConfig,
    TaskStatus,
    ValidationMode
} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice H-3 Unaccountable validators: a lone validator scoring 0 used to settle through finalize and slash every
/// miner; with quorum 2 one bad validator overrode an honest one.
contract UnaccountableValidatorsAttack is AttackBase {
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        params.minQuorum = 3; // public-chain setting
        _setParams(params);
        SessionConfig memory c = _validated(3, ValidationMode.Replay, AssignmentMode.Router);
        uint32 sessionId = _openSession(c, DEPOSIT);
        taskId = _submit(sessionId);
        _assign(taskId, _firstMiners(3));
        _play(taskId, _hashes3(keccak256("a"), keccak256("b"), keccak256("c")), 50);
    }

    function test_attack_loneValidator_finalizeBelowQuorumSlashesNobody() public {
        uint96[3] memory stakes = [_stake(minerIds[0]), _stake(minerIds[1]), _stake(minerIds[2])];
        uint16 validatorScore = network.getNode(validatorIds[0]).score;
        _attest(0, taskId, _scores(0, 0, 0));
        vm.warp(block.timestamp + 61);
        vm.expectEmit(true, true, false, false, address(network));
        emit ITaskManager.TaskFailed(taskId, 1, FailReason.NoQuorum, 0, 0);
        network.finalize(taskId);
        for (uint256 i; i < 3; ++i) {
            assertEq(_stake(minerIds[i]), stakes[i], "below quorum nobody is slashed");
            assertGt(_rewards(minerIds[i]), 0, "revealed results are paid without a verdict");
        }
        assertEq(network.getNode(validatorIds[0]).score, validatorScore, "no reputation for a lone validator");
        assertEq(_rewards(validatorIds[0]), 0, "no fee without a quorum");
        assertEq(network.getNode(validatorIds[0]).open, 0, "attestation released");
    }

    function test_attack_badValidator_outvotedAndSlashed() public {
        uint96 badStake = _stake(validatorIds[2]);
        uint96 honestStake = _stake(validatorIds[0]);
        _attest(0, taskId, _scores(9_500, 9_600, 9_400));
        _attest(1, taskId, _scores(9_500, 9_600, 9_400));
        _attest(2, taskId, _scores(0, 0, 0));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertLt(_stake(validatorIds[2]), badStake, "deviating validator slashed");
        assertEq(_stake(validatorIds[0]), honestStake, "honest validator never slashed");
        assertGt(_rewards(validatorIds[0]), 0, "honest validator paid");
        assertEq(_rewards(validatorIds[2]), 0, "deviating validator unpaid");
        for (uint256 i; i < 3; ++i) {
            assertEq(_stake(minerIds[i]), STAKE, "miners accepted");
        }
    }

    function test_attack_evenQuorum_rejected() public {
        SessionConfig memory c = _validated(3, ValidationMode.Embedding, AssignmentMode.Router);
        c.quorum = 4;
        vm.prank(client);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 4));
        network.createSession(c, 0);
        c.quorum = 1; // below the protocol minimum of 3
        vm.prank(client);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 1));
        network.createSession(c, 0);
    }
}
