// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice M-2 Self-reported token counts: a miner used to reveal maxTokens for a 30-token answer and be paid 9×.
/// The count is now committed, and identical results are only identical with the same count.
contract TokenCountsAttack is AttackBase {
    function test_attack_inflatedTokens_commitmentBindsTheCount() public {
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        _commit(taskId, 0, keccak256("answer"), 30);
        vm.roll(block.number + 1);
        address miner = minerAccounts[0];
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.CommitmentMismatch.selector, taskId, 0));
        network.reveal(taskId, 0, keccak256("answer"), _salt(taskId, 0), MAX_TOKENS, "bafkreiresult");
    }

    function test_attack_inflatedTokens_sameTextMoreTokensIsOutvoted() public {
        uint256 taskId = _assignedTask(3, ValidationMode.ExactMatch);
        bytes32 h = keccak256("answer");
        _commit(taskId, 0, h, 30);
        _commit(taskId, 1, h, 30);
        _commit(taskId, 2, h, MAX_TOKENS); // the cheater claims the whole budget for the same text
        vm.roll(block.number + 1);
        _reveal(taskId, 0, h, 30);
        _reveal(taskId, 1, h, 30);
        _reveal(taskId, 2, h, MAX_TOKENS);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_rewards(minerIds[2]), 0, "inflated count unpaid");
        assertLt(_stake(minerIds[2]), STAKE, "and slashed");
        assertEq(_rewards(minerIds[0]), _net(30, params.protocolFeeBps + params.routerFeeBps));
        assertEq(_rewards(minerIds[1]), _rewards(minerIds[0]), "identical results paid the same count");
    }
}
