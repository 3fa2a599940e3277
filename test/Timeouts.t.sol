// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INodeRegistry} from "../contracts/interfaces/INodeRegistry.sol";
import {ITaskManager} from "../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    FailReason,
    Node,
    NodeStatus,
    Outcome,
    Params,
    SessionConfig,
    SlashReason,
    TaskStatus,
    TaskView,
    ValidationMode
} from "../contracts/types/Types.sol";
import {BaseTest} from "./utils/BaseTest.sol";

/// @notice Timeouts (expire in every phase and assignment mode), retry limit, jail on slash and unjail.
contract TimeoutsTest is BaseTest {
    bytes32 internal constant A = keccak256("A");
    bytes32 internal constant B = keccak256("B");
    uint16 internal constant SCORE_DOWN = 4_375;

    function _timeoutSlash() internal view returns (uint96) {
        return uint96(uint256(STAKE) * params.timeoutSlashBps / 10_000);
    }

    function _pastDeadline(uint256 taskId) internal {
        vm.warp(network.getTask(taskId).deadline + 1);
    }

    // ================================================================== Committing
    function test_expire_committing_vacatesSlotAndRequeues_routerReassigns() public {
        uint256 taskId = _assignedTask(3, ValidationMode.ExactMatch);
        _commit(taskId, 0, A);
        _commit(taskId, 1, A);
        _pastDeadline(taskId);

        vm.expectEmit(address(network));
        emit ITaskManager.SlotExpired(taskId, minerIds[2], 2, TaskStatus.Committing, 1);
        vm.expectEmit(address(network));
        emit ITaskManager.WorkSettled(taskId, minerIds[2], 2, Outcome.TimedOut, 0, 0, SCORE_DOWN, 0);
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeSlashed(
            minerIds[2], taskId, SlashReason.TimedOut, _timeoutSlash(), STAKE - _timeoutSlash(), NodeStatus.Active
        );
        vm.expectEmit(address(network));
        emit ITaskManager.TaskPhaseChanged(taskId, TaskStatus.Queued, uint40(block.timestamp + 60));
        network.expire(taskId, 2);

        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Queued));
        assertEq(v.miners[2], 0);
        assertEq(v.retries, 1);
        assertEq(v.committedMask, 3); // the others keep their commitments
        Node memory late = _node(minerIds[2]);
        assertEq(late.timedOut, 1);
        assertEq(late.score, SCORE_DOWN);
        assertEq(late.stake, STAKE - _timeoutSlash());
        assertEq(network.protocolFees(), _timeoutSlash());

        _assign(taskId, _ids(minerIds[3]));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Committing));
        _commit(taskId, 2, A);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
        for (uint8 i; i < 3; ++i) {
            _reveal(taskId, i, A, 10);
        }
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertGt(_node(minerIds[3]).rewards, 0);
        assertEq(_node(minerIds[2]).rewards, 0);
        _assertConserved();
    }

    function test_expire_claim_slotIsClaimedAgain() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Claim));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
        vm.prank(minerAccounts[1]);
        network.claimTask(taskId);
        _commit(taskId, 0, A);
        _pastDeadline(taskId);
        network.expire(taskId, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Queued));

        vm.prank(minerAccounts[2]);
        assertEq(network.claimTask(taskId), 1);
        _commit(taskId, 1, A);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
    }

    function test_expire_dedicated_reassignsNextDedicatedMiner() public {
        SessionConfig memory c = _config(2, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        c.dedicatedMiners = _firstMiners(3);
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _commit(taskId, 0, A);
        _pastDeadline(taskId);

        uint32[] memory table = new uint32[](2);
        (table[0], table[1]) = (minerIds[0], minerIds[2]);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskAssigned(taskId, table, TaskStatus.Committing, uint40(block.timestamp + 60));
        network.expire(taskId, 1);
        _commit(taskId, 1, A);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
    }

    function test_expire_dedicated_noReplacement_failsNoMiners() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Dedicated));
        _commit(taskId, 0, A);
        _pastDeadline(taskId);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, uint32(taskId >> 32), FailReason.NoMiners, 2 * MAX_TOKENS * PRICE);
        network.expire(taskId, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        _assertConserved();
    }

    function test_expire_retryLimitReached_failsWithFullRefund() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.retryLimit = 1;
        uint32 sessionId = _openSession(c, DEPOSIT);
        uint256 taskId = _submit(sessionId);
        _assign(taskId, _ids(minerIds[0]));
        _pastDeadline(taskId);
        network.expire(taskId, 0); // retry 1 of 1
        _assign(taskId, _ids(minerIds[1]));
        _pastDeadline(taskId);

        vm.expectEmit(address(network));
        emit ITaskManager.SlotExpired(taskId, minerIds[1], 0, TaskStatus.Committing, 1);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.RetriesExhausted, MAX_TOKENS * PRICE);
        network.expire(taskId, 0);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(network.getTask(taskId).retries, 1);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        assertEq(_sessionOf(sessionId).escrowed, 0);
        assertEq(_node(minerIds[0]).timedOut, 1);
        assertEq(_node(minerIds[1]).timedOut, 1);
        _assertConserved();
    }

    function test_expire_zeroRetryLimit_failsAtOnce() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.retryLimit = 0;
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _ids(minerIds[0]));
        _pastDeadline(taskId);
        network.expire(taskId, 0);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
    }

    function test_expire_vacantSlotPastDeadline_failsNoMiners() public {
        uint32 sessionId = _session(2, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        _pastDeadline(taskId);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.NoMiners, 2 * MAX_TOKENS * PRICE);
        network.expire(taskId, 1);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        _assertConserved();
    }

    // ================================================================== Revealing
    function test_expire_revealing_dropsLateRevealerAndSettles() public {
        uint256 taskId = _revealingTask(_same(3, A), ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 100);
        _reveal(taskId, 1, A, 100);
        _pastDeadline(taskId);

        vm.expectEmit(address(network));
        emit ITaskManager.SlotExpired(taskId, minerIds[2], 2, TaskStatus.Revealing, 0);
        network.expire(taskId, 2);

        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.droppedMask, 4);
        assertEq(v.miners[2], minerIds[2]); // dropped, never replaced
        assertEq(_node(minerIds[2]).timedOut, 1);
        assertEq(_node(minerIds[2]).rewards, 0);
        assertEq(_node(minerIds[0]).rewards, _net(100, params.protocolFeeBps + params.routerFeeBps));
        assertEq(_sessionOf(v.sessionId).deposit, DEPOSIT - 200 * PRICE);
        _assertConserved();
    }

    function test_expire_revealing_majorityAmongRevealed() public {
        uint256 taskId = _revealingTask(_hashes3(A, B, A), ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 1);
        _reveal(taskId, 1, B, 1);
        _pastDeadline(taskId);
        network.expire(taskId, 2);
        // One A against one B: no strict majority of the revealed results.
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_node(minerIds[1]).rejected, 0);
    }

    function test_expire_revealing_nobodyRevealed_failsNoResults() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch);
        uint32 sessionId = uint32(taskId >> 32);
        _pastDeadline(taskId);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.NoResults, MAX_TOKENS * PRICE);
        network.expire(taskId, 0);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        _assertConserved();
    }

    // ================================================================== errors
    function test_expire_beforeDeadline_reverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        uint40 deadline = network.getTask(taskId).deadline;
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlineNotPassed.selector, deadline));
        network.expire(taskId, 0);
    }

    function test_expire_invalidSlot_reverts() public {
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.InvalidSlot.selector, 2));
        network.expire(taskId, 2);
    }

    function test_expire_committedSlot_reverts() public {
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        _commit(taskId, 0, A);
        _pastDeadline(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NothingToExpire.selector, taskId, 0));
        network.expire(taskId, 0);
    }

    function test_expire_revealedSlot_reverts() public {
        uint256 taskId = _revealingTask(_same(2, A), ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 1);
        _pastDeadline(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NothingToExpire.selector, taskId, 0));
        network.expire(taskId, 0);
    }

    function test_expire_droppedTwice_reverts() public {
        uint256 taskId = _revealingTask(_same(3, A), ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 1);
        _pastDeadline(taskId);
        network.expire(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NothingToExpire.selector, taskId, 1));
        network.expire(taskId, 1);
    }

    function test_expire_finalized_reverts() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 1);
        _pastDeadline(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Finalized));
        network.expire(taskId, 0);
    }

    function test_expire_validating_reverts() public {
        bytes32[] memory hashes = new bytes32[](2);
        (hashes[0], hashes[1]) = (A, B);
        uint256 taskId = _revealingTask(hashes, ValidationMode.Embedding);
        _reveal(taskId, 0, A, 1);
        _reveal(taskId, 1, B, 1);
        _pastDeadline(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Validating));
        network.expire(taskId, 0);
    }

    function test_expire_unknownTask_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.UnknownTask.selector, 1));
        network.expire(1, 0);
    }

    // ================================================================== jail on slash, unjail after top-up
    function test_slashBelowMinimum_jails_unjailAfterTopUp() public {
        Params memory p = params;
        p.minStakeMiner = STAKE; // any slash leaves a miner below the minimum
        _setParams(p);
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        _pastDeadline(taskId);
        uint96 stake = STAKE - _timeoutSlash();
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeJailed(minerIds[0], uint40(block.timestamp));
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeSlashed(
            minerIds[0], taskId, SlashReason.TimedOut, _timeoutSlash(), stake, NodeStatus.Jailed
        );
        network.expire(taskId, 0);
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Jailed));

        // A jailed miner is not assigned and cannot unjail below the minimum stake.
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NodeNotEligible.selector, minerIds[0]));
        _assign(taskId, _ids(minerIds[0]));
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeBelowMinimum.selector, stake, STAKE));
        vm.prank(minerAccounts[0]);
        network.unjail();

        vm.startPrank(minerAccounts[0]);
        network.addStake(_timeoutSlash());
        network.unjail();
        vm.stopPrank();
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Active));
        _assign(taskId, _ids(minerIds[0]));
        _assertConserved();
    }

    function test_rejectSlashBelowMinimum_jails() public {
        Params memory p = params;
        p.minStakeMiner = STAKE;
        _setParams(p);
        uint256 taskId = _revealingTask(_hashes3(A, A, B), ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 1);
        _reveal(taskId, 1, A, 1);
        _reveal(taskId, 2, B, 1);
        assertEq(uint8(_node(minerIds[2]).status), uint8(NodeStatus.Jailed));
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Active));
    }

    function test_slash_exitingNode_staysExiting() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch);
        Params memory p = params;
        p.minStakeMiner = STAKE;
        _setParams(p);
        vm.prank(minerAccounts[0]);
        network.requestExit();
        _pastDeadline(taskId);
        network.expire(taskId, 0);
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Exiting));
        assertEq(_node(minerIds[0]).stake, STAKE - _timeoutSlash());
    }
}
