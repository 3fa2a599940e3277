// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice L-2 A timed-out miner could retake the same slot (and time out again, burning the retries of the task).
contract RetakeSlotAttack is AttackBase {
    function test_attack_retakeSlot_claimAfterTimeoutReverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.None, AssignmentMode.Claim));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
        vm.warp(block.timestamp + 61);
        network.expire(taskId, 0);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Queued));
        vm.prank(minerAccounts[0]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyTimedOut.selector, taskId, minerIds[0]));
        network.claimTask(taskId);
        // Another miner takes it.
        vm.prank(minerAccounts[1]);
        network.claimTask(taskId);
    }

    function test_attack_retakeSlot_reassignAfterTimeoutReverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.None);
        vm.warp(block.timestamp + 61);
        network.expire(taskId, 0);
        vm.prank(routerAccount);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyTimedOut.selector, taskId, minerIds[0]));
        network.assignTask(taskId, _ids(minerIds[0]));
    }
}
