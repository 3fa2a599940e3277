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
    Role,
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

    uint16 internal constant SCORE_UP = 5_625; // 5000 + 5000 / 8: a full step (the result paid >= reputationFeeUnit)
    uint16 internal constant SCORE_DOWN = 4_375; // 5000 - ceil(5000 / 8)

    address internal stranger = makeAddr("stranger");

    /// @dev Every protocol fee earns a full reputation step (the default unit is tested in the reputation section).
    function _fullReputationSteps() internal {
        Params memory p = params;
        p.reputationFeeUnit = 0;
        _setParams(p);
        params = p;
    }

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

    /// @dev A Router-mode task assigned to the first R miners, slot i committing `hashes[i]` with `tokens[i]`.
    function _revealingTaskTokens(bytes32[] memory hashes, uint32[] memory tokens, ValidationMode mode)
        internal
        returns (uint256 taskId)
    {
        taskId = _assignedTask(uint8(hashes.length), mode);
        for (uint8 i; i < hashes.length; ++i) {
            _commit(taskId, i, hashes[i], tokens[i]);
        }
    }

    function _tokens3(uint32 a, uint32 b, uint32 c) internal pure returns (uint32[] memory tokens) {
        tokens = new uint32[](3);
        (tokens[0], tokens[1], tokens[2]) = (a, b, c);
    }

    function _sessionIdOf(uint256 taskId) internal pure returns (uint32) {
        return uint32(taskId >> 32);
    }

    function test_fastPath_allEqual_finalizesAtOnceWithExactPayouts() public {
        _fullReputationSteps();
        uint256 taskId = _revealingTask(_same(3, A), ValidationMode.ExactMatch, 100);
        Expected memory e;
        e.feeBps = params.protocolFeeBps + params.routerFeeBps; // no validation: no validator fee
        e.paid = 300 * PRICE;
        e.routerFee = e.paid * params.routerFeeBps / 10_000;
        e.protocolFee = e.paid - 3 * _net(100, e.feeBps) - e.routerFee;
        e.refund = _escrow(3) - e.paid;
        uint256[3] memory balances;
        for (uint256 i; i < 3; ++i) {
            balances[i] = token.balanceOf(minerAccounts[i]);
            assertEq(_node(minerIds[i]).open, 1);
        }

        _reveal(taskId, 0, A, 100);
        _reveal(taskId, 1, A, 100);
        // Speed: 100 tokens in the assignment second (delay counts as 1 s), a quarter step from 0 → 25.
        for (uint8 i; i < 3; ++i) {
            vm.expectEmit(address(network));
            emit ITaskManager.WorkSettled(
                taskId, minerIds[i], i, Outcome.Accepted, 100, uint96(_net(100, e.feeBps)), SCORE_UP, 25
            );
        }
        vm.expectEmit(address(network));
        emit ITaskManager.RouterFeePaid(taskId, routerId, uint96(e.routerFee));
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFinalized(
            taskId,
            _sessionIdOf(taskId),
            0,
            minerIds[0],
            A,
            uint112(e.paid),
            uint112(e.refund),
            uint112(e.protocolFee),
            0,
            uint112(e.routerFee),
            routerId
        );
        _reveal(taskId, 2, A, 100);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(network.protocolFees(), e.protocolFee);
        assertEq(_node(routerId).rewards, e.routerFee);
        assertEq(_sessionOf(_sessionIdOf(taskId)).deposit, DEPOSIT - e.paid);
        assertEq(_sessionOf(_sessionIdOf(taskId)).escrowed, 0);
        for (uint256 i; i < 3; ++i) {
            Node memory n = _node(minerIds[i]);
            assertEq(n.rewards, _net(100, e.feeBps));
            assertEq(n.accepted, 1);
            assertEq(n.tokensServed, 100);
            assertEq(n.score, SCORE_UP);
            assertEq(n.speed, 25);
            assertEq(n.stake, STAKE);
            assertEq(n.open, 0); // the assignment is released exactly once
            // Rewards are pulled, never pushed.
            assertEq(token.balanceOf(minerAccounts[i]), balances[i]);
        }
        TaskView memory v = network.getTask(taskId);
        assertEq(v.resultHash, A);
        assertEq(v.winnerNodeId, minerIds[0]);
        assertEq(v.assignerId, routerId);
        assertEq(v.escrow, 0);
        for (uint256 i; i < 3; ++i) {
            assertEq(v.hashes[i], A);
            assertEq(v.tokens[i], 100);
        }
        _assertConserved();
    }

    function test_fastPath_winnerIsFirstRevealer() public {
        uint256 taskId = _revealingTask(_same(3, A), ValidationMode.ExactMatch, 8);
        _reveal(taskId, 2, A, 8);
        _reveal(taskId, 0, A, 8);
        _reveal(taskId, 1, A, 8);
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.winnerNodeId, minerIds[2]);
        assertEq(v.resultHash, A);
        for (uint256 i; i < 3; ++i) {
            assertEq(v.tokens[i], 8);
        }
    }

    /// @dev Same hash, another token count: not the same result. The (hash, tokens) majority is paid its count, the
    /// miner that claimed more tokens is rejected (M-2: identical results are paid the same count).
    function test_exactMatch_sameHashMoreTokens_rejected() public {
        uint256 taskId = _revealingTaskTokens(_hashes3(A, A, A), _tokens3(30, 30, 256), ValidationMode.ExactMatch);
        _reveal(taskId, 0, A, 30);
        _reveal(taskId, 1, A, 30);
        _reveal(taskId, 2, A, 256);
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.tokens[2], 256);
        uint256 feeBps = params.protocolFeeBps + params.routerFeeBps;
        assertEq(_node(minerIds[0]).rewards, _net(30, feeBps));
        assertEq(_node(minerIds[1]).rewards, _net(30, feeBps));
        assertEq(_node(minerIds[2]).rewards, 0);
        assertEq(_node(minerIds[2]).rejected, 1);
        assertEq(_sessionOf(v.sessionId).deposit, DEPOSIT - 60 * PRICE);
        _assertConserved();
    }

    function test_fastPath_embeddingModeSkipsValidators() public {
        uint256 taskId = _revealingTask(_same(2, A), ValidationMode.Embedding, 50);
        _reveal(taskId, 0, A, 50);
        _reveal(taskId, 1, A, 50);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        // No validator fee is charged when nobody had to validate.
        assertEq(_node(minerIds[0]).rewards, _net(50, params.protocolFeeBps + params.routerFeeBps));
    }

    function _auditEverything() internal {
        Params memory p = params;
        p.auditBps = 10_000;
        _setParams(p);
        params = p;
    }

    /// @dev Fast-path audit: agreeing results of a Router (or Claim) Embedding / Replay session go to validators
    /// with probability auditBps (here always), who then settle them and earn the validator fee.
    function test_fastPath_audited_goesToValidators() public {
        _auditEverything();
        uint256 taskId = _revealingTask(_same(2, A), ValidationMode.Embedding, 50);
        _reveal(taskId, 0, A, 50);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskPhaseChanged(taskId, TaskStatus.Validating, uint40(block.timestamp + 60));
        _reveal(taskId, 1, A, 50);
        uint16[] memory scores = new uint16[](2);
        (scores[0], scores[1]) = (9_000, 9_000);
        _attest(0, taskId, scores);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        uint256 feeBps = params.protocolFeeBps + params.validatorFeeBps + params.routerFeeBps;
        assertEq(_node(minerIds[0]).rewards, _net(50, feeBps));
        assertEq(_node(validatorIds[0]).rewards, 100 * PRICE * params.validatorFeeBps / 10_000);
        _assertConserved();
    }

    /// @dev The audit sample can also reject garbage two sybils agreed on (M-5).
    function test_fastPath_audited_agreeingGarbageRejected() public {
        _auditEverything();
        uint256 taskId = _revealingTask(_same(2, A), ValidationMode.Replay, 50);
        _reveal(taskId, 0, A, 50);
        _reveal(taskId, 1, A, 50);
        uint16[] memory scores = new uint16[](2);
        _attest(0, taskId, scores);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_node(minerIds[0]).rejected, 1);
        assertEq(_node(minerIds[1]).rejected, 1);
        assertEq(_sessionOf(_sessionIdOf(taskId)).deposit, DEPOSIT);
        _assertConserved();
    }

    function test_fastPath_dedicatedOrExactMatch_neverAudited() public {
        _auditEverything();
        uint256 dedicated = _submit(_session(2, ValidationMode.Embedding, AssignmentMode.Dedicated));
        _commitRevealAll(dedicated, _same(2, A), 5);
        assertEq(uint8(_status(dedicated)), uint8(TaskStatus.Finalized));
        uint256 exact = _revealingTask(_same(2, A), ValidationMode.ExactMatch, 5);
        _reveal(exact, 0, A, 5);
        _reveal(exact, 1, A, 5);
        assertEq(uint8(_status(exact)), uint8(TaskStatus.Finalized));
    }

    function test_fastPath_speedFromCommitDelay() public {
        _fullReputationSteps();
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        vm.warp(block.timestamp + 10);
        _commit(taskId, 0, A, 200);
        _reveal(taskId, 0, A, 200);
        assertEq(_node(minerIds[0]).speed, 5); // 200 tokens / 10 s = 20, a quarter step from 0
    }

    function test_fastPath_zeroTokens_paysNothingAndRefundsAll() public {
        uint256 taskId = _revealingTask(_same(2, A), ValidationMode.ExactMatch, 0);
        _reveal(taskId, 0, A, 0);
        _reveal(taskId, 1, A, 0);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_sessionOf(network.getTask(taskId).sessionId).deposit, DEPOSIT);
        assertEq(_node(minerIds[1]).accepted, 1);
        assertEq(_node(minerIds[1]).score, 5_000); // no fee paid, no reputation earned
        _assertConserved();
    }

    // ================================================================== reputation costs money
    function test_reputation_defaultUnit_tinyFeeEarnsNothing() public {
        // 100 tokens at PRICE pay a 2e12 wei protocol fee, far below the 12.5 COR reputationFeeUnit.
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 100);
        _reveal(taskId, 0, A, 100);
        Node memory n = _node(minerIds[0]);
        assertEq(n.accepted, 1);
        assertEq(n.tokensServed, 100);
        assertEq(n.score, 5_000);
        assertEq(n.speed, 0);
        assertGt(n.rewards, 0);
    }

    function test_reputation_stepWeightedByFee() public {
        Params memory p = params;
        // The result pays 100 * PRICE * 2% = 2e12 protocol fee: half a unit → half a step.
        p.reputationFeeUnit = 4e12;
        _setParams(p);
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 100);
        _reveal(taskId, 0, A, 100);
        assertEq(_node(minerIds[0]).score, 5_312); // 5000 + 5000 * 0.5 / 8, floored
        assertEq(_node(minerIds[0]).speed, 12); // 100 * 0.5 / 4, floored
    }

    function testFuzz_reputation_neverAboveFullStep(uint96 unit, uint32 tokens) public {
        tokens = uint32(bound(tokens, 0, MAX_TOKENS));
        Params memory p = params;
        p.reputationFeeUnit = uint96(bound(unit, 0, 100 ether));
        _setParams(p);
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, tokens);
        _reveal(taskId, 0, A, tokens);
        uint16 score = _node(minerIds[0]).score;
        assertGe(score, 5_000);
        assertLe(score, SCORE_UP);
    }

    // ================================================================== router fee
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

    /// @dev The session owner assigning its own task pays no router fee: miners get everything but the protocol fee.
    function test_settle_ownerAssigned_noRouterFee() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        vm.prank(client);
        network.assignTask(taskId, _ids(minerIds[0]));
        _commit(taskId, 0, A, 100);
        uint256 paid = 100 * PRICE;
        uint256 net = _net(100, params.protocolFeeBps);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFinalized(
            taskId,
            sessionId,
            0,
            minerIds[0],
            A,
            uint112(paid),
            uint112(_escrow(1) - paid),
            uint112(paid - net),
            0,
            0,
            0
        );
        _reveal(taskId, 0, A, 100);
        assertEq(_node(minerIds[0]).rewards, net);
        assertEq(_node(routerId).rewards, 0);
        _assertConserved();
    }

    /// @dev L-5: swapping the session's router after assignment does not move the fee: it goes to the assigner.
    function test_settle_routerSwappedAfterAssign_feeToAssigningRouter() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 100);
        address other = makeAddr("router2");
        _fund(other, 10_000 ether);
        uint32 otherId = _register(other, Role.Router);
        vm.prank(client);
        network.setSessionRouter(_sessionIdOf(taskId), otherId);

        uint256 routerFee = 100 * PRICE * params.routerFeeBps / 10_000;
        vm.expectEmit(address(network));
        emit ITaskManager.RouterFeePaid(taskId, routerId, uint96(routerFee));
        _reveal(taskId, 0, A, 100);
        assertEq(_node(routerId).rewards, routerFee);
        assertEq(_node(otherId).rewards, 0);
        _assertConserved();
    }

    /// @dev L-4: a router jailed after assigning earns nothing; its fee goes to the protocol (the client's price is
    /// fixed, so the miner's share does not change).
    function test_settle_jailedRouter_feeGoesToProtocol() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 100);
        vm.prank(owner);
        network.jail(routerId, 1 days);
        _reveal(taskId, 0, A, 100);
        uint256 feeBps = params.protocolFeeBps + params.routerFeeBps;
        assertEq(_node(routerId).rewards, 0);
        assertEq(_node(minerIds[0]).rewards, _net(100, feeBps));
        assertEq(network.protocolFees(), 100 * PRICE - _net(100, feeBps));
        _assertConserved();
    }

    function test_settle_exitingRouter_feeGoesToProtocol() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.ExactMatch, 100);
        vm.prank(routerAccount);
        network.requestExit();
        _reveal(taskId, 0, A, 100);
        assertEq(_node(routerId).rewards, 0);
        assertEq(network.protocolFees(), 100 * PRICE - _net(100, params.protocolFeeBps + params.routerFeeBps));
        _assertConserved();
    }

    // ================================================================== ExactMatch
    function test_exactMatch_majority_acceptsTwoRejectsAndSlashesMinority() public {
        uint256 taskId = _revealingTask(_hashes3(A, A, B), ValidationMode.ExactMatch, 100);
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
            uint112(routerFee),
            routerId
        );
        _reveal(taskId, 2, B, 100);

        Node memory minority = _node(minerIds[2]);
        assertEq(minority.rejected, 1);
        assertEq(minority.rewards, 0);
        assertEq(minority.stake, STAKE - slash);
        assertEq(minority.score, SCORE_DOWN);
        assertEq(minority.open, 0);
        assertEq(_node(minerIds[1]).rewards, _net(100, feeBps));
        assertEq(network.protocolFees(), protocolFee + slash);
        assertEq(network.getTask(taskId).hashes[2], B);
        _assertConserved();
    }

    function test_exactMatch_majorityWithoutLead_winsLowestMajoritySlot() public {
        uint256 taskId = _revealingTaskTokens(_hashes3(B, A, A), _tokens3(10, 20, 20), ValidationMode.ExactMatch);
        _reveal(taskId, 0, B, 10); // the lead, outvoted
        _reveal(taskId, 1, A, 20);
        _reveal(taskId, 2, A, 20);
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.resultHash, A);
        assertEq(v.winnerNodeId, minerIds[1]);
        assertEq(v.tokens[0], 10);
        assertEq(v.tokens[1], 20);
        assertEq(v.tokens[2], 20);
        assertEq(_node(minerIds[0]).rejected, 1);
        assertEq(_node(minerIds[2]).tokensServed, 20);
        _assertConserved();
    }

    /// @dev No strict majority: nobody can tell who is wrong, but the client has every result, so every revealed
    /// miner is paid (Unverified: no reputation change), nobody is slashed, only the protocol fee is taken.
    function test_exactMatch_noMajority_paysEveryRevealedMinerUnverified() public {
        uint256 taskId = _revealingTask(_hashes3(A, B, C), ValidationMode.ExactMatch, 10);
        uint32 sessionId = network.getTask(taskId).sessionId;
        uint256 paid = 30 * PRICE;
        uint256 net = _net(10, params.protocolFeeBps);
        _reveal(taskId, 0, A, 10);
        _reveal(taskId, 1, B, 10);
        for (uint8 i; i < 3; ++i) {
            vm.expectEmit(address(network));
            emit ITaskManager.WorkSettled(taskId, minerIds[i], i, Outcome.Unverified, 10, uint96(net), 5_000, 0);
        }
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(
            taskId, sessionId, FailReason.NoMajority, uint112(paid), uint112(_escrow(3) - paid)
        );
        _reveal(taskId, 2, C, 10);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT - paid);
        assertEq(_sessionOf(sessionId).escrowed, 0);
        for (uint256 i; i < 3; ++i) {
            Node memory n = _node(minerIds[i]);
            assertEq(n.stake, STAKE);
            assertEq(n.rewards, net);
            assertEq(n.rejected, 0);
            assertEq(n.accepted, 0);
            assertEq(n.score, 5_000);
            assertEq(n.open, 0);
        }
        assertEq(_node(routerId).rewards, 0); // no verdict, no router fee
        assertEq(network.protocolFees(), paid - 3 * net);
        _assertConserved();
    }

    /// @dev M-4: with R=2, a sybil revealing garbage no longer makes the honest miner work for free.
    function test_exactMatch_evenSplit_noMajority_paysBoth() public {
        bytes32[] memory hashes = new bytes32[](2);
        (hashes[0], hashes[1]) = (A, B);
        uint256 taskId = _revealingTask(hashes, ValidationMode.ExactMatch, 40);
        _reveal(taskId, 0, A, 40);
        _reveal(taskId, 1, B, 40);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_node(minerIds[0]).rewards, _net(40, params.protocolFeeBps));
        assertEq(_node(minerIds[1]).rewards, _net(40, params.protocolFeeBps));
        assertEq(_node(minerIds[1]).stake, STAKE);
        _assertConserved();
    }

    // ================================================================== None
    function test_none_acceptsEveryRevealedResult() public {
        bytes32[] memory hashes = new bytes32[](2);
        (hashes[0], hashes[1]) = (A, B);
        uint32[] memory tokens = new uint32[](2);
        (tokens[0], tokens[1]) = (20, 10);
        uint256 taskId = _revealingTaskTokens(hashes, tokens, ValidationMode.None);
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

    // ================================================================== Embedding / Replay
    /// @dev R=3 session in `mode` with `quorum`; slots 0 and 1 agree, slot 2 differs (100 tokens each); Validating.
    function _validatingTaskIn(ValidationMode mode, uint8 quorum) internal returns (uint256 taskId) {
        SessionConfig memory c = _config(3, mode, AssignmentMode.Router);
        c.quorum = quorum;
        taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _firstMiners(3));
        // Three different results: validators may score them apart (identical results must get equal scores).
        _commitRevealAll(taskId, _hashes3(A, keccak256("a2"), B), 100);
    }

    function _validatingTask(uint8 quorum) internal returns (uint256 taskId) {
        return _validatingTaskIn(ValidationMode.Embedding, quorum);
    }

    function test_embedding_disagreement_entersValidating() public {
        uint256 taskId = _revealingTask(_hashes3(A, A, B), ValidationMode.Embedding, 1);
        _reveal(taskId, 0, A, 1);
        _reveal(taskId, 1, A, 1);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskPhaseChanged(taskId, TaskStatus.Validating, uint40(block.timestamp + 60));
        _reveal(taskId, 2, B, 1);
    }

    function test_embedding_quorumOfThree_medianWinnerAndDeviatingValidatorSlashed() public {
        uint256 taskId = _validatingTask(3);
        _attest(0, taskId, _scores(9_500, 9_900, 3_000));
        _attest(1, taskId, _scores(9_600, 9_800, 2_000));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Validating)); // below quorum
        assertEq(_node(validatorIds[0]).open, 1);

        // Medians: 9500, 9800, 3000. Bar (embeddingBarBps) 8000: slots 0 and 1 accepted, slot 1 wins (9800).
        // Validator 2 is 6000 away from the slot-2 median (> attestDeviationBps 1000): slashed, no fee.
        Expected memory e;
        e.feeBps = params.protocolFeeBps + params.validatorFeeBps + params.routerFeeBps;
        e.paid = 200 * PRICE;
        uint256 validatorFee = e.paid * params.validatorFeeBps / 10_000;
        e.routerFee = e.paid * params.routerFeeBps / 10_000;
        e.protocolFee = e.paid - 2 * _net(100, e.feeBps) - validatorFee - e.routerFee;
        uint96 vSlash = uint96(uint256(STAKE) * params.validatorSlashBps / 10_000);
        uint96 mSlash = uint96(uint256(STAKE) * params.rejectSlashBps / 10_000);
        vm.expectEmit(address(network));
        emit ITaskManager.WorkSettled(taskId, validatorIds[2], VALIDATOR_SLOT, Outcome.Rejected, 0, 0, SCORE_DOWN, 0);
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeSlashed(
            validatorIds[2], taskId, SlashReason.Deviated, vSlash, STAKE - vSlash, NodeStatus.Active
        );
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFinalized(
            taskId,
            _sessionIdOf(taskId),
            1,
            minerIds[1],
            keccak256("a2"),
            uint112(e.paid),
            uint112(_escrow(3) - e.paid),
            uint112(e.protocolFee),
            uint112(validatorFee),
            uint112(e.routerFee),
            routerId
        );
        _attest(2, taskId, _scores(9_000, 9_000, 9_000));

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertEq(_node(minerIds[0]).rewards, _net(100, e.feeBps));
        assertEq(_node(minerIds[1]).rewards, _net(100, e.feeBps));
        assertEq(_node(minerIds[2]).rejected, 1);
        assertEq(_node(minerIds[2]).stake, STAKE - mSlash);
        assertEq(_node(validatorIds[0]).rewards, validatorFee / 2);
        assertEq(_node(validatorIds[1]).rewards, validatorFee / 2);
        assertEq(_node(validatorIds[0]).accepted, 1);
        assertEq(_node(validatorIds[0]).score, SCORE_UP);
        assertEq(_node(validatorIds[0]).stake, STAKE); // honest validators are never slashed
        assertEq(_node(validatorIds[1]).stake, STAKE);
        assertEq(_node(validatorIds[2]).rewards, 0);
        assertEq(_node(validatorIds[2]).rejected, 1);
        assertEq(_node(validatorIds[2]).score, SCORE_DOWN);
        assertEq(_node(validatorIds[2]).stake, STAKE - vSlash);
        for (uint256 k; k < 3; ++k) {
            assertEq(_node(validatorIds[k]).open, 0);
            assertEq(_node(minerIds[k]).open, 0);
        }
        assertEq(network.protocolFees(), e.protocolFee + mSlash + vSlash);
        TaskView memory v = network.getTask(taskId);
        assertEq(v.resultHash, keccak256("a2"));
        assertEq(v.winnerNodeId, minerIds[1]);
        assertEq(v.attestations, 3);
        _assertConserved();
    }

    /// @dev A validator exactly attestDeviationBps from a median is within tolerance.
    function test_embedding_deviationAtTolerance_notSlashed() public {
        uint256 taskId = _validatingTask(3);
        _attest(0, taskId, _scores(9_000, 9_000, 1_000));
        _attest(1, taskId, _scores(9_000, 9_000, 1_000));
        _attest(2, taskId, _scores(8_000, 10_000, 0));
        assertEq(_node(validatorIds[2]).stake, STAKE);
        assertEq(_node(validatorIds[2]).accepted, 1);
        assertGt(_node(validatorIds[2]).rewards, 0);
    }

    function test_embedding_allBelowBar_failsAndRejectsAll() public {
        uint256 taskId = _validatingTask(1);
        uint32 sessionId = network.getTask(taskId).sessionId;
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(taskId, sessionId, FailReason.AllRejected, 0, uint112(_escrow(3)));
        _attest(0, taskId, _scores(7_999, 5_000, 100));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        for (uint256 i; i < 3; ++i) {
            assertEq(_node(minerIds[i]).rejected, 1);
            assertLt(_node(minerIds[i]).stake, STAKE);
            assertEq(_node(minerIds[i]).open, 0);
        }
        assertEq(_node(validatorIds[0]).accepted, 1);
        assertEq(_node(validatorIds[0]).rewards, 0);
        assertEq(_node(validatorIds[0]).open, 0);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        _assertConserved();
    }

    /// @dev The acceptance bar is a protocol parameter (H-2): no session can set it; governance can.
    function test_embedding_barFollowsParams() public {
        Params memory p = params;
        p.embeddingBarBps = 9_600;
        _setParams(p);
        uint256 taskId = _validatingTask(1);
        _attest(0, taskId, _scores(9_500, 9_700, 100));
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.winnerNodeId, minerIds[1]);
        assertEq(_node(minerIds[0]).rejected, 1); // 9500 < 9600
        assertEq(_node(minerIds[1]).accepted, 1);
    }

    /// @dev Replay settles like Embedding against replayBarBps (9000 by default, Embedding's is 8000).
    function test_replay_settlesAgainstReplayBar() public {
        uint256 taskId = _validatingTaskIn(ValidationMode.Replay, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Validating));
        _attest(0, taskId, _scores(8_500, 9_000, 100));
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
        assertEq(v.winnerNodeId, minerIds[1]);
        assertEq(_node(minerIds[0]).rejected, 1); // 8500: accepted in Embedding, below the Replay bar
        assertEq(_node(minerIds[1]).accepted, 1);
        assertEq(_node(minerIds[2]).rejected, 1);
        uint256 feeBps = params.protocolFeeBps + params.validatorFeeBps + params.routerFeeBps;
        assertEq(_node(minerIds[1]).rewards, _net(100, feeBps));
        _assertConserved();
    }

    function test_embedding_sameScores_acceptsSlotAboveEmbeddingBar() public {
        uint256 taskId = _validatingTask(1);
        _attest(0, taskId, _scores(8_500, 9_000, 100));
        assertEq(_node(minerIds[0]).accepted, 1);
        assertEq(_node(minerIds[1]).accepted, 1);
    }

    /// @dev H-3: below quorum at the deadline there is no verdict: a lone validator's zeros slash nobody; every
    /// revealed result is paid (Unverified) and the validators are released without fee or reputation.
    function test_embedding_finalizeBelowQuorum_noQuorumPaysEveryone() public {
        uint256 taskId = _validatingTask(3);
        _attest(0, taskId, _scores(0, 0, 0));
        _attest(1, taskId, _scores(0, 0, 0));
        uint40 deadline = network.getTask(taskId).deadline;
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlineNotPassed.selector, deadline));
        network.finalize(taskId);

        vm.warp(deadline + 1);
        uint256 paid = 300 * PRICE;
        uint256 net = _net(100, params.protocolFeeBps);
        vm.expectEmit(address(network));
        emit ITaskManager.WorkSettled(taskId, minerIds[2], 2, Outcome.Unverified, 100, uint96(net), 5_000, 0);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(
            taskId, _sessionIdOf(taskId), FailReason.NoQuorum, uint112(paid), uint112(_escrow(3) - paid)
        );
        network.finalize(taskId);

        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Failed));
        for (uint256 i; i < 3; ++i) {
            Node memory m = _node(minerIds[i]);
            assertEq(m.stake, STAKE);
            assertEq(m.rejected, 0);
            assertEq(m.accepted, 0);
            assertEq(m.rewards, net);
            assertEq(m.open, 0);
        }
        for (uint256 k; k < 2; ++k) {
            Node memory val = _node(validatorIds[k]);
            assertEq(val.stake, STAKE);
            assertEq(val.accepted, 0);
            assertEq(val.rewards, 0);
            assertEq(val.score, 5_000);
            assertEq(val.open, 0);
        }
        assertEq(network.protocolFees(), paid - 3 * net);
        _assertConserved();
    }

    function test_embedding_finalizeWithoutAttestations_noQuorum() public {
        uint256 taskId = _validatingTask(1);
        vm.warp(network.getTask(taskId).deadline + 1);
        uint256 paid = 300 * PRICE;
        vm.expectEmit(address(network));
        emit ITaskManager.TaskFailed(
            taskId, _sessionIdOf(taskId), FailReason.NoQuorum, uint112(paid), uint112(_escrow(3) - paid)
        );
        network.finalize(taskId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(_node(minerIds[2]).rewards, _net(100, params.protocolFeeBps));
        _assertConserved();
    }

    function test_finalize_wrongPhase_reverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.Embedding);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Committing));
        network.finalize(taskId);
    }

    function test_finalize_twice_reverts() public {
        uint256 taskId = _validatingTask(1);
        vm.warp(network.getTask(taskId).deadline + 1);
        network.finalize(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Failed));
        network.finalize(taskId);
    }

    function test_attest_storesAttestationAndLocksStake() public {
        uint256 taskId = _validatingTask(3);
        uint16[] memory scores = _scores(1, 2, 3);
        vm.expectEmit(address(network));
        emit ITaskManager.Attested(taskId, validatorIds[1], scores);
        _attest(1, taskId, scores);
        (uint32 validatorId, uint16[] memory stored) = network.getAttestation(taskId, 0);
        assertEq(validatorId, validatorIds[1]);
        assertEq(stored.length, 3);
        assertEq(stored[2], 3);
        assertEq(_node(validatorIds[1]).open, 1);
    }

    /// @dev Sets a node's `open` counter (NodeLedger bits 112..127; _nodes is storage slot 8, the ledger is slot 1
    /// of the record), to stand for attestations of other tasks.
    function _setOpen(uint32 nodeId, uint16 open) internal {
        bytes32 slot = bytes32(uint256(keccak256(abi.encode(uint256(nodeId), uint256(8)))) + 1);
        uint256 word = uint256(vm.load(address(network), slot));
        word = (word & ~(uint256(0xffff) << 112)) | (uint256(open) << 112);
        vm.store(address(network), slot, bytes32(word));
        assertEq(_node(nodeId).open, open);
    }

    /// @dev `open` must count every open attestation. A validator already at the counter's maximum either cannot
    /// attest, or its attestation is counted: it must never be left uncounted, or releasing it after the others
    /// settled would underflow and freeze the task in Validating for good (attest and finalize would revert).
    function test_attest_openAtMax_neverFreezesSettlement() public {
        uint256 taskId = _validatingTask(3);
        _setOpen(validatorIds[0], type(uint16).max);
        vm.prank(validatorAccounts[0]);
        try network.attest(taskId, _scores(9_000, 9_000, 1_000)) {
            // Its 65535 other attestations settle meanwhile.
            _setOpen(validatorIds[0], 0);
            _attest(1, taskId, _scores(9_000, 9_000, 1_000));
            _attest(2, taskId, _scores(9_000, 9_000, 1_000));
            assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        } catch {
            assertEq(network.getTask(taskId).attestations, 0); // refused: nothing was left uncounted
        }
    }

    function test_attest_wrongPhase_reverts() public {
        uint256 taskId = _revealingTask(_same(1, A), ValidationMode.Embedding, 1);
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
        uint256 taskId = _validatingTask(3);
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
    /// @dev M-3: a miner that exits mid-task keeps its stake locked until the task settles, and is still paid.
    function test_settle_exitingMiner_paidThenStakeUnlocks() public {
        SessionConfig memory c = _config(2, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.revealWindow = 7 days;
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _firstMiners(2));
        _commit(taskId, 0, A, 100);
        _commit(taskId, 1, A, 100);
        _reveal(taskId, 0, A, 100);
        vm.prank(minerAccounts[0]);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeLocked.selector, minerIds[0], 1));
        vm.prank(minerAccounts[0]);
        network.withdrawStake();
        _reveal(taskId, 1, A, 100);

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        uint256 feeBps = params.protocolFeeBps + params.routerFeeBps;
        assertEq(_node(minerIds[0]).rewards, _net(100, feeBps));
        assertEq(_node(minerIds[0]).accepted, 1);
        assertEq(_node(minerIds[0]).open, 0);
        vm.prank(minerAccounts[0]);
        network.withdrawStake();
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Unregistered));
        _assertConserved();
    }

    function test_settle_unregisteredRouter_feeGoesToProtocol() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.revealWindow = 7 days;
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _ids(minerIds[0]));
        _commit(taskId, 0, A, 100);
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
