// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, RootReveal, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice Batched commitments (commitRoot / revealRoot, issue 12): one Merkle root per miner per batch instead of
/// one commitment per slot. Each test plays a miner trying to get more out of a root than out of the commitments it
/// replaces: reuse it elsewhere, keep two answers for one task, reveal out of its window, or dodge slashing.
contract RootBatchAttack is AttackBase {
    uint32 internal sessionId;
    uint256[] internal tasks;

    function setUp() public override {
        super.setUp();
        sessionId = _session(3, ValidationMode.ExactMatch, AssignmentMode.Router);
        for (uint256 k; k < 2; ++k) {
            tasks.push(_submit(sessionId));
            _assign(tasks[k], _firstMiners(3));
        }
    }

    function _one(uint256 taskId) internal pure returns (uint256[] memory a) {
        a = new uint256[](1);
        a[0] = taskId;
    }

    function _two(uint256 a, uint256 b) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](2);
        (ids[0], ids[1]) = (a, b);
    }

    /// @dev Honest miners 1 and 2 commit "good" on both tasks (single calls).
    function _honestCommits() internal {
        for (uint256 k; k < 2; ++k) {
            _commit(tasks[k], 1, keccak256("good"), 40);
            _commit(tasks[k], 2, keccak256("good"), 40);
        }
    }

    function _honestReveals() internal {
        for (uint256 k; k < 2; ++k) {
            _reveal(tasks[k], 1, keccak256("good"), 40);
            _reveal(tasks[k], 2, keccak256("good"), 40);
        }
    }

    /// @dev Reveals entry `k` of the list with `result`, passing the true leaves of the others.
    function _revealEntry(
        address miner,
        bytes32 root,
        uint256[] memory taskIds,
        uint8[] memory slots,
        bytes32[] memory treeLeaves,
        uint256 k,
        bytes32 result
    ) internal {
        bytes32[] memory leaves = new bytes32[](taskIds.length);
        for (uint256 j; j < taskIds.length; ++j) {
            if (j != k) leaves[j] = treeLeaves[j];
        }
        RootReveal[] memory reveals = new RootReveal[](1);
        reveals[0] = RootReveal(result, _salt(taskIds[k], slots[k]), 40, "bafkreiresult");
        vm.prank(miner);
        network.revealRoot(root, taskIds, slots, leaves, reveals);
    }

    /// The attacker keeps two answers for task 0 in one tree (its leaf for task 1 is a second answer for task 0),
    /// waits for the others' reveals, then tries to reveal the one that matches. The leaf of an entry is the one at
    /// its position in the committed list: only the first answer can ever be revealed, and a reordered list was
    /// never committed.
    function test_attack_root_twoAnswersForOneTask_cannotChooseAfterOthersReveal() public {
        address miner = minerAccounts[0];
        uint256[] memory list = _two(tasks[0], tasks[1]);
        uint8[] memory slots = _fill8(2, 0);
        bytes32[] memory treeLeaves = new bytes32[](2);
        treeLeaves[0] = _commitment(tasks[0], miner, keccak256("garbage"), 40, _salt(tasks[0], 0));
        treeLeaves[1] = _commitment(tasks[0], miner, keccak256("good"), 40, _salt(tasks[0], 0));
        bytes32 root = _rootOf(treeLeaves);
        vm.prank(miner);
        network.commitRoot(list, slots, root);
        _honestCommits();
        vm.roll(block.number + 1);
        _honestReveals();

        // The answer that matches is not the leaf at task 0's position.
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootMismatch.selector, root));
        _revealEntry(miner, root, list, slots, treeLeaves, 0, keccak256("good"));
        // Nor can it be moved there by listing the tasks in another order: that list was never committed.
        uint256[] memory swapped = _two(tasks[1], tasks[0]);
        RootReveal[] memory reveals = new RootReveal[](1);
        reveals[0] = RootReveal(keccak256("good"), _salt(tasks[0], 0), 40, "bafkreiresult");
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = treeLeaves[0];
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootNotCommitted.selector, root));
        network.revealRoot(root, swapped, slots, leaves, reveals);
        // Nor through the single reveal: a root-committed slot has no commitment of its own.
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.CommitmentMismatch.selector, tasks[0], 0));
        network.reveal(tasks[0], 0, keccak256("good"), _salt(tasks[0], 0), 40, "bafkreiresult");

        // What is left: reveal the committed garbage (outvoted, slashed) or withhold (slashed at least as much).
        _revealEntry(miner, root, list, slots, treeLeaves, 0, keccak256("garbage"));
        assertEq(uint8(_status(tasks[0])), uint8(TaskStatus.Finalized));
        assertEq(network.getTask(tasks[0]).resultHash, keccak256("good"));
        assertEq(_stake(minerIds[0]), STAKE - STAKE * params.rejectSlashBps / 10_000);
        vm.warp(block.timestamp + 61);
        network.expire(tasks[1], 0);
        assertEq(_node(minerIds[0]).timedOut, 1, "task 1 withheld: it had no answer of its own");
        _assertConserved();
    }

    /// Another miner copies a victim's root for its own slot; the victim's miner reuses its root for a second batch.
    /// Leaves bind the committing account and the task, so neither can reveal anything with it: both are slashed.
    function test_attack_root_replayForAnotherMinerOrTask_cannotBeRevealed() public {
        bytes32[] memory good = _fill32(1, keccak256("good"));
        bytes32 root = _commitRoot(minerAccounts[0], _one(tasks[0]), _fill8(1, 0), good, 40);
        // The copier commits the victim's root as its own.
        vm.prank(minerAccounts[1]);
        network.commitRoot(_one(tasks[0]), _fill8(1, 1), root);
        // The victim reuses its root for task 1.
        vm.prank(minerAccounts[0]);
        network.commitRoot(_one(tasks[1]), _fill8(1, 0), root);
        _commit(tasks[0], 2, keccak256("good"), 40);
        _commit(tasks[1], 1, keccak256("good"), 40);
        _commit(tasks[1], 2, keccak256("good"), 40);
        vm.roll(block.number + 1);
        _revealRoot(minerAccounts[0], _one(tasks[0]), _fill8(1, 0), good, 40, 1);

        // The copier knows the victim's revealed result and salt now: its own leaf still differs (account bound).
        RootReveal[] memory reveals = new RootReveal[](1);
        reveals[0] = RootReveal(keccak256("good"), _salt(tasks[0], 0), 40, "bafkreiresult");
        vm.prank(minerAccounts[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootMismatch.selector, root));
        network.revealRoot(root, _one(tasks[0]), _fill8(1, 1), new bytes32[](0), reveals);
        // The victim's root opens task 0's leaf only: for task 1 the leaf differs (task bound).
        reveals[0] = RootReveal(keccak256("good"), _salt(tasks[0], 0), 40, "bafkreiresult");
        vm.prank(minerAccounts[0]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootMismatch.selector, root));
        network.revealRoot(root, _one(tasks[1]), _fill8(1, 0), new bytes32[](0), reveals);
        // And the committed list of one batch cannot open a slot of the other.
        vm.prank(minerAccounts[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootNotCommitted.selector, root));
        network.revealRoot(root, _one(tasks[1]), _fill8(1, 1), new bytes32[](0), reveals);

        vm.warp(block.timestamp + 61);
        network.expire(tasks[0], 1);
        network.expire(tasks[1], 0);
        assertEq(_stake(minerIds[1]), STAKE - STAKE * params.withholdSlashBps / 10_000, "copier slashed");
        assertEq(_node(minerIds[0]).timedOut, 1, "reused root slashed as withheld");
        _assertConserved();
    }

    /// A miner lists a slot that is not its own, a task not assigned yet, or a task that does not exist: the whole
    /// batch reverts. A reveal list naming another miner's slot was never committed.
    function test_attack_root_slotsNotAssignedToTheCommitter() public {
        address miner = minerAccounts[0];
        uint8[] memory slots = new uint8[](2);
        (slots[0], slots[1]) = (0, 1);
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAssigned.selector, tasks[1], 1, miner));
        network.commitRoot(_two(tasks[0], tasks[1]), slots, keccak256("root"));
        // An outsider (not a miner of these tasks).
        vm.prank(minerAccounts[5]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAssigned.selector, tasks[0], 0, minerAccounts[5]));
        network.commitRoot(_one(tasks[0]), _fill8(1, 0), keccak256("root"));
        // A task submitted but not assigned yet (Queued, vacant slots).
        uint256 queued = _submit(sessionId);
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAssigned.selector, queued, 0, miner));
        network.commitRoot(_two(tasks[0], queued), _fill8(2, 0), keccak256("root"));
        // A task id that does not exist yet.
        uint256 future = queued + 1;
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.UnknownTask.selector, future));
        network.commitRoot(_two(tasks[0], future), _fill8(2, 0), keccak256("root"));
        // A slot index outside the table.
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAssigned.selector, tasks[0], 7, miner));
        network.commitRoot(_one(tasks[0]), _fill8(1, 7), keccak256("root"));
        assertEq(network.getTask(tasks[0]).committedMask, 0, "nothing of a refused batch was applied");

        // Miner 0 commits its own slot honestly, then tries to reveal miner 1's slot under its root.
        bytes32[] memory good = _fill32(1, keccak256("good"));
        bytes32 root = _commitRoot(miner, _one(tasks[0]), _fill8(1, 0), good, 40);
        _commit(tasks[0], 1, keccak256("good"), 40);
        _commit(tasks[0], 2, keccak256("good"), 40);
        RootReveal[] memory reveals = new RootReveal[](1);
        reveals[0] = RootReveal(keccak256("good"), _salt(tasks[0], 0), 40, "bafkreiresult");
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootNotCommitted.selector, root));
        network.revealRoot(root, _one(tasks[0]), _fill8(1, 1), new bytes32[](0), reveals);
        // Someone else presenting miner 0's batch: the batch is keyed by the committing account.
        vm.prank(minerAccounts[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootNotCommitted.selector, root));
        network.revealRoot(root, _one(tasks[0]), _fill8(1, 0), new bytes32[](0), reveals);
    }

    /// The same slot twice in one list, a slot already committed by commit, or a slot of an earlier batch: refused,
    /// so a slot has exactly one commitment and exactly one batch names it.
    function test_attack_root_duplicateEntries_refused() public {
        address miner = minerAccounts[0];
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyCommitted.selector, tasks[0], 0));
        network.commitRoot(_two(tasks[0], tasks[0]), _fill8(2, 0), keccak256("root"));
        _commit(tasks[0], 0, keccak256("good"), 40);
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyCommitted.selector, tasks[0], 0));
        network.commitRoot(_two(tasks[1], tasks[0]), _fill8(2, 0), keccak256("root"));
        _commitRoot(miner, _one(tasks[1]), _fill8(1, 0), _fill32(1, keccak256("good")), 40);
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyCommitted.selector, tasks[1], 0));
        network.commitRoot(_one(tasks[1]), _fill8(1, 0), keccak256("another root"));
        // A singly committed slot cannot be revealed through a root either.
        _honestCommits();
        RootReveal[] memory reveals = new RootReveal[](1);
        reveals[0] = RootReveal(keccak256("good"), _salt(tasks[0], 0), 40, "bafkreiresult");
        bytes32 c = _commitment(tasks[0], miner, keccak256("good"), 40, _salt(tasks[0], 0));
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootNotCommitted.selector, c));
        network.revealRoot(c, _one(tasks[0]), _fill8(1, 0), new bytes32[](0), reveals);
        // A zero root is no commitment.
        uint256 fresh = _submit(sessionId);
        _assign(fresh, _firstMiners(3));
        vm.prank(miner);
        vm.expectRevert(ITaskManager.ZeroCommitment.selector);
        network.commitRoot(_one(fresh), _fill8(1, 0), bytes32(0));
        // Padding is not an entry: leaves beyond the list are refused.
        vm.prank(miner);
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.revealRoot(c, _one(tasks[0]), _fill8(1, 0), new bytes32[](2), reveals);
    }

    /// Commit and reveal windows apply per slot: a batch commit after a slot's precommit deadline, or a batch reveal
    /// after the reveal deadline, reverts; the withheld root-committed slot is slashed like any other.
    function test_attack_root_outsideWindows_refusedAndWithholdingSlashed() public {
        address miner = minerAccounts[0];
        bytes32[] memory good = _fill32(2, keccak256("good"));
        uint40 deadline = network.getTask(tasks[0]).deadline;
        vm.warp(uint256(deadline) + 1);
        bytes32 root = _rootOf(_rootLeaves(miner, _two(tasks[0], tasks[1]), _fill8(2, 0), good, 40));
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlinePassed.selector, deadline));
        network.commitRoot(_two(tasks[0], tasks[1]), _fill8(2, 0), root);

        // Fresh tasks, committed in time.
        uint256[] memory list = _two(_submit(sessionId), _submit(sessionId));
        for (uint256 k; k < 2; ++k) {
            _assign(list[k], _firstMiners(3));
        }
        _commitRoot(miner, list, _fill8(2, 0), good, 40);
        for (uint256 k; k < 2; ++k) {
            _commit(list[k], 1, keccak256("good"), 40);
            _commit(list[k], 2, keccak256("good"), 40);
        }
        uint40 revealDeadline = network.getTask(list[0]).deadline;
        vm.warp(uint256(revealDeadline) + 1);
        (bytes32[] memory leaves, RootReveal[] memory reveals) = _rootReveals(miner, list, _fill8(2, 0), good, 40, 0x3);
        bytes32 committed = _rootOf(_rootLeaves(miner, list, _fill8(2, 0), good, 40));
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlinePassed.selector, revealDeadline));
        network.revealRoot(committed, list, _fill8(2, 0), leaves, reveals);
        network.expire(list[0], 0);
        assertEq(_stake(minerIds[0]), STAKE - STAKE * params.withholdSlashBps / 10_000, "withheld: slashed");
        // A dropped entry cannot be revealed afterwards, even with the rest of its batch.
        vm.prank(miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.SlotDropped.selector, list[0], 0));
        network.revealRoot(committed, list, _fill8(2, 0), leaves, reveals);
    }

    /// A ring owning every slot of a Replay session commits its identical garbage by roots: the fast-path audit
    /// still sends the task to validators, exactly as with single commits.
    function test_attack_root_ringStillAudited() public {
        params.auditBps = 10_000;
        _setParams(params);
        uint32 replay = _openSession(_validated(3, ValidationMode.Replay, AssignmentMode.Router), 10_000 ether);
        uint256[] memory list = _two(_submit(replay), _submit(replay));
        for (uint256 k; k < 2; ++k) {
            _assign(list[k], _firstMiners(3));
        }
        bytes32[] memory garbage = _fill32(2, keccak256("garbage"));
        for (uint8 i; i < 3; ++i) {
            _commitRoot(minerAccounts[i], list, _fill8(2, i), garbage, 40);
        }
        vm.roll(block.number + 1);
        for (uint8 i; i < 3; ++i) {
            _revealRoot(minerAccounts[i], list, _fill8(2, i), garbage, 40, 0x3);
        }
        for (uint256 k; k < 2; ++k) {
            assertEq(uint8(_status(list[k])), uint8(TaskStatus.Validating), "audited");
        }
    }
}
