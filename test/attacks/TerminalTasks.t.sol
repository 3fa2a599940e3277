// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice T-1 Letting a Failed task through expire refunded its escrow twice, and a late reveal was caught by one
/// unit test only. Each terminal-state and deadline guard is played here as an attacker would.
contract TerminalTasksAttack is AttackBase {
    function test_attack_expireFailedTask_noDoubleRefund() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        vm.warp(block.timestamp + 61);
        network.expire(taskId, 0); // nobody assigned: Failed, escrow back
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        uint112 deposit = network.getSession(sessionId).deposit;
        assertEq(deposit, DEPOSIT);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Failed));
        network.expire(taskId, 0);
        assertEq(network.getSession(sessionId).deposit, deposit);
        _assertConserved();
    }

    function test_attack_expireFinalizedTask_reverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.None);
        _play(taskId, _same(1, keccak256("answer")), 10);
        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Finalized));
        network.expire(taskId, 0);
    }

    function test_attack_lateReveal_reverts() public {
        uint256 taskId = _assignedTask(3, ValidationMode.ExactMatch);
        bytes32 h = keccak256("answer");
        for (uint8 i; i < 3; ++i) {
            _commit(taskId, i, h, 10);
        }
        _reveal(taskId, 0, h, 10);
        uint40 deadline = network.getTask(taskId).deadline;
        vm.warp(uint256(deadline) + 1);
        vm.prank(minerAccounts[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlinePassed.selector, deadline));
        network.reveal(taskId, 1, h, _salt(taskId, 1), 10, "bafkreiresult");
    }

    function test_attack_settleTwice_reverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.None);
        _play(taskId, _same(1, keccak256("answer")), 10);
        vm.prank(minerAccounts[0]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Finalized));
        network.reveal(taskId, 0, keccak256("answer"), _salt(taskId, 0), 10, "bafkreiresult");
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Finalized));
        network.finalize(taskId);
    }
}
