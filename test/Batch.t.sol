// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskManager} from "../contracts/interfaces/ITaskManager.sol";
import {AssignmentMode, Reveal, RootReveal, TaskStatus, ValidationMode} from "../contracts/types/Types.sol";
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

    // ------------------------------------------------------------------ commitRoot / revealRoot
    function _results(uint256 n, bytes32 h) internal pure returns (bytes32[] memory) {
        return _fill32(n, h);
    }

    function test_root_fullLifecycle_settlesEveryTask() public {
        uint256[] memory taskIds = _submitMany(4);
        _assignMany(taskIds);
        bytes32[] memory results = _results(4, keccak256("r"));
        for (uint8 i; i < 3; ++i) {
            bytes32 root = _rootOf(_rootLeaves(minerAccounts[i], taskIds, _fill8(4, i), results, 20));
            // Every listed slot is committed, the event carrying the batch root.
            vm.expectEmit(address(network));
            emit ITaskManager.TaskCommitted(taskIds[3], minerIds[i], i, root);
            vm.prank(minerAccounts[i]);
            network.commitRoot(taskIds, _fill8(4, i), root);
        }
        assertEq(uint8(_status(taskIds[0])), uint8(TaskStatus.Revealing));
        assertEq(network.getTask(taskIds[0]).hashes[1], bytes32(0), "a root-committed slot stores no commitment");
        for (uint8 i; i < 3; ++i) {
            _revealRoot(minerAccounts[i], taskIds, _fill8(4, i), results, 20, 0xf);
        }
        for (uint256 k; k < 4; ++k) {
            assertEq(uint8(_status(taskIds[k])), uint8(TaskStatus.Finalized));
            assertEq(network.getTask(taskIds[k]).resultHash, keccak256("r"));
            assertEq(network.getTask(taskIds[k]).tokens[2], 20);
        }
        assertEq(_node(minerIds[0]).accepted, 4);
        assertEq(_node(minerIds[2]).open, 0);
        assertEq(_node(minerIds[1]).rewards, 4 * _net(20, params.protocolFeeBps + params.routerFeeBps));
        _assertConserved();
    }

    /// @dev Three entries (tree padded to four leaves), revealed in two calls: the entries not revealed by a call
    /// are passed as leaves.
    function test_root_partialReveals_oddBatch() public {
        uint256[] memory taskIds = _submitMany(3);
        _assignMany(taskIds);
        bytes32[] memory results = _results(3, keccak256("r"));
        for (uint8 i; i < 3; ++i) {
            _commitRoot(minerAccounts[i], taskIds, _fill8(3, i), results, 20);
        }
        _revealRoot(minerAccounts[0], taskIds, _fill8(3, 0), results, 20, 0x5);
        // Revealing an entry again is refused like any second reveal.
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyRevealed.selector, taskIds[0], 0));
        this.revealRootAs(minerAccounts[0], taskIds, _fill8(3, 0), results, 20, 0x1);
        for (uint8 i = 1; i < 3; ++i) {
            _revealRoot(minerAccounts[i], taskIds, _fill8(3, i), results, 20, 0x7);
        }
        assertEq(uint8(_status(taskIds[0])), uint8(TaskStatus.Finalized));
        assertEq(uint8(_status(taskIds[1])), uint8(TaskStatus.Revealing));
        assertEq(uint8(_status(taskIds[2])), uint8(TaskStatus.Finalized));
        _revealRoot(minerAccounts[0], taskIds, _fill8(3, 0), results, 20, 0x2);
        assertEq(uint8(_status(taskIds[1])), uint8(TaskStatus.Finalized));
        _assertConserved();
    }

    /// @dev External so a revert of the whole helper (views included) can be expected.
    function revealRootAs(
        address miner,
        uint256[] memory taskIds,
        uint8[] memory slots,
        bytes32[] memory results,
        uint32 tokens,
        uint256 mask
    ) external {
        _revealRoot(miner, taskIds, slots, results, tokens, mask);
    }

    function test_root_singleEntry_rootIsTheCommitment() public {
        uint256[] memory taskIds = _submitMany(1);
        _assignMany(taskIds);
        bytes32 c = _commitment(taskIds[0], minerAccounts[0], keccak256("r"), 20, _salt(taskIds[0], 0));
        assertEq(_commitRoot(minerAccounts[0], taskIds, _fill8(1, 0), _results(1, keccak256("r")), 20), c);
        _commit(taskIds[0], 1, keccak256("r"), 20);
        _commit(taskIds[0], 2, keccak256("r"), 20);
        _revealRoot(minerAccounts[0], taskIds, _fill8(1, 0), _results(1, keccak256("r")), 20, 1);
        _reveal(taskIds[0], 1, keccak256("r"), 20);
        _reveal(taskIds[0], 2, keccak256("r"), 20);
        assertEq(uint8(_status(taskIds[0])), uint8(TaskStatus.Finalized));
    }

    /// @dev Root and single commits mix on one task; a differing root-revealed result is outvoted and slashed like
    /// any other (its hash word is written at reveal).
    function test_root_mixedWithSingleCalls_majorityRejectsTheDissenter() public {
        uint256[] memory taskIds = _submitMany(2);
        _assignMany(taskIds);
        bytes32[] memory garbage = _results(2, keccak256("garbage"));
        _commitRoot(minerAccounts[0], taskIds, _fill8(2, 0), garbage, 20);
        for (uint256 k; k < 2; ++k) {
            _commit(taskIds[k], 1, keccak256("r"), 20);
            _commit(taskIds[k], 2, keccak256("r"), 20);
        }
        _revealRoot(minerAccounts[0], taskIds, _fill8(2, 0), garbage, 20, 0x3);
        for (uint256 k; k < 2; ++k) {
            _reveal(taskIds[k], 1, keccak256("r"), 20);
            _reveal(taskIds[k], 2, keccak256("r"), 20);
            assertEq(uint8(_status(taskIds[k])), uint8(TaskStatus.Finalized));
            assertEq(network.getTask(taskIds[k]).resultHash, keccak256("r"));
            assertEq(network.getTask(taskIds[k]).hashes[0], keccak256("garbage"));
        }
        assertEq(_node(minerIds[0]).rejected, 2);
        uint256 once = STAKE - STAKE * params.rejectSlashBps / 10_000;
        assertEq(_node(minerIds[0]).stake, once - once * params.rejectSlashBps / 10_000, "slashed once per rejection");
        _assertConserved();
    }

    function test_root_lengthMismatch_reverts() public {
        uint256[] memory taskIds = _submitMany(2);
        _assignMany(taskIds);
        vm.prank(minerAccounts[0]);
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.commitRoot(taskIds, new uint8[](1), keccak256("root"));
        vm.prank(minerAccounts[0]);
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.commitRoot(new uint256[](0), new uint8[](0), keccak256("root"));
        bytes32[] memory results = _results(2, keccak256("r"));
        bytes32 root = _commitRoot(minerAccounts[0], taskIds, _fill8(2, 0), results, 20);
        (bytes32[] memory leaves, RootReveal[] memory reveals) =
            _rootReveals(minerAccounts[0], taskIds, _fill8(2, 0), results, 20, 0x3);
        vm.startPrank(minerAccounts[0]);
        // No reveals, leaves of the wrong length, more or fewer reveals than entries to reveal.
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.revealRoot(root, taskIds, _fill8(2, 0), leaves, new RootReveal[](0));
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.revealRoot(root, taskIds, _fill8(2, 0), new bytes32[](3), reveals);
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.revealRoot(root, taskIds, _fill8(1, 0), leaves, reveals);
        RootReveal[] memory three = new RootReveal[](3);
        (three[0], three[1], three[2]) = (reveals[0], reveals[1], reveals[1]);
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.revealRoot(root, taskIds, _fill8(2, 0), leaves, three);
        RootReveal[] memory one = new RootReveal[](1);
        one[0] = reveals[0];
        vm.expectRevert(ITaskManager.BatchLengthMismatch.selector);
        network.revealRoot(root, taskIds, _fill8(2, 0), leaves, one);
        vm.stopPrank();
    }

    /// @dev Any batch size and any subset revealed: the tree the contract rebuilds is the independent one, and a
    /// change to any bound field of one revealed entry (result, token count, salt) breaks the root.
    function testFuzz_root_bindsEveryRevealedField(uint8 size, uint256 mask, uint8 which, uint8 field) public {
        uint256 n = bound(size, 1, 9);
        mask = bound(mask, 1, (1 << n) - 1);
        uint256[] memory taskIds = _submitMany(n);
        _assignMany(taskIds);
        bytes32[] memory results = new bytes32[](n);
        for (uint256 k; k < n; ++k) {
            results[k] = keccak256(abi.encode("r", k));
        }
        for (uint8 i; i < 3; ++i) {
            _commitRoot(minerAccounts[i], taskIds, _fill8(n, i), results, 20);
        }
        bytes32 root = _rootOf(_rootLeaves(minerAccounts[0], taskIds, _fill8(n, 0), results, 20));
        (bytes32[] memory leaves, RootReveal[] memory reveals) =
            _rootReveals(minerAccounts[0], taskIds, _fill8(n, 0), results, 20, mask);
        RootReveal memory r = reveals[bound(which, 0, reveals.length - 1)];
        field = uint8(bound(field, 0, 2));
        if (field == 0) r.resultHash = keccak256("other");
        else if (field == 1) r.tokens = 21;
        else r.salt = keccak256("other salt");
        vm.prank(minerAccounts[0]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RootMismatch.selector, root));
        network.revealRoot(root, taskIds, _fill8(n, 0), leaves, reveals);
        // Unchanged, the same call reveals exactly the entries of the mask.
        _revealRoot(minerAccounts[0], taskIds, _fill8(n, 0), results, 20, mask);
        for (uint256 k; k < n; ++k) {
            assertEq(network.getTask(taskIds[k]).revealedMask, mask & (1 << k) != 0 ? 1 : 0);
        }
    }
}
