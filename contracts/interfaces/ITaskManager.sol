// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FailReason, Outcome, Reveal, RootReveal, TaskStatus} from "../types/Types.sol";

/// @title Task queue, precommit/reveal and settlement of COR network
/// @notice Task: Queued → Committing → Revealing → (Validating) → Finalized | Failed.
/// Prompts and results live on IPFS; the chain keeps their hashes, CIDs are in events.
interface ITaskManager {
    // ------------------------------------------------------------------ errors
    error UnknownTask(uint256 taskId);
    error WrongPhase(uint256 taskId, TaskStatus status);
    error WrongAssignmentMode(uint32 sessionId);
    error NotAuthorizedSubmitter(uint32 sessionId, address caller);
    error NotSessionRouter(uint32 sessionId, address caller);
    error InvalidPrompt();
    error InvalidSlot(uint8 slot);
    error AssignmentCountMismatch(uint256 expected, uint256 given);
    error NodeNotEligible(uint32 nodeId);
    /// @notice The miner's offer does not cover this session: its price, its assignment mode, or its capacity.
    error OfferNotCovered(uint32 nodeId);
    /// @notice The miner already timed out on this task: it cannot take it again.
    error AlreadyTimedOut(uint256 taskId, uint32 nodeId);
    error ModelNotServed(uint32 nodeId, bytes32 modelId);
    error ReputationTooLow(uint32 nodeId, uint16 score, uint16 minimum);
    error DuplicateMiner(uint32 nodeId);
    error NotEnoughMiners(uint256 available, uint256 required);
    error NotAssigned(uint256 taskId, uint8 slot, address caller);
    error RegistrationChanged(uint32 assignedNodeId, uint32 currentNodeId);
    error ZeroCommitment();
    error AlreadyCommitted(uint256 taskId, uint8 slot);
    error AlreadyRevealed(uint256 taskId, uint8 slot);
    error SlotDropped(uint256 taskId, uint8 slot);
    error CommitmentMismatch(uint256 taskId, uint8 slot);
    error TokensExceedMax(uint32 tokens, uint24 maxTokens);
    error DeadlinePassed(uint40 deadline);
    error DeadlineNotPassed(uint40 deadline);
    error NothingToExpire(uint256 taskId, uint8 slot);
    error NotValidator(address caller);
    error AlreadyAttested(uint256 taskId, uint32 validatorId);
    error ScoresLengthMismatch(uint256 expected, uint256 given);
    error ScoreOutOfRange(uint256 score);
    /// @notice Identical revealed results (same hash and token count) were given different scores.
    error InconsistentScores(uint8 slot);
    /// @notice A batch call got arrays of different lengths, or none.
    error BatchLengthMismatch();
    /// @notice The caller never committed this root over this list of (task, slot) (commitRoot).
    error RootNotCommitted(bytes32 root);
    /// @notice The tree rebuilt from the revealed commitments and the given leaves is not the committed root.
    error RootMismatch(bytes32 root);

    // ------------------------------------------------------------------ events
    event TaskSubmitted(
        uint256 indexed taskId,
        uint32 indexed sessionId,
        address indexed submitter,
        bytes32 promptHash,
        string promptCid,
        uint24 maxTokens,
        uint112 escrow
    );
    /// @notice `miners` is the full slot table after the change (index = slot, 0 = vacant); `assigner` is the account
    /// that caused it (router, session owner, claiming miner, submitter for Dedicated, expiring keeper).
    event TaskAssigned(
        uint256 indexed taskId, address indexed assigner, uint32[] miners, TaskStatus status, uint40 deadline
    );
    /// @notice Entered Revealing / Validating / Queued (after an expiry), with the new phase deadline.
    event TaskPhaseChanged(uint256 indexed taskId, TaskStatus status, uint40 deadline);
    event TaskCommitted(uint256 indexed taskId, uint32 indexed nodeId, uint8 slot, bytes32 commitment);
    event TaskRevealed(
        uint256 indexed taskId, uint32 indexed nodeId, uint8 slot, bytes32 resultHash, uint32 tokens, string resultCid
    );
    /// @notice A miner missed the deadline of `phase`; its slot is vacated (Queued / Committing) or dropped
    /// (Revealing). `retries` counts the reassignments so far: it is not incremented by the expiry that exhausts the
    /// retry limit (that one fails the task instead).
    event SlotExpired(
        uint256 indexed taskId, uint32 indexed nodeId, uint8 slot, TaskStatus phase, uint8 retries, address caller
    );
    event Attested(uint256 indexed taskId, uint32 indexed validatorId, uint16[] scores);
    /// @notice One node's settled work on a task (`slot` = miner slot, or 255 for a validator), with its score and
    /// speed after the change. Counters follow from the outcomes: Accepted adds 1 accepted and `tokens` served,
    /// Rejected 1 rejected, TimedOut 1 timed out, Unverified nothing (paid, no verdict) (reputation history).
    event WorkSettled(
        uint256 indexed taskId,
        uint32 indexed nodeId,
        uint8 slot,
        Outcome outcome,
        uint32 tokens,
        uint96 payout,
        uint16 score,
        uint16 speed
    );
    /// @notice `winnerSlot` / `winnerNodeId` / `resultHash`: the accepted result. When every revealed result agrees
    /// (fast path) or the session has no validation, it is the first result revealed; in ExactMatch the first
    /// revealed result if it is in the majority, else the lowest slot of the majority; in Embedding the slot with
    /// the highest median score (ties: lowest slot). `paid` = Σ accepted tokens × price (what the client pays,
    /// fees included); `refund` = escrow − paid, back to the session's free balance.
    event TaskFinalized(
        uint256 indexed taskId,
        uint32 indexed sessionId,
        uint8 winnerSlot,
        uint32 winnerNodeId,
        bytes32 resultHash,
        uint112 paid,
        uint112 refund,
        uint112 protocolFee,
        uint112 validatorFee,
        uint112 routerFee,
        uint32 routerId
    );
    /// @notice `paid`: what revealed results were paid although the task failed (NoMajority, NoQuorum: the client
    /// has them); `refund` = escrow − paid, back to the session's free balance.
    event TaskFailed(uint256 indexed taskId, uint32 indexed sessionId, FailReason reason, uint112 paid, uint112 refund);
    /// @notice The router that assigned the task was credited its fee.
    event RouterFeePaid(uint256 indexed taskId, uint32 indexed routerId, uint96 amount);

    // ------------------------------------------------------------------ functions
    /// @notice Submits a task, escrowing R × maxTokens × pricePerToken from the session's free balance.
    /// Only the session owner or an authorized submitter. Dedicated sessions are assigned at once.
    function submitTask(uint32 sessionId, bytes32 promptHash, string calldata promptCid, uint24 maxTokens)
        external
        returns (uint256 taskId);

    /// @notice Router mode: the session's router (Active) or its owner fills every vacant slot, in slot order, with
    /// eligible miners: Active, serving the model, reputation >= the session's minimum, distinct, not timed out
    /// on this task before, and whose offer covers the session's price and mode with capacity left.
    function assignTask(uint256 taskId, uint32[] calldata nodeIds) external;

    /// @notice Batched submitTask for one session: task ids are consecutive from the returned one. All or nothing.
    function submitMany(
        uint32 sessionId,
        bytes32[] calldata promptHashes,
        string[] calldata promptCids,
        uint24[] calldata maxTokens
    ) external returns (uint256 firstTaskId);

    /// @notice Batched assignTask (same rules per task). All or nothing: one failing task reverts the batch.
    function assignMany(uint256[] calldata taskIds, uint32[][] calldata nodeIds) external;

    /// @notice Batched commit (same rules per task). All or nothing.
    function commitMany(uint256[] calldata taskIds, uint8[] calldata slots, bytes32[] calldata commitments) external;

    /// @notice Batched reveal (same rules per reveal, settling tasks whose last reveal it carries). All or nothing.
    function revealMany(Reveal[] calldata reveals) external;

    /// @notice Batched commit under one Merkle root: each listed slot is committed with the same rules as commit
    /// (phase, deadline, assigned to the caller, not yet committed; a slot listed twice reverts AlreadyCommitted),
    /// but the batch stores one word instead of one commitment per slot. `root` is the root of the positional
    /// binary tree whose leaf k is the commitment of entry k (taskIds[k], slots[k]) exactly as commit would post it,
    /// padded with zero leaves to a power of two, each node keccak256(abi.encodePacked(left, right)); a one-entry
    /// batch's root is its commitment. TaskCommitted carries `root` as the commitment of every listed slot. These
    /// slots can only be revealed by revealRoot, with the same root and list. All or nothing.
    function commitRoot(uint256[] calldata taskIds, uint8[] calldata slots, bytes32 root) external;

    /// @notice Reveals slots committed by the caller's commitRoot(taskIds, slots, root) (else RootNotCommitted).
    /// `leaves` empty: every entry is revealed, reveals[k] being entry k. Otherwise leaves[k] is entry k's
    /// commitment when this call does not reveal it, and zero when it does (`reveals` then holds the revealed
    /// entries in list order). The tree rebuilt from the revealed commitments and the given leaves must be `root`
    /// (else RootMismatch, checked before any reveal). Then the same rules per reveal as reveal, except that the
    /// commitment check is the root's. All or nothing.
    function revealRoot(
        bytes32 root,
        uint256[] calldata taskIds,
        uint8[] calldata slots,
        bytes32[] calldata leaves,
        RootReveal[] calldata reveals
    ) external;

    /// @notice Claim mode: an eligible miner takes the first vacant slot.
    function claimTask(uint256 taskId) external returns (uint8 slot);

    /// @notice Posts keccak256(abi.encode(taskId, minerAccount, resultHash, tokens, salt)) before the phase
    /// deadline (tokens: uint32 output token count, part of what is committed).
    function commit(uint256 taskId, uint8 slot, bytes32 commitment) external;

    /// @notice Reveals a committed result. The last reveal settles the task at once when results agree.
    /// Checks in order: phase (UnknownTask / WrongPhase), caller (NotAssigned / RegistrationChanged),
    /// AlreadyRevealed, SlotDropped, DeadlinePassed, CommitmentMismatch, TokensExceedMax.
    function reveal(
        uint256 taskId,
        uint8 slot,
        bytes32 resultHash,
        bytes32 salt,
        uint32 tokens,
        string calldata resultCid
    ) external;

    /// @notice Embedding / Replay mode: an Active validator's score per slot (0..10000; ignored for slots without a
    /// result; identical results must get the same score, else InconsistentScores). The quorum-th attestation
    /// settles the task; validators further than attestDeviationBps from a
    /// median are slashed validatorSlashBps of their stake.
    function attest(uint256 taskId, uint16[] calldata scores) external;

    /// @notice After the attest deadline of a Validating task below quorum: no verdict. Every revealed result is
    /// paid (Unverified), nobody is slashed, the task fails with NoQuorum.
    function finalize(uint256 taskId) external;

    /// @notice Anyone expires a slot whose deadline passed: a late committer is replaced (up to the retry
    /// limit; it loses reputation, not stake, and cannot take the task again), a late revealer is dropped and
    /// slashed withholdSlashBps; a vacant slot past its deadline fails the task.
    /// Checks in order: phase (UnknownTask / WrongPhase unless Queued, Committing or Revealing), InvalidSlot,
    /// DeadlineNotPassed, NothingToExpire.
    function expire(uint256 taskId, uint8 slot) external;
}
