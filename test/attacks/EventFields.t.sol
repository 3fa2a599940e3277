// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISessionManager} from "../../contracts/interfaces/ISessionManager.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice I-1 Events carry what an indexer needs without extra reads: depositor, expiring caller, assigner,
/// the router paid and its fee.
contract EventFieldsTest is AttackBase {
    function test_events_depositNamesTheDepositor() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        _fund(attacker, 10 ether);
        vm.expectEmit(true, true, false, true, address(network));
        emit ISessionManager.SessionDeposited(sessionId, attacker, 1 ether, DEPOSIT + 1 ether);
        vm.prank(attacker);
        network.deposit(sessionId, 1 ether);
    }

    function test_events_assignAndExpireNameTheCaller() public {
        uint256 taskId = _submit(_session(1, ValidationMode.None, AssignmentMode.Router));
        uint32[] memory table = _ids(minerIds[0]);
        vm.expectEmit(true, true, false, true, address(network));
        emit ITaskManager.TaskAssigned(
            taskId, routerAccount, table, TaskStatus.Committing, uint40(block.timestamp + 60)
        );
        _assign(taskId, table);
        vm.warp(block.timestamp + 61);
        vm.expectEmit(true, true, false, true, address(network));
        emit ITaskManager.SlotExpired(taskId, minerIds[0], 0, TaskStatus.Committing, 1, attacker);
        vm.prank(attacker);
        network.expire(taskId, 0);
    }

    function test_events_finalizedNamesTheRouterAndItsFee() public {
        uint256 taskId = _assignedTask(1, ValidationMode.None);
        uint96 fee = uint96(uint256(40) * PRICE * params.routerFeeBps / 10_000);
        _commit(taskId, 0, keccak256("answer"), 40);
        vm.roll(block.number + 1);
        vm.expectEmit(true, true, false, true, address(network));
        emit ITaskManager.RouterFeePaid(taskId, routerId, fee);
        _reveal(taskId, 0, keccak256("answer"), 40);
    }
}
