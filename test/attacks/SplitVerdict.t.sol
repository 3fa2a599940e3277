// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice Found by the invariant campaign: validators scored per slot, so a validator (the median itself at
/// quorum 1, or a colluding quorum) could accept one copy of a result and reject, and slash, an identical copy.
/// Identical results (same hash and token count) must now get the same score.
contract SplitVerdictAttack is AttackBase {
    function _auditedPair() internal returns (uint256 taskId) {
        params.auditBps = 10_000;
        _setParams(params);
        uint32 sessionId = _openSession(_config(2, ValidationMode.Embedding, AssignmentMode.Router), DEPOSIT);
        taskId = _submit(sessionId);
        _assign(taskId, _firstMiners(2));
        _play(taskId, _same(2, keccak256("same answer")), 100);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Validating), "audited");
    }

    function test_attack_splitVerdict_identicalResultsCannotBeScoredApart() public {
        uint256 taskId = _auditedPair();
        uint16[] memory split = new uint16[](2);
        (split[0], split[1]) = (10_000, 0);
        vm.prank(validatorAccounts[0]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.InconsistentScores.selector, 1));
        network.attest(taskId, split);
    }

    function test_attack_splitVerdict_honestScoresSettleBothCopiesAlike() public {
        uint256 taskId = _auditedPair();
        uint16[] memory same = new uint16[](2);
        (same[0], same[1]) = (9_500, 9_500);
        vm.prank(validatorAccounts[0]);
        network.attest(taskId, same);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_stake(minerIds[1]), STAKE, "the second copy of the accepted result is never slashed");
        assertEq(_rewards(minerIds[0]), _rewards(minerIds[1]), "and is paid the same");
    }
}
