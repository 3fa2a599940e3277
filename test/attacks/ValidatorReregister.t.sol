// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice L-3 A validator's attestation counted after it unregistered, and the re-registered account attested the
/// same task again. An attestation now locks the validator's stake until the task settles, so it cannot unregister
/// (hence cannot come back under a new id) while its vote is open.
contract ValidatorReregisterAttack is AttackBase {
    function test_attack_validatorReregister_cannotLeaveWhileAttesting() public {
        params.minQuorum = 3;
        _setParams(params);
        uint32 sessionId = _openSession(_validated(3, ValidationMode.Embedding, AssignmentMode.Router), DEPOSIT);
        uint256 taskId = _submit(sessionId);
        _assign(taskId, _firstMiners(3));
        _play(taskId, _hashes3(keccak256("a"), keccak256("b"), keccak256("c")), 30);
        _attest(0, taskId, _scores(9_000, 9_000, 9_000));
        address v = validatorAccounts[0];
        vm.prank(v);
        network.requestExit();
        // An exiting validator cannot attest again (it is not Active)...
        vm.prank(v);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotValidator.selector, v));
        network.attest(taskId, _scores(0, 0, 0));
        // ...and cannot unregister (then re-register under a new id) while its attestation is open.
        vm.warp(block.timestamp + params.unstakeCooldown + 1);
        vm.prank(v);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeLocked.selector, validatorIds[0], 1));
        network.withdrawStake();
        network.finalize(taskId); // below quorum: no verdict, attestation released
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        vm.prank(v);
        network.withdrawStake();
    }
}
