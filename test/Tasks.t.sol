// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INodeRegistry} from "../contracts/interfaces/INodeRegistry.sol";
import {ISessionManager} from "../contracts/interfaces/ISessionManager.sol";
import {ITaskManager} from "../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    Offer,
    Params,
    Role,
    SessionConfig,
    TaskStatus,
    TaskView,
    ValidationMode
} from "../contracts/types/Types.sol";
import {BaseTest} from "./utils/BaseTest.sol";

/// @notice Task queue: submit, assignment (Router / Claim / Dedicated), precommit and reveal.
/// Settlement is in Settlement.t.sol, timeouts in Timeouts.t.sol.
contract TasksTest is BaseTest {
    address internal stranger = makeAddr("stranger");
    bytes32 internal constant RESULT = keccak256("result");

    function _taskId(uint32 sessionId, uint32 index) internal pure returns (uint256) {
        return uint256(sessionId) << 32 | index;
    }

    // ================================================================== submitTask
    function test_submit_escrowsExactly() public {
        uint32 sessionId = _session(3, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint112 escrow = 3 * uint112(MAX_TOKENS) * PRICE;
        uint256 taskId = _taskId(sessionId, 1);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskSubmitted(
            taskId, sessionId, client, keccak256("prompt"), "bafkreiprompt", MAX_TOKENS, escrow
        );
        vm.expectEmit(address(network));
        emit ITaskManager.TaskPhaseChanged(taskId, TaskStatus.Queued, uint40(block.timestamp + 60));
        assertEq(_submit(sessionId), taskId);

        assertEq(_sessionOf(sessionId).deposit, DEPOSIT - escrow);
        assertEq(_sessionOf(sessionId).escrowed, escrow);
        assertEq(_sessionOf(sessionId).taskCount, 1);
        TaskView memory v = network.getTask(taskId);
        assertEq(v.sessionId, sessionId);
        assertEq(uint8(v.status), uint8(TaskStatus.Queued));
        assertEq(v.deadline, block.timestamp + 60);
        assertEq(v.maxTokens, MAX_TOKENS);
        assertEq(v.escrow, escrow);
        assertEq(v.miners.length, 3);
        assertEq(_submit(sessionId), _taskId(sessionId, 2));
        _assertConserved();
    }

    function test_submit_smallerMaxTokens_escrowsLess() public {
        uint32 sessionId = _session(2, ValidationMode.ExactMatch, AssignmentMode.Router);
        vm.prank(client);
        uint256 taskId = network.submitTask(sessionId, keccak256("p"), "cid", 10);
        assertEq(network.getTask(taskId).escrow, 2 * 10 * PRICE);
        assertEq(_sessionOf(sessionId).escrowed, 2 * 10 * PRICE);
    }

    function test_submit_exactDeposit_succeeds() public {
        uint112 escrow = uint112(MAX_TOKENS) * PRICE;
        uint32 sessionId = _openSession(_config(1, ValidationMode.None, AssignmentMode.Router), escrow);
        _submit(sessionId);
        assertEq(_sessionOf(sessionId).deposit, 0);
    }

    function test_submit_insufficientDeposit_reverts() public {
        uint112 escrow = 3 * uint112(MAX_TOKENS) * PRICE;
        uint32 sessionId = _openSession(_config(3, ValidationMode.None, AssignmentMode.Router), escrow - 1);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.InsufficientDeposit.selector, escrow - 1, escrow));
        _submit(sessionId);
    }

    function test_submit_unauthorized_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAuthorizedSubmitter.selector, sessionId, stranger));
        vm.prank(stranger);
        network.submitTask(sessionId, keccak256("p"), "cid", 1);
    }

    function test_submit_zeroPromptHash_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(ITaskManager.InvalidPrompt.selector);
        vm.prank(client);
        network.submitTask(sessionId, bytes32(0), "cid", 1);
    }

    function test_submit_emptyPromptCid_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(ITaskManager.InvalidPrompt.selector);
        vm.prank(client);
        network.submitTask(sessionId, keccak256("p"), "", 1);
    }

    function test_submit_zeroMaxTokens_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.InvalidMaxTokens.selector, 0));
        vm.prank(client);
        network.submitTask(sessionId, keccak256("p"), "cid", 0);
    }

    function test_submit_maxTokensAboveSession_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.InvalidMaxTokens.selector, MAX_TOKENS + 1));
        vm.prank(client);
        network.submitTask(sessionId, keccak256("p"), "cid", MAX_TOKENS + 1);
    }

    function test_submit_unknownSession_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.UnknownSession.selector, 7));
        vm.prank(client);
        network.submitTask(7, keccak256("p"), "cid", 1);
    }

    // ================================================================== assignTask (Router mode)
    function test_assign_fillsSlotsAndStartsPrecommit() public {
        uint256 taskId = _submit(_session(3, ValidationMode.ExactMatch, AssignmentMode.Router));
        uint32[] memory ids = _firstMiners(3);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskAssigned(taskId, routerAccount, ids, TaskStatus.Committing, uint40(block.timestamp + 60));
        _assign(taskId, ids);
        TaskView memory v = network.getTask(taskId);
        assertEq(uint8(v.status), uint8(TaskStatus.Committing));
        assertEq(v.assignerId, routerId); // the router that did the work earns the fee
        for (uint256 i; i < 3; ++i) {
            assertEq(v.miners[i], ids[i]);
            assertEq(_node(ids[i]).open, 1);
        }
    }

    function test_assign_bySessionOwner() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.expectEmit(address(network));
        emit ITaskManager.TaskAssigned(
            taskId, client, _ids(minerIds[4]), TaskStatus.Committing, uint40(block.timestamp + 60)
        );
        vm.prank(client);
        network.assignTask(taskId, _ids(minerIds[4]));
        assertEq(network.getTask(taskId).miners[0], minerIds[4]);
        assertEq(network.getTask(taskId).assignerId, 0); // owner-assigned: no router earns
    }

    function test_assign_jailedRouter_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        vm.prank(owner);
        network.jail(routerId, 1 days);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, sessionId, routerAccount));
        _assign(taskId, _ids(minerIds[0]));
        // The owner still can.
        vm.prank(client);
        network.assignTask(taskId, _ids(minerIds[0]));
    }

    function test_assign_exitingRouter_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        vm.prank(routerAccount);
        network.requestExit();
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, sessionId, routerAccount));
        _assign(taskId, _ids(minerIds[0]));
    }

    function test_assign_otherRouter_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        address other = makeAddr("router2");
        _fund(other, 10_000 ether);
        _register(other, Role.Router);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, sessionId, other));
        vm.prank(other);
        network.assignTask(taskId, _ids(minerIds[0]));
    }

    // ------------------------------------------------------------------ offers (consent)
    function _setOffer(uint256 miner, uint96 minPrice, uint16 capacity, uint8 modes) internal {
        vm.prank(minerAccounts[miner]);
        network.updateOffer(Offer({minPrice: minPrice, capacity: capacity, modes: modes}));
    }

    function test_assign_offerPriceAboveSession_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        _setOffer(0, PRICE + 1, 1_000, 7);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        _assign(taskId, _ids(minerIds[0]));
        // At exactly its price it consents.
        _setOffer(0, PRICE, 1_000, 7);
        _assign(taskId, _ids(minerIds[0]));
        assertEq(network.getTask(taskId).miners[0], minerIds[0]);
    }

    function test_assign_offerModeNotAccepted_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        // Claim and Dedicated, not Router.
        _setOffer(0, 0, 1_000, uint8(1 << uint8(AssignmentMode.Claim) | 1 << uint8(AssignmentMode.Dedicated)));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        _assign(taskId, _ids(minerIds[0]));
        // The owner is bound by the offer too.
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        vm.prank(client);
        network.assignTask(taskId, _ids(minerIds[0]));
    }

    function test_assign_offerCapacityFull_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        _setOffer(0, 0, 1, 7);
        uint256 first = _submit(sessionId);
        _assign(first, _ids(minerIds[0]));
        uint256 second = _submit(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        _assign(second, _ids(minerIds[0]));

        // Capacity is freed when the first assignment settles.
        _commitRevealAll(first, _same(1, RESULT), 10);
        _assign(second, _ids(minerIds[0]));
        assertEq(_node(minerIds[0]).open, 1);
    }

    function test_assign_offerZeroCapacity_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        _setOffer(0, 0, 0, 7);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        _assign(taskId, _ids(minerIds[0]));
    }

    function test_assign_failedAssignment_changesNothing() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Router));
        _setOffer(1, PRICE + 1, 1_000, 7);
        uint32[] memory ids = _firstMiners(2);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[1]));
        _assign(taskId, ids);
        // The whole call reverted: the first miner's capacity was not consumed.
        assertEq(_node(minerIds[0]).open, 0);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Queued));
    }

    function test_assign_notRouter_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, sessionId, minerAccounts[0]));
        vm.prank(minerAccounts[0]);
        network.assignTask(taskId, _ids(minerIds[0]));
    }

    function test_assign_tooFewIds_reverts() public {
        uint256 taskId = _submit(_session(3, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AssignmentCountMismatch.selector, 3, 2));
        _assign(taskId, _firstMiners(2));
    }

    function test_assign_tooManyIds_reverts() public {
        uint256 taskId = _submit(_session(3, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AssignmentCountMismatch.selector, 3, 4));
        _assign(taskId, _firstMiners(4));
    }

    function test_assign_duplicate_reverts() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Router));
        uint32[] memory ids = new uint32[](2);
        (ids[0], ids[1]) = (minerIds[1], minerIds[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DuplicateMiner.selector, minerIds[1]));
        _assign(taskId, ids);
    }

    function test_assign_jailedMiner_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.prank(owner);
        network.jail(minerIds[0], 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NodeNotEligible.selector, minerIds[0]));
        _assign(taskId, _ids(minerIds[0]));
    }

    function test_assign_exitingMiner_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.prank(minerAccounts[0]);
        network.requestExit();
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NodeNotEligible.selector, minerIds[0]));
        _assign(taskId, _ids(minerIds[0]));
    }

    function test_assign_unknownNode_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NodeNotEligible.selector, 999));
        _assign(taskId, _ids(999));
    }

    function test_assign_modelNotServed_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.ModelNotServed.selector, validatorIds[0], MODEL));
        _assign(taskId, _ids(validatorIds[0]));
    }

    function test_assign_reputationTooLow_reverts() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.minReputation = 5_001;
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.ReputationTooLow.selector, minerIds[0], 5_000, 5_001));
        _assign(taskId, _ids(minerIds[0]));
    }

    function test_assign_wrongMode_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Claim);
        uint256 taskId = _submit(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongAssignmentMode.selector, sessionId));
        _assign(taskId, _ids(minerIds[0]));
    }

    function test_assign_twice_reverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Committing));
        _assign(taskId, _ids(minerIds[1]));
    }

    function test_assign_unknownTask_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.UnknownTask.selector, 123));
        _assign(123, _ids(minerIds[0]));
    }

    // ================================================================== claimTask (Claim mode)
    function test_claim_firstComeFirstServed_thenCommitting() public {
        uint256 taskId = _submit(_session(3, ValidationMode.ExactMatch, AssignmentMode.Claim));
        for (uint256 i; i < 3; ++i) {
            uint32[] memory table = new uint32[](3);
            for (uint256 j; j <= i; ++j) {
                table[j] = minerIds[j];
            }
            TaskStatus expected = i == 2 ? TaskStatus.Committing : TaskStatus.Queued;
            vm.expectEmit(address(network));
            emit ITaskManager.TaskAssigned(taskId, minerAccounts[i], table, expected, uint40(block.timestamp + 60));
            vm.prank(minerAccounts[i]);
            assertEq(network.claimTask(taskId), i);
            assertEq(uint8(_status(taskId)), uint8(expected));
        }
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Committing));
        vm.prank(minerAccounts[3]);
        network.claimTask(taskId);
    }

    function test_claim_commitWhileQueued_thenRevealing() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Claim));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
        _commit(taskId, 0, RESULT, 10); // allowed while the table is still filling
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Queued));
        vm.prank(minerAccounts[1]);
        network.claimTask(taskId);
        _commit(taskId, 1, RESULT, 10);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
    }

    function test_claim_duplicate_reverts() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Claim));
        vm.startPrank(minerAccounts[0]);
        network.claimTask(taskId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DuplicateMiner.selector, minerIds[0]));
        network.claimTask(taskId);
        vm.stopPrank();
    }

    function test_claim_unregisteredCaller_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Claim));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NodeNotEligible.selector, 0));
        vm.prank(stranger);
        network.claimTask(taskId);
    }

    function test_claim_validator_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Claim));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.ModelNotServed.selector, validatorIds[0], MODEL));
        vm.prank(validatorAccounts[0]);
        network.claimTask(taskId);
    }

    function test_claim_reputationTooLow_reverts() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Claim);
        c.minReputation = 9_000;
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.ReputationTooLow.selector, minerIds[0], 5_000, 9_000));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
    }

    function test_claim_afterDeadline_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Claim));
        uint40 deadline = network.getTask(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlinePassed.selector, deadline));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
    }

    function test_claim_wrongMode_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongAssignmentMode.selector, sessionId));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
    }

    function test_claim_offerPriceAboveSession_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Claim));
        _setOffer(0, PRICE + 1, 1_000, 7);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
    }

    function test_claim_offerModeNotAccepted_reverts() public {
        uint256 taskId = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Claim));
        _setOffer(0, 0, 1_000, uint8(1 << uint8(AssignmentMode.Router)));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
    }

    function test_claim_offerCapacityFull_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Claim);
        _setOffer(0, 0, 1, 7);
        uint256 first = _submit(sessionId);
        uint256 second = _submit(sessionId);
        vm.prank(minerAccounts[0]);
        network.claimTask(first);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        vm.prank(minerAccounts[0]);
        network.claimTask(second);
    }

    function test_claim_incrementsOpen() public {
        uint256 taskId = _submit(_session(2, ValidationMode.ExactMatch, AssignmentMode.Claim));
        vm.prank(minerAccounts[0]);
        network.claimTask(taskId);
        assertEq(_node(minerIds[0]).open, 1);
        assertEq(network.getTask(taskId).assignerId, 0); // claimed work pays no router
    }

    function test_claim_unknownTask_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.UnknownTask.selector, 77));
        vm.prank(minerAccounts[0]);
        network.claimTask(77);
    }

    // ================================================================== Dedicated mode
    function test_dedicated_assignedAtSubmit() public {
        uint32 sessionId = _session(3, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        uint256 taskId = _taskId(sessionId, 1);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskAssigned(
            taskId, client, _firstMiners(3), TaskStatus.Committing, uint40(block.timestamp + 60)
        );
        _submit(sessionId);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Committing));
        for (uint256 i; i < 3; ++i) {
            assertEq(_node(minerIds[i]).open, 1);
        }
    }

    /// @dev A dedicated miner whose offer does not cover the session (price, mode, capacity) is skipped, not forced.
    function test_dedicated_skipsMinerWhoseOfferDoesNotCover() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        c.dedicatedMiners = _firstMiners(4);
        uint32 sessionId = _openSession(c, DEPOSIT);
        _setOffer(0, PRICE + 1, 1_000, 7); // price
        _setOffer(1, 0, 1_000, uint8(1 << uint8(AssignmentMode.Router))); // mode
        _setOffer(2, 0, 0, 7); // capacity
        uint256 taskId = _submit(sessionId);
        assertEq(network.getTask(taskId).miners[0], minerIds[3]);
        assertEq(_node(minerIds[0]).open, 0);
        assertEq(_node(minerIds[3]).open, 1);
    }

    function test_dedicated_noOfferCovers_revertsNotEnoughMiners() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        _setOffer(0, PRICE + 1, 1_000, 7);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotEnoughMiners.selector, 0, 1));
        _submit(sessionId);
    }

    function test_dedicated_skipsIneligibleMiner() public {
        SessionConfig memory c = _config(2, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        c.dedicatedMiners = _firstMiners(3);
        uint32 sessionId = _openSession(c, DEPOSIT);
        vm.prank(owner);
        network.jail(minerIds[0], 1 days);
        uint256 taskId = _submit(sessionId);
        TaskView memory v = network.getTask(taskId);
        assertEq(v.miners[0], minerIds[1]);
        assertEq(v.miners[1], minerIds[2]);
    }

    function test_dedicated_notEnoughMiners_reverts() public {
        uint32 sessionId = _session(2, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        vm.prank(owner);
        network.jail(minerIds[1], 1 days);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotEnoughMiners.selector, 1, 2));
        _submit(sessionId);
    }

    function test_dedicated_assignTask_wrongMode_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Dedicated);
        uint256 taskId = _submit(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongAssignmentMode.selector, sessionId));
        vm.prank(client);
        network.assignTask(taskId, _ids(minerIds[3]));
    }

    // ================================================================== commit
    function test_commit_storesCommitment() public {
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        address miner = minerAccounts[0];
        bytes32 c = _commitment(taskId, miner, RESULT, 42, _salt(taskId, 0));
        vm.expectEmit(address(network));
        emit ITaskManager.TaskCommitted(taskId, minerIds[0], 0, c);
        vm.prank(miner);
        network.commit(taskId, 0, c);
        TaskView memory v = network.getTask(taskId);
        assertEq(v.committedMask, 1);
        assertEq(v.hashes[0], c);
        assertEq(uint8(v.status), uint8(TaskStatus.Committing));
    }

    function test_commit_lastCommit_startsReveal() public {
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        _commit(taskId, 0, RESULT, 1);
        vm.warp(block.timestamp + 5);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskPhaseChanged(taskId, TaskStatus.Revealing, uint40(block.timestamp + 60));
        _commit(taskId, 1, RESULT, 1);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
    }

    function test_commit_wrongPhase_reverts() public {
        uint256 taskId = _revealingTask(_same(1, RESULT), ValidationMode.ExactMatch, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Revealing));
        vm.prank(minerAccounts[0]);
        network.commit(taskId, 0, RESULT);
    }

    function test_commit_unknownTask_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.UnknownTask.selector, 5));
        vm.prank(minerAccounts[0]);
        network.commit(5, 0, RESULT);
    }

    function test_commit_late_reverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        uint40 deadline = network.getTask(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlinePassed.selector, deadline));
        vm.prank(minerAccounts[0]);
        network.commit(taskId, 0, RESULT);
    }

    function test_commit_notAssigned_reverts() public {
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAssigned.selector, taskId, 0, minerAccounts[1]));
        vm.prank(minerAccounts[1]);
        network.commit(taskId, 0, RESULT);
    }

    function test_commit_slotOutOfRange_reverts() public {
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAssigned.selector, taskId, 9, minerAccounts[0]));
        vm.prank(minerAccounts[0]);
        network.commit(taskId, 9, RESULT);
    }

    function test_commit_zero_reverts() public {
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        vm.expectRevert(ITaskManager.ZeroCommitment.selector);
        vm.prank(minerAccounts[0]);
        network.commit(taskId, 0, bytes32(0));
    }

    function test_commit_twice_reverts() public {
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        _commit(taskId, 0, RESULT, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyCommitted.selector, taskId, 0));
        vm.prank(minerAccounts[0]);
        network.commit(taskId, 0, RESULT);
    }

    // ================================================================== reveal
    function test_reveal_recordsResult() public {
        uint256 taskId = _revealingTask(_same(2, RESULT), ValidationMode.ExactMatch, 42);
        vm.expectEmit(address(network));
        emit ITaskManager.TaskRevealed(taskId, minerIds[1], 1, RESULT, 42, "bafkreiresult");
        _reveal(taskId, 1, RESULT, 42);
        TaskView memory v = network.getTask(taskId);
        assertEq(v.revealedMask, 2);
        assertEq(v.hashes[1], RESULT);
        assertEq(v.tokens[1], 42);
        assertEq(uint8(v.status), uint8(TaskStatus.Revealing));
    }

    function test_reveal_wrongSalt_reverts() public {
        uint256 taskId = _revealingTask(_same(1, RESULT), ValidationMode.ExactMatch, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.CommitmentMismatch.selector, taskId, 0));
        vm.prank(minerAccounts[0]);
        network.reveal(taskId, 0, RESULT, keccak256("other salt"), 1, "cid");
    }

    function test_reveal_wrongHash_reverts() public {
        uint256 taskId = _revealingTask(_same(1, RESULT), ValidationMode.ExactMatch, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.CommitmentMismatch.selector, taskId, 0));
        vm.prank(minerAccounts[0]);
        network.reveal(taskId, 0, keccak256("copied"), _salt(taskId, 0), 1, "cid");
    }

    function test_reveal_twice_reverts() public {
        uint256 taskId = _revealingTask(_same(2, RESULT), ValidationMode.ExactMatch, 1);
        _reveal(taskId, 0, RESULT, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.AlreadyRevealed.selector, taskId, 0));
        _revealFirst(taskId, 0, RESULT, 1);
    }

    function test_reveal_tokensOverMax_reverts() public {
        uint256 taskId = _revealingTask(_same(1, RESULT), ValidationMode.ExactMatch, MAX_TOKENS + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TokensExceedMax.selector, MAX_TOKENS + 1, MAX_TOKENS));
        _revealFirst(taskId, 0, RESULT, MAX_TOKENS + 1);
    }

    function test_reveal_late_reverts() public {
        uint256 taskId = _revealingTask(_same(1, RESULT), ValidationMode.ExactMatch, 1);
        uint40 deadline = network.getTask(taskId).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.DeadlinePassed.selector, deadline));
        _revealFirst(taskId, 0, RESULT, 1);
    }

    function test_reveal_dropped_reverts() public {
        uint256 taskId = _revealingTask(_same(2, RESULT), ValidationMode.ExactMatch, 1);
        vm.warp(network.getTask(taskId).deadline + 1);
        network.expire(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.SlotDropped.selector, taskId, 1));
        _revealFirst(taskId, 1, RESULT, 1);
    }

    function test_reveal_beforeAllCommitted_reverts() public {
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        _commit(taskId, 0, RESULT, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongPhase.selector, taskId, TaskStatus.Committing));
        _revealFirst(taskId, 0, RESULT, 1);
    }

    function test_reveal_notAssigned_reverts() public {
        uint256 taskId = _revealingTask(_same(1, RESULT), ValidationMode.ExactMatch, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAssigned.selector, taskId, 0, stranger));
        vm.prank(stranger);
        network.reveal(taskId, 0, RESULT, _salt(taskId, 0), 1, "cid");
    }

    function test_reveal_wrongTokens_reverts() public {
        // The token count is committed: a miner cannot reveal more tokens than it committed to.
        uint256 taskId = _revealingTask(_same(1, RESULT), ValidationMode.ExactMatch, 30);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.CommitmentMismatch.selector, taskId, 0));
        _revealFirst(taskId, 0, RESULT, MAX_TOKENS);
        _revealFirst(taskId, 0, RESULT, 30);
        assertEq(network.getTask(taskId).tokens[0], 30);
    }

    /// @dev Slot 0 withheld its reveal and was dropped (its assignment released, stake unlocked); slot 1 has not
    /// revealed yet, so the task is still Revealing. The dropped miner exits and withdraws after the cooldown.
    function _droppedThenUnregistered() internal returns (uint256 taskId) {
        taskId = _revealingTask(_same(2, RESULT), ValidationMode.ExactMatch, 1);
        vm.warp(network.getTask(taskId).deadline + 1);
        network.expire(taskId, 0);
        assertEq(_node(minerIds[0]).open, 0);
        address miner = minerAccounts[0];
        vm.prank(miner);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        vm.prank(miner);
        network.withdrawStake();
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));
    }

    function test_reveal_afterReRegistration_reverts() public {
        uint256 taskId = _droppedThenUnregistered();
        address miner = minerAccounts[0];
        uint32 newId = _register(miner, Role.Miner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RegistrationChanged.selector, minerIds[0], newId));
        vm.prank(miner);
        network.reveal(taskId, 0, RESULT, _salt(taskId, 0), 1, "cid");
    }

    function test_reveal_afterUnregistering_reverts() public {
        uint256 taskId = _droppedThenUnregistered();
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.RegistrationChanged.selector, minerIds[0], 0));
        vm.prank(minerAccounts[0]);
        network.reveal(taskId, 0, RESULT, _salt(taskId, 0), 1, "cid");
    }

    /// @dev A miner that committed cannot exit with its stake before the assignment settles (M-3: slash dodge).
    function test_reveal_exitingMinerStakeLockedUntilSettled() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        (c.precommitWindow, c.revealWindow) = (7 days, 7 days);
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _ids(minerIds[0]));
        _commit(taskId, 0, RESULT, 5);
        address miner = minerAccounts[0];
        vm.prank(miner);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeLocked.selector, minerIds[0], 1));
        vm.prank(miner);
        network.withdrawStake();
        _reveal(taskId, 0, RESULT, 5);
        vm.prank(miner);
        network.withdrawStake();
        assertEq(network.nodeIdOf(miner), 0);
        _assertConserved();
    }

    function test_reveal_whileExiting_succeeds() public {
        uint256 taskId = _revealingTask(_same(1, RESULT), ValidationMode.ExactMatch, 10);
        vm.prank(minerAccounts[0]);
        network.requestExit();
        _reveal(taskId, 0, RESULT, 10);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        assertGt(_node(minerIds[0]).rewards, 0);
    }

    // ================================================================== views
    function test_getTask_unknown_isEmpty() public view {
        TaskView memory v = network.getTask(42);
        assertEq(uint8(v.status), uint8(TaskStatus.None));
        assertEq(v.miners.length, 0);
        assertEq(v.sessionId, 0);
    }
}
