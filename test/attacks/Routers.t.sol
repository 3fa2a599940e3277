// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, Offer, Role, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice L-4 a jailed router still assigned and earned fees; L-5 the owner swapped the router after assignment and
/// the fee went to the substitute.
contract RoutersAttack is AttackBase {
    function _finish(uint256 taskId) internal {
        _play(taskId, _same(1, keccak256("answer")), 40);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
    }

    function test_attack_jailedRouter_cannotAssign() public {
        uint256 taskId = _submit(_session(1, ValidationMode.None, AssignmentMode.Router));
        vm.prank(owner);
        network.jail(routerId, 1 days);
        vm.prank(routerAccount);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, 1, routerAccount));
        network.assignTask(taskId, _ids(minerIds[0]));
    }

    function test_attack_exitingRouter_cannotAssign() public {
        uint256 taskId = _submit(_session(1, ValidationMode.None, AssignmentMode.Router));
        vm.prank(routerAccount);
        network.requestExit();
        vm.prank(routerAccount);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, 1, routerAccount));
        network.assignTask(taskId, _ids(minerIds[0]));
    }

    function test_attack_jailedAfterAssigning_earnsNothing() public {
        uint256 taskId = _assignedTask(1, ValidationMode.None);
        vm.prank(owner);
        network.jail(routerId, 1 days);
        uint256 feesBefore = network.protocolFees();
        _finish(taskId);
        assertEq(_rewards(routerId), 0, "a jailed router earns no fee");
        // Its share stays with the protocol (it is not given back to the miner either).
        assertGt(network.protocolFees() - feesBefore, uint256(40) * PRICE * params.protocolFeeBps / 10_000);
    }

    function test_attack_routerSwap_feeGoesToTheRouterThatAssigned() public {
        (, uint32 substitute) = _sybil("substitute", Role.Router, Offer(0, 0, 0));
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        _assign(taskId, _ids(minerIds[0]));
        vm.prank(client);
        network.setSessionRouter(sessionId, substitute);
        _finish(taskId);
        assertEq(_rewards(substitute), 0, "the substitute did no work");
        assertEq(_rewards(routerId), uint256(40) * PRICE * params.routerFeeBps / 10_000, "the assigner is paid");
        assertEq(network.getTask(taskId).assignerId, routerId);
    }
}
