// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskManager} from "../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, Reveal, TaskStatus, ValidationMode} from "../contracts/types/Types.sol";
import {BaseTest} from "./utils/BaseTest.sol";

/// @notice Batched entry points: the same rules as the single calls, all or nothing.
contract BatchTest is BaseTest {
    uint32 internal sessionId;

    function setUp() public override {
        super.setUp();
        sessionId = _session(3, ValidationMode.ExactMatch, AssignmentMode.Router);
    }

    function _submitMany(uint256 n) internal returns (uint256[] memory taskIds) {
        bytes32[] memory prompts = new bytes32[](n);
        string[] memory cids = new string[](n);
        uint24[] memory maxTokens = new uint24[](n);
        for (uint256 k; k < n; ++k) {
            (prompts[k], cids[k], maxTokens[k]) = (keccak256(abi.encode(k)), "bafkreiprompt", MAX_TOKENS);
        }
        vm.prank(client);
        uint256 first = network.submitMany(sessionId, prompts, cids, maxTokens);
        taskIds = new uint256[](n);
        for (uint256 k; k < n; ++k) {
            taskIds[k] = first + k;
        }
    }

    function _assignMany(uint256[] memory taskIds) internal {
        uint32[][] memory ids = new uint32[][](taskIds.length);
        for (uint256 k; k < taskIds.length; ++k) {
            ids[k] = _firstMiners(3);
        }
        vm.prank(routerAccount);
        network.assignMany(taskIds, ids);
    }

    function _commitMany(uint8 slot, uint256[] memory taskIds, uint32 tokens) internal {
        uint8[] memory slots = new uint8[](taskIds.length);
        bytes32[] memory commitments = new bytes32[](taskIds.length);
        for (uint256 k; k < taskIds.length; ++k) {
            slots[k] = slot;
            commitments[k] =
                _commitment(taskIds[k], minerAccounts[slot], keccak256("r"), tokens, _salt(taskIds[k], slot));
        }
        vm.prank(minerAccounts[slot]);
        network.commitMany(taskIds, slots, commitments);
    }

    function _reveals(uint8 slot, uint256[] memory taskIds, uint32 tokens) internal pure returns (Reveal[] memory rs) {
        rs = new Reveal[](taskIds.length);
        for (uint256 k; k < taskIds.length; ++k) {
            rs[k] = Reveal(taskIds[k], slot, keccak256("r"), _salt(taskIds[k], slot), tokens, "bafkreiresult");
        }
    }

    function test_batch_fullLifecycle_settlesEveryTask() public {
        uint256[] memory taskIds = _submitMany(4);
        assertEq(network.getSession(sessionId).taskCount, 4);
        _assignMany(taskIds);
        for (uint8 i; i < 3; ++i) {
            _commitMany(i, taskIds, 20);
        }
        for (uint8 i; i < 3; ++i) {
            vm.prank(minerAccounts[i]);
            network.revealMany(_reveals(i, taskIds, 20));
        }
        for (uint256 k; k < 4; ++k) {
            assertEq(uint8(_status(taskIds[k])), uint8(TaskStatus.Finalized));
        }
        assertEq(_node(minerIds[0]).accepted, 4);
        assertEq(_node(minerIds[0]).open, 0);
        _assertConserved();
    }

    function test_batch_lengthMismatch_reverts() public {
        vm.prank(client);
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.submitMany(sessionId, new bytes32[](2), new string[](1), new uint24[](2));
        vm.prank(routerAccount);
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.assignMany(new uint256[](0), new uint32[][](0));
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.commitMany(new uint256[](1), new uint8[](2), new bytes32[](1));
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.revealMany(new Reveal[](0));
    }

    function test_batch_oneBadItem_revertsTheWholeBatch() public {
        uint256[] memory taskIds = _submitMany(3);
        _assignMany(taskIds);
        for (uint8 i; i < 3; ++i) {
            _commitMany(i, taskIds, 20);
        }
        Reveal[] memory rs = _reveals(0, taskIds, 20);
        rs[2].tokens = 21; // does not match its commitment
        vm.prank(minerAccounts[0]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.CommitmentMismatch.selector, taskIds[2], 0));
        network.revealMany(rs);
        assertEq(network.getTask(taskIds[0]).revealedMask, 0, "nothing of the batch was applied");
    }

    function test_batch_sameRulesAsSingleCalls() public {
        uint256[] memory taskIds = _submitMany(2);
        // A stranger cannot assign through the batch either.
        uint32[][] memory ids = new uint32[][](2);
        (ids[0], ids[1]) = (_firstMiners(3), _firstMiners(3));
        vm.prank(minerAccounts[6]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, sessionId, minerAccounts[6]));
        network.assignMany(taskIds, ids);
    }
}
