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
    SessionConfig,
    SlashReason,
    TaskStatus,
    TaskView,
    ValidationMode
} from "../contracts/types/Types.sol";
import {BaseTest} from "./utils/BaseTest.sol";

/// @notice Settlement: fast path, ExactMatch majority, None, Embedding validation, fees, refunds and rewards.
contract SettlementTest is BaseTest {
    bytes32 internal constant A = keccak256("A");
    bytes32 internal constant B = keccak256("B");
    bytes32 internal constant C = keccak256("C");
    uint8 internal constant VALIDATOR_SLOT = 255;

    uint16 internal constant SCORE_UP = 5_625; // 5000 + ceil(5000 / 8)
    uint16 internal constant SCORE_DOWN = 4_375; // 5000 - ceil(5000 / 8)

    address internal stranger = makeAddr("stranger");

    function _escrow(uint256 r) internal pure returns (uint256) {
        return r * MAX_TOKENS * PRICE;
    }

    // ================================================================== fast path
    struct Expected {
        uint256 feeBps;
        uint256 paid;
        uint256 protocolFee;
        uint256 routerFee;
        uint256 refund;
    }

    function test_fastPath_allEqual_finalizesAtOnceWithExactPayouts() public {
        uint256 taskId = _revealingTask(_same(3, A), ValidationMode.ExactMatch);
        uint32[3] memory tokens = [uint32(100), 120, 90];
        Expected memory e;
        e.feeBps = params.protocolFeeBps + params.routerFeeBps; // no validation: no validator fee
        e.paid = 310 * PRICE;
        e.routerFee = e.paid * params.routerFeeBps / 10_000;
        e.protocolFee = e.paid - _net(100, e.feeBps) - _net(120, e.feeBps) - _net(90, e.feeBps) - e.routerFee;
        e.refund = _escrow(3) - e.paid;
        uint256[3] memory balances;
        for (uint256 i; i < 3; ++i) {
            balances[i] = token.balanceOf(minerAccounts[i]);
        }

        _reveal(taskId, 0, A, tokens[0]);
        _reveal(taskId, 1, A, tokens[1]);
        for (uint8 i; i < 3; ++i) {
            vm.expectEmit(address(network));
            emit ITaskManager.WorkSettled(
                taskId,
                minerIds[i],
                i,
                Outcome.Accepted,
                tokens[i],
                uint96(_net(tokens[i], e.feeBps)),
                SCORE_UP,
                uint16(tokens[i])
            );
        }
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFinalized(
            taskId,
            uint32(taskId >> 32),
            0,
            minerIds[0],
            A,
            uint112(e.paid),
            uint112(e.refund),
            uint112(e.protocolFee),
            0,
            uint112(e.routerFee)
        );
        _reveal(taskId, 2, A, tokens[2]);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(network.protocolFees(), e.protocolFee);
        assertEq(_node(routerId).rewards, e.routerFee);
        assertEq(_sessionOf(uint32(taskId >> 32)).deposit, DEPOSIT - e.paid);
        assertEq(_sessionOf(uint32(taskId >> 32)).escrowed, 0);
        for (uint256 i; i < 3; ++i) {
            Node memory n = _node(minerIds[i]);
            assertEq(n.rewards, _net(tokens[i], e.feeBps));
            assertEq(n.accepted, 1);
            assertEq(n.tokensServed, tokens[i]);
            assertEq(n.score, SCORE_UP);
            assertEq(n.speed, tokens[i]); // committed in the assignment second: delay counts as 1 s
            assertEq(n.stake, STAKE);
            // Rewards are pulled, never pushed.
            assertEq(token.balanceOf(minerAccounts[i]), balances[i]);
        }
        TaskView memory v = network.getTask(taskId);
        assertEq(v.resultHash, A);
        assertEq(v.winnerNodeId, minerIds[0]);
        assertEq(v.escrow, 0);
        for (uint256 i; i < 3; ++i) {
            assertEq(v.hashes[i], A);
            assertEq(v.tokens[i], tokens[i]);
        }
        _assertConserved();
    }

    function test_fastPath_winnerIsFirstRevealer() public {
        uint256 taskId = _revealingTask(_same(3, A), ValidationMode.ExactMatch);
        _reveal(taskId, 2, A, 7);
        _reveal(taskId, 0, A, 8);
        _reveal(taskId, 1, A, 9);
        TaskView memory v = network.getTask(taskId);
        assertEq(v.winnerNodeId, minerIds[2]);
        assertEq(v.resultHash, A);
        assertEq(v.tokens[0], 8);
        assertEq(v.tokens[1], 9);
        assertEq(v.tokens[2], 7);
    }

    function test_fastPath_embeddingModeSkipsValidators() public {
        uint256 taskId = _revealingTask(_same(2, A), ValidationMode.Embedding);
        _reveal(taskId, 0, A, 50);
        _reveal(taskId, 1, A, 50);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        // No validator fee is charged when nobody had to validate.
        assertEq(_node(minerIds[0]).rewards, _net(50, params.protocolFeeBps + params.routerFeeBps));
    }

    function test_fastPath_speedFromCommitDelay() public {
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        vm.warp(block.timestamp + 10);
        _commit(taskId, 0, A);
        _reveal(taskId, 0, A, 200);
        assertEq(_node(minerIds[0]).speed, 20); // 200 tokens / 10 s
    }

    function test_fastPath_zeroTokens_paysNothingAndRefundsAll() public {
        uint256 taskId = _revealingTask(_same(2, A), ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 0);
        _reveal(taskId, 1, A, 0);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_sessionOf(network.getTask(taskId).sessionId).deposit, DEPOSIT);
        assertEq(_node(minerIds[1]).accepted, 1);
        _assertConserved();
    }

    function test_settle_noRouter_noRouterFee() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Claim);
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
        _commitRevealAll(taskId, _same(1, A), 100);
        assertEq(_node(minerIds[0]).rewards, _net(100, params.protocolFeeBps));
        assertEq(network.protocolFees(), 100 * PRICE - _net(100, params.protocolFeeBps));
        assertEq(_node(routerId).rewards, 0);
    }

    // ================================================================== ExactMatch
    function test_exactMatch_majority_acceptsTwoRejectsAndSlashesMinority() public {
        uint256 taskId = _revealingTask(_hashes3(A, A, B), ValidationMode.ExactMatch);
        uint32 sessionId = network.getTask(taskId).sessionId;
        uint256 feeBps = params.protocolFeeBps + params.routerFeeBps;
        uint256 paid = 200 * PRICE;
        uint256 routerFee = paid * params.routerFeeBps / 10_000;
        uint256 protocolFee = paid - 2 * _net(100, feeBps) - routerFee;
        uint96 slash = uint96(uint256(STAKE) * params.rejectSlashBps / 10_000);

        _reveal(taskId, 0, A, 100);
        _reveal(taskId, 1, A, 100);
        vm.expectEmit(address(network));
        emit ITaskManager.WorkSettled(taskId, minerIds[2], 2, Outcome.Rejected, 0, 0, SCORE_DOWN, 0);
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeSlashed(
            minerIds[2], taskId, SlashReason.Rejected, slash, STAKE - slash, NodeStatus.Active
        );
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFinalized(
            taskId,
            sessionId,
            0,
            minerIds[0],
            A,
            uint112(paid),
            uint112(_escrow(3) - paid),
            uint112(protocolFee),
            0,
            uint112(routerFee)
        );
        _reveal(taskId, 2, B, 100);

        Node memory minority = _node(minerIds[2]);
        assertEq(minority.rejected, 1);
        assertEq(minority.rewards, 0);
        assertEq(minority.stake, STAKE - slash);
        assertEq(minority.score, SCORE_DOWN);
        assertEq(_node(minerIds[1]).rewards, _net(100, feeBps));
        assertEq(network.protocolFees(), protocolFee + slash);
        assertEq(network.getTask(taskId).hashes[2], B);
        _assertConserved();
    }

    function test_exactMatch_majorityWithoutLead_winsLowestMajoritySlot() public {
        uint256 taskId = _revealingTask(_hashes3(B, A, A), ValidationMode.ExactMatch);
        _reveal(taskId, 0, B, 10); // the lead, outvoted
        _reveal(taskId, 1, A, 20);
        _reveal(taskId, 2, A, 30);
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.resultHash, A);
        assertEq(v.winnerNodeId, minerIds[1]);
        assertEq(v.tokens[1], 20);
        assertEq(v.tokens[2], 30);
        assertEq(_node(minerIds[0]).rejected, 1);
        assertEq(_node(minerIds[2]).tokensServed, 30);
        _assertConserved();
    }

    function test_exactMatch_noMajority_failsAndRefundsWithoutSlashing() public {
        uint256 taskId = _revealingTask(_hashes3(A, B, C), ValidationMode.ExactMatch);
        uint32 sessionId = network.getTask(taskId).sessionId;
        _reveal(taskId, 0, A, 10);
        _reveal(taskId, 1, B, 10);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.NoMajority, uint112(_escrow(3)));
        _reveal(taskId, 2, C, 10);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        assertEq(_sessionOf(sessionId).escrowed, 0);
        for (uint256 i; i < 3; ++i) {
            assertEq(_node(minerIds[i]).stake, STAKE);
            assertEq(_node(minerIds[i]).rewards, 0);
            assertEq(_node(minerIds[i]).rejected, 0);
        }
        assertEq(network.protocolFees(), 0);
        _assertConserved();
    }

    function test_exactMatch_evenSplit_noMajority() public {
        bytes32[] memory hashes = new bytes32[](2);
        (hashes[0], hashes[1]) = (A, B);
        uint256 taskId = _revealingTask(hashes, ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 1);
        _reveal(taskId, 1, B, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
    }

    // ================================================================== None
    function test_none_acceptsEveryRevealedResult() public {
        bytes32[] memory hashes = new bytes32[](2);
        (hashes[0], hashes[1]) = (A, B);
        uint256 taskId = _revealingTask(hashes, ValidationMode.None);
        _reveal(taskId, 1, B, 10);
        _reveal(taskId, 0, A, 20);
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.resultHash, B); // the lead (first revealed)
        assertEq(v.winnerNodeId, minerIds[1]);
        uint256 feeBps = params.protocolFeeBps + params.routerFeeBps;
        assertEq(_node(minerIds[0]).rewards, _net(20, feeBps));
        assertEq(_node(minerIds[1]).rewards, _net(10, feeBps));
        assertEq(_node(minerIds[0]).rejected, 0);
    }

    // ================================================================== Embedding
    /// @dev R=3 Embedding session with quorum 3; slots 0 and 1 agree, slot 2 differs; status Validating.
    function _validatingTask(uint8 quorum) internal returns (uint256 taskId) {
        SessionConfig memory c = _config(3, ValidationMode.Embedding, AssignmentMode.Router);
        c.quorum = quorum;
        taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _firstMiners(3));
        _commitRevealAll(taskId, _hashes3(A, A, B), 100);
    }

    function test_embedding_disagreement_entersValidating() public {
        SessionConfig memory c = _config(3, ValidationMode.Embedding, AssignmentMode.Router);
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _firstMiners(3));
        bytes32[] memory hashes = _hashes3(A, A, B);
        for (uint8 i; i < 3; ++i) {
            _commit(taskId, i, hashes[i]);
        }
        _reveal(taskId, 0, A, 1);
        _reveal(taskId, 1, A, 1);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskPhaseChanged(taskId, TaskStatus.Validating, uint40(block.timestamp + 60));
        _reveal(taskId, 2, B, 1);
    }

    function test_embedding_quorumOfThree_medianWinnerAndDeviatingValidator() public {
        uint256 taskId = _validatingTask(3);
        _attest(0, taskId, _scores(9_500, 9_900, 3_000));
        _attest(1, taskId, _scores(9_600, 9_800, 2_000));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Validating)); // below quorum

        // Medians: 9500, 9800, 3000. Threshold 8000: slots 0 and 1 accepted, slot 1 wins (9800).
        // Validator 2 is 6000 away from the slot-2 median (> 2000): no fee, reputation down.
        Expected memory e;
        e.feeBps = params.protocolFeeBps + params.validatorFeeBps + params.routerFeeBps;
        e.paid = 200 * PRICE;
        uint256 validatorFee = e.paid * params.validatorFeeBps / 10_000;
        e.routerFee = e.paid * params.routerFeeBps / 10_000;
        e.protocolFee = e.paid - 2 * _net(100, e.feeBps) - validatorFee - e.routerFee;
        vm.expectEmit(address(network));
        emit ITaskManager.WorkSettled(taskId, validatorIds[2], VALIDATOR_SLOT, Outcome.Rejected, 0, 0, SCORE_DOWN, 0);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFinalized(
            taskId,
            uint32(taskId >> 32),
            1,
            minerIds[1],
            A,
            uint112(e.paid),
            uint112(_escrow(3) - e.paid),
            uint112(e.protocolFee),
            uint112(validatorFee),
            uint112(e.routerFee)
        );
        _attest(2, taskId, _scores(9_000, 9_000, 9_000));

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_node(minerIds[0]).rewards, _net(100, e.feeBps));
        assertEq(_node(minerIds[1]).rewards, _net(100, e.feeBps));
        assertEq(_node(minerIds[2]).rejected, 1);
        assertEq(_node(minerIds[2]).stake, STAKE - uint96(uint256(STAKE) * params.rejectSlashBps / 10_000));
        assertEq(_node(validatorIds[0]).rewards, validatorFee / 2);
        assertEq(_node(validatorIds[1]).rewards, validatorFee / 2);
        assertEq(_node(validatorIds[0]).accepted, 1);
        assertEq(_node(validatorIds[0]).score, SCORE_UP);
        assertEq(_node(validatorIds[2]).rewards, 0);
        assertEq(_node(validatorIds[2]).rejected, 1);
        assertEq(_node(validatorIds[2]).score, SCORE_DOWN);
        TaskView memory v = network.getTask(taskId);
        assertEq(v.resultHash, A);
        assertEq(v.winnerNodeId, minerIds[1]);
        assertEq(v.attestations, 3);
        _assertConserved();
    }

    function test_embedding_allBelowThreshold_failsAndRejectsAll() public {
        uint256 taskId = _validatingTask(1);
        uint32 sessionId = network.getTask(taskId).sessionId;
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.AllRejected, uint112(_escrow(3)));
        _attest(0, taskId, _scores(7_999, 5_000, 100));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        for (uint256 i; i < 3; ++i) {
            assertEq(_node(minerIds[i]).rejected, 1);
            assertLt(_node(minerIds[i]).stake, STAKE);
        }
        assertEq(_node(validatorIds[0]).accepted, 1);
        assertEq(_node(validatorIds[0]).rewards, 0);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        _assertConserved();
    }

    function test_embedding_finalizeAfterDeadline_withFewerThanQuorum() public {
        uint256 taskId = _validatingTask(3);
        _attest(0, taskId, _scores(9_000, 9_000, 8_000));
        _attest(1, taskId, _scores(8_000, 9_000, 7_000));
        uint40 deadline = network.getTask(taskId).deadline;
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlineNotPassed.selector, deadline));
        network.finalize(taskId);

        vm.warp(deadline + 1);
        network.finalize(taskId);
        // Medians of two: 8500, 9000, 7500 → slots 0 and 1 accepted, slot 1 wins.
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.winnerNodeId, minerIds[1]);
        assertEq(_node(minerIds[2]).rejected, 1);
        assertEq(_node(validatorIds[0]).accepted, 1);
        assertEq(_node(validatorIds[1]).accepted, 1);
        _assertConserved();
    }

    function test_embedding_finalizeWithoutAttestations_fails() public {
        uint256 taskId = _validatingTask(1);
        vm.warp(network.getTask(taskId).deadline + 1);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(
            taskId, network.getTask(taskId).sessionId, FailReason.NoAttestations, uint112(_escrow(3))
        );
        network.finalize(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        _assertConserved();
    }

    function test_finalize_wrongPhase_reverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.Embedding);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Committing));
        network.finalize(taskId);
    }

    function test_attest_storesAttestation() public {
        uint256 taskId = _validatingTask(2);
        uint16[] memory scores = _scores(1, 2, 3);
        vm.expectEmit(address(network));
        emit ITaskManager.Attested(taskId, validatorIds[1], scores);
        _attest(1, taskId, scores);
        (uint32 validatorId, uint16[] memory stored) = network.getAttestation(taskId, 0);
        assertEq(validatorId, validatorIds[1]);
        assertEq(stored.length, 3);
        assertEq(stored[2], 3);
    }

    function test_attest_wrongPhase_reverts() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.Embedding);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Revealing));
        _attest(0, taskId, _scores(1, 1, 1));
    }

    function test_attest_late_reverts() public {
        uint256 taskId = _validatingTask(1);
        uint40 deadline = network.getTask(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlinePassed.selector, deadline));
        _attest(0, taskId, _scores(1, 1, 1));
    }

    function test_attest_notValidator_reverts() public {
        uint256 taskId = _validatingTask(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotValidator.selector, minerAccounts[0]));
        vm.prank(minerAccounts[0]);
        network.attest(taskId, _scores(1, 1, 1));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotValidator.selector, stranger));
        vm.prank(stranger);
        network.attest(taskId, _scores(1, 1, 1));
    }

    function test_attest_jailedValidator_reverts() public {
        uint256 taskId = _validatingTask(1);
        vm.prank(owner);
        network.jail(validatorIds[0], 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotValidator.selector, validatorAccounts[0]));
        _attest(0, taskId, _scores(1, 1, 1));
    }

    function test_attest_wrongLength_reverts() public {
        uint256 taskId = _validatingTask(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.ScoresLengthMismatch.selector, 3, 2));
        _attest(0, taskId, new uint16[](2));
    }

    function test_attest_twice_reverts() public {
        uint256 taskId = _validatingTask(2);
        _attest(0, taskId, _scores(1, 1, 1));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyAttested.selector, taskId, validatorIds[0]));
        _attest(0, taskId, _scores(1, 1, 1));
    }

    function test_attest_scoreOutOfRange_reverts() public {
        uint256 taskId = _validatingTask(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.ScoreOutOfRange.selector, 10_001));
        _attest(0, taskId, _scores(10_000, 10_001, 0));
    }

    // ================================================================== ended registrations
    function test_settle_unregisteredMiner_notPaid() public {
        SessionConfig memory c = _config(2, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.revealWindow = 7 days;
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _firstMiners(2));
        _commit(taskId, 0, A);
        _commit(taskId, 1, A);
        _reveal(taskId, 0, A, 100);
        vm.prank(minerAccounts[0]);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        vm.prank(minerAccounts[0]);
        network.withdrawStake();
        _reveal(taskId, 1, A, 100);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_node(minerIds[0]).rewards, 0);
        assertEq(_node(minerIds[0]).accepted, 0);
        assertEq(_node(minerIds[1]).rewards, _net(100, params.protocolFeeBps + params.routerFeeBps));
        // The unpaid share stayed with the client.
        assertEq(_sessionOf(network.getTask(taskId).sessionId).deposit, DEPOSIT - 100 * PRICE);
        _assertConserved();
    }

    function test_settle_unregisteredRouter_feeGoesToProtocol() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.revealWindow = 7 days;
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _ids(minerIds[0]));
        _commit(taskId, 0, A);
        vm.prank(routerAccount);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        vm.prank(routerAccount);
        network.withdrawStake();
        _reveal(taskId, 0, A, 100);

        uint256 feeBps = params.protocolFeeBps + params.routerFeeBps; // still charged: the client's price is fixed
        assertEq(_node(routerId).rewards, 0);
        assertEq(network.protocolFees(), 100 * PRICE - _net(100, feeBps));
        _assertConserved();
    }
}
