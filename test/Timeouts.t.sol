// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";

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

    function _withholdSlash() internal view returns (uint96) {
        return uint96(uint256(STAKE) * params.withholdSlashBps / 10_000);
    }

    function _pastDeadline(uint256 taskId) internal {
        vm.warp(network.getTask(taskId).deadline + 1);
    }

    // ================================================================== Committing
    /// @dev H-1: a miner that never committed loses reputation only, never stake, and cannot take the task again.
    function test_expire_committing_vacatesSlotWithoutSlash_routerReassigns() public {
        uint256 taskId = _assignedTask(3, ValidationMode.ExactMatch);
        _commit(taskId, 0, A, 10);
        _commit(taskId, 1, A, 10);
        _pastDeadline(taskId);
        address keeper = makeAddr("keeper");

        vm.recordLogs();
        vm.expectEmit(address(network));
        emit ITaskManager.SlotExpired(taskId, minerIds[2], 2, TaskStatus.Committing, 1, keeper);
        vm.expectEmit(address(network));
        emit ITaskManager.WorkSettled(taskId, minerIds[2], 2, Outcome.TimedOut, 0, 0, SCORE_DOWN, 0);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskPhaseChanged(taskId, TaskStatus.Queued, uint40(block.timestamp + 60));
        vm.prank(keeper);
        network.expire(taskId, 2);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 k; k < logs.length; ++k) {
            assertTrue(logs[k].topics[0] != INodeRegistry.NodeSlashed.selector, "no slash for a missed precommit");
        }

        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Queued));
        assertEq(v.miners[2], 0);
        assertEq(v.retries, 1);
        assertEq(v.committedMask, 3); // the others keep their commitments
        Node memory late = _node(minerIds[2]);
        assertEq(late.timedOut, 1);
        assertEq(late.score, SCORE_DOWN);
        assertEq(late.stake, STAKE);
        assertEq(late.open, 0); // slot vacated: the assignment is released
        assertEq(uint8(late.status), uint8(NodeStatus.Active));
        assertEq(network.protocolFees(), 0);

        // L-2: the timed-out miner cannot retake the slot.
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyTimedOut.selector, taskId, minerIds[2]));
        _assign(taskId, _ids(minerIds[2]));

        _assign(taskId, _ids(minerIds[3]));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Committing));
        _commit(taskId, 2, A, 10);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
        for (uint8 i; i < 3; ++i) {
            _reveal(taskId, i, A, 10);
        }
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertGt(_node(minerIds[3]).rewards, 0);
        assertEq(_node(minerIds[2]).rewards, 0);
        assertEq(_node(minerIds[3]).open, 0);
        _assertConserved();
    }

    /// @dev The exclusion is per task: the miner that timed out can take other tasks.
    function test_expire_timedOutMiner_canTakeOtherTasks() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 first = _submit(sessionId);
        _assign(first, _ids(minerIds[0]));
        _pastDeadline(first);
        network.expire(first, 0);
        uint256 second = _submit(sessionId);
        _assign(second, _ids(minerIds[0]));
        assertEq(network.getTask(second).miners[0], minerIds[0]);
    }

    function test_expire_claim_slotIsClaimedAgain() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Claim));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
        vm.prank(minerAccounts[1]);
        network.claimTask(taskId);
        _commit(taskId, 0, A, 10);
        _pastDeadline(taskId);
        network.expire(taskId, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Queued));
        assertEq(_node(minerIds[1]).open, 0);

        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyTimedOut.selector, taskId, minerIds[1]));
        vm.prank(minerAccounts[1]);
        network.claimTask(taskId);

        vm.prank(minerAccounts[2]);
        assertEq(network.claimTask(taskId), 1);
        _commit(taskId, 1, A, 10);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
    }

    function test_expire_dedicated_reassignsNextDedicatedMiner() public {
        SessionConfig memory c = _config(2, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        c.dedicatedMiners = _firstMiners(3);
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _commit(taskId, 0, A, 10);
        _pastDeadline(taskId);

        uint32[] memory table = new uint32[](2);
        (table[0], table[1]) = (minerIds[0], minerIds[2]);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskAssigned(
            taskId, address(this), table, TaskStatus.Committing, uint40(block.timestamp + 60)
        );
        network.expire(taskId, 1);
        assertEq(_node(minerIds[1]).open, 0);
        assertEq(_node(minerIds[2]).open, 1);
        assertEq(_node(minerIds[1]).stake, STAKE);
        _commit(taskId, 1, A, 10);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
    }

    /// @dev A dedicated miner that timed out is never put back on the same task, even when it is the only one left.
    function test_expire_dedicated_timedOutMinerNotReassigned() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        c.dedicatedMiners = _firstMiners(2);
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _pastDeadline(taskId);
        network.expire(taskId, 0); // miner 0 out, miner 1 in
        assertEq(network.getTask(taskId).miners[0], minerIds[1]);
        _pastDeadline(taskId);
        network.expire(taskId, 0); // miner 1 out: miner 0 timed out here before, nobody is left
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_node(minerIds[0]).open, 0);
        assertEq(_node(minerIds[1]).open, 0);
        _assertConserved();
    }

    function test_expire_dedicated_noReplacement_failsNoMiners() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Dedicated));
        _commit(taskId, 0, A, 10);
        _pastDeadline(taskId);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, uint32(taskId >> 32), FailReason.NoMiners, 0, 2 * MAX_TOKENS * PRICE);
        network.expire(taskId, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        // The miner that committed is released by the failure, the late one by its expiry.
        assertEq(_node(minerIds[0]).open, 0);
        assertEq(_node(minerIds[1]).open, 0);
        assertEq(_node(minerIds[0]).stake, STAKE);
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
        emit ITaskManager.SlotExpired(taskId, minerIds[1], 0, TaskStatus.Committing, 1, address(this));
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.RetriesExhausted, 0, MAX_TOKENS * PRICE);
        network.expire(taskId, 0);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(network.getTask(taskId).retries, 1);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        assertEq(_sessionOf(sessionId).escrowed, 0);
        for (uint256 i; i < 2; ++i) {
            assertEq(_node(minerIds[i]).timedOut, 1);
            assertEq(_node(minerIds[i]).stake, STAKE);
            assertEq(_node(minerIds[i]).open, 0);
        }
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
        assertEq(_node(minerIds[0]).open, 0);
    }

    function test_expire_vacantSlotPastDeadline_failsNoMiners() public {
        uint32 sessionId = _session(2, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        _pastDeadline(taskId);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.NoMiners, 0, 2 * MAX_TOKENS * PRICE);
        network.expire(taskId, 1);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        _assertConserved();
    }

    /// @dev A slot vacated by a timeout and never refilled fails the task: the miners still on it (committed or not)
    /// are released without pay or penalty, and the whole escrow goes back.
    function test_expire_vacatedSlotNeverRefilled_failsAndReleasesTheOthers() public {
        uint32 sessionId = _session(3, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        _assign(taskId, _firstMiners(3));
        _commit(taskId, 0, A, 10);
        _pastDeadline(taskId);
        network.expire(taskId, 2); // miner 2 vacated, task Queued again
        _pastDeadline(taskId);
        network.expire(taskId, 1); // miner 1 vacated too
        assertEq(_node(minerIds[0]).open, 1);
        _pastDeadline(taskId);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.NoMiners, 0, 3 * MAX_TOKENS * PRICE);
        network.expire(taskId, 2);
        for (uint256 i; i < 3; ++i) {
            assertEq(_node(minerIds[i]).open, 0);
            assertEq(_node(minerIds[i]).stake, STAKE);
            assertEq(_node(minerIds[i]).rewards, 0);
        }
        assertEq(_node(minerIds[0]).timedOut, 0); // it committed in time: no penalty
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        _assertConserved();
    }

    /// @dev Claim mode: a miner that claimed a slot of a task whose other slot nobody claimed is released when the
    /// task fails.
    function test_expire_claim_unclaimedSlot_releasesClaimer() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Claim));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
        assertEq(_node(minerIds[0]).open, 1);
        _pastDeadline(taskId);
        network.expire(taskId, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_node(minerIds[0]).open, 0);
        _assertConserved();
    }

    // ================================================================== Revealing
    /// @dev L-1: withholding a committed reveal is slashed withholdSlashBps (never less than a rejection).
    function test_expire_revealing_dropsAndSlashesWithheldReveal() public {
        uint256 taskId = _revealingTask(_same(3, A), ValidationMode.ExactMatch, 100);
        _reveal(taskId, 0, A, 100);
        _reveal(taskId, 1, A, 100);
        _pastDeadline(taskId);

        uint96 slash = _withholdSlash();
        vm.expectEmit(address(network));
        emit ITaskManager.SlotExpired(taskId, minerIds[2], 2, TaskStatus.Revealing, 0, address(this));
        vm.expectEmit(address(network));
        emit ITaskManager.WorkSettled(taskId, minerIds[2], 2, Outcome.TimedOut, 0, 0, SCORE_DOWN, 0);
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeSlashed(
            minerIds[2], taskId, SlashReason.Withheld, slash, STAKE - slash, NodeStatus.Active
        );
        network.expire(taskId, 2);

        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.droppedMask, 4);
        assertEq(v.miners[2], minerIds[2]); // dropped, never replaced
        Node memory dropped = _node(minerIds[2]);
        assertEq(dropped.timedOut, 1);
        assertEq(dropped.rewards, 0);
        assertEq(dropped.stake, STAKE - slash);
        assertEq(dropped.open, 0);
        assertEq(_node(minerIds[0]).rewards, _net(100, params.protocolFeeBps + params.routerFeeBps));
        assertEq(_node(minerIds[0]).open, 0);
        assertEq(_sessionOf(v.sessionId).deposit, DEPOSIT - 200 * PRICE);
        _assertConserved();
    }

    /// @dev Withholding costs at least as much as revealing a result that gets rejected.
    function test_expire_revealing_withholdCostsAtLeastRejection() public {
        uint256 taskId = _revealingTask(_hashes3(A, A, B), ValidationMode.ExactMatch, 10);
        _reveal(taskId, 0, A, 10);
        _reveal(taskId, 1, A, 10);
        _pastDeadline(taskId);
        network.expire(taskId, 2); // withholds B instead of revealing it
        uint96 rejectSlash = uint96(uint256(STAKE) * params.rejectSlashBps / 10_000);
        assertLe(_node(minerIds[2]).stake, STAKE - rejectSlash);
    }

    /// @dev One A against one B among the revealed (the third withheld): no strict majority, so both revealed
    /// results are paid unverified; only the withheld reveal is slashed.
    function test_expire_revealing_noMajorityAmongRevealed_paysRevealed() public {
        uint256 taskId = _revealingTask(_hashes3(A, B, A), ValidationMode.ExactMatch, 1);
        _reveal(taskId, 0, A, 1);
        _reveal(taskId, 1, B, 1);
        _pastDeadline(taskId);
        network.expire(taskId, 2);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_node(minerIds[1]).rejected, 0);
        assertEq(_node(minerIds[1]).stake, STAKE);
        assertEq(_node(minerIds[0]).rewards, _net(1, params.protocolFeeBps));
        assertEq(_node(minerIds[1]).rewards, _net(1, params.protocolFeeBps));
        assertEq(_node(minerIds[2]).stake, STAKE - _withholdSlash());
        for (uint256 i; i < 3; ++i) {
            assertEq(_node(minerIds[i]).open, 0);
        }
        _assertConserved();
    }

    function test_expire_revealing_nobodyRevealed_failsNoResults() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 1);
        uint32 sessionId = uint32(taskId >> 32);
        _pastDeadline(taskId);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.NoResults, 0, MAX_TOKENS * PRICE);
        network.expire(taskId, 0);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        assertEq(_node(minerIds[0]).stake, STAKE - _withholdSlash());
        assertEq(_node(minerIds[0]).open, 0);
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
        _commit(taskId, 0, A, 1);
        _pastDeadline(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NothingToExpire.selector, taskId, 0));
        network.expire(taskId, 0);
    }

    function test_expire_revealedSlot_reverts() public {
        uint256 taskId = _revealingTask(_same(2, A), ValidationMode.ExactMatch, 1);
        _reveal(taskId, 0, A, 1);
        _pastDeadline(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NothingToExpire.selector, taskId, 0));
        network.expire(taskId, 0);
    }

    function test_expire_droppedTwice_reverts() public {
        uint256 taskId = _revealingTask(_same(3, A), ValidationMode.ExactMatch, 1);
        _reveal(taskId, 0, A, 1);
        _pastDeadline(taskId);
        network.expire(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NothingToExpire.selector, taskId, 1));
        network.expire(taskId, 1);
    }

    function test_expire_finalized_reverts() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 1);
        _reveal(taskId, 0, A, 1);
        _pastDeadline(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Finalized));
        network.expire(taskId, 0);
    }

    /// @dev T-1: a Failed task cannot go through expire again (its escrow was refunded once).
    function test_expire_failed_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        _pastDeadline(taskId);
        network.expire(taskId, 0);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Failed));
        network.expire(taskId, 0);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        _assertConserved();
    }

    function test_expire_validating_reverts() public {
        bytes32[] memory hashes = new bytes32[](2);
        (hashes[0], hashes[1]) = (A, B);
        uint256 taskId = _revealingTask(hashes, ValidationMode.Embedding, 1);
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
    /// @dev A missed precommit never jails: no stake moves, even with the minimum stake set at the stake.
    function test_expire_committing_neverJails() public {
        Params memory p = params;
        p.minStakeMiner = STAKE;
        _setParams(p);
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        _pastDeadline(taskId);
        network.expire(taskId, 0);
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Active));
        assertEq(_node(minerIds[0]).stake, STAKE);
    }

    function test_withholdSlashBelowMinimum_jails_unjailAfterTopUp() public {
        Params memory p = params;
        p.minStakeMiner = STAKE; // any slash leaves a miner below the minimum
        _setParams(p);
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 1);
        _pastDeadline(taskId);
        uint96 stake = STAKE - _withholdSlash();
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeJailed(minerIds[0], uint40(block.timestamp));
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeSlashed(
            minerIds[0], taskId, SlashReason.Withheld, _withholdSlash(), stake, NodeStatus.Jailed
        );
        network.expire(taskId, 0);
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Jailed));

        // A jailed miner is not assigned and cannot unjail below the minimum stake.
        uint256 next = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NodeNotEligible.selector, minerIds[0]));
        _assign(next, _ids(minerIds[0]));
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeBelowMinimum.selector, stake, STAKE));
        vm.prank(minerAccounts[0]);
        network.unjail();

        vm.startPrank(minerAccounts[0]);
        network.addStake(_withholdSlash());
        network.unjail();
        vm.stopPrank();
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Active));
        _assign(next, _ids(minerIds[0]));
        _assertConserved();
    }

    function test_rejectSlashBelowMinimum_jails() public {
        Params memory p = params;
        p.minStakeMiner = STAKE;
        _setParams(p);
        uint256 taskId = _revealingTask(_hashes3(A, A, B), ValidationMode.ExactMatch, 1);
        _reveal(taskId, 0, A, 1);
        _reveal(taskId, 1, A, 1);
        _reveal(taskId, 2, B, 1);
        assertEq(uint8(_node(minerIds[2]).status), uint8(NodeStatus.Jailed));
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Active));
    }

    function test_slash_exitingNode_staysExiting() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 1);
        Params memory p = params;
        p.minStakeMiner = STAKE;
        _setParams(p);
        vm.prank(minerAccounts[0]);
        network.requestExit();
        _pastDeadline(taskId);
        network.expire(taskId, 0);
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Exiting));
        assertEq(_node(minerIds[0]).stake, STAKE - _withholdSlash());
    }
}
