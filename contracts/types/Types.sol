// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Role a node stakes for. A node (one registration of one account) has exactly one role.
enum Role {
    None,
    Miner,
    Router,
    Validator
}

/// @notice Node lifecycle: Unregistered → Active ⇄ Jailed → Exiting (cooldown) → Unregistered.
enum NodeStatus {
    Unregistered,
    Active,
    Jailed,
    Exiting
}

/// @notice How redundant results are settled when they differ.
enum ValidationMode {
    None,
    ExactMatch,
    Embedding,
    Replay
}

/// @notice Who fills a task's miner slots.
enum AssignmentMode {
    Router,
    Claim,
    Dedicated
}

enum SessionStatus {
    None,
    Open,
    Closed
}

/// @notice Task lifecycle. `Queued` means at least one slot has no miner; `Committing` that every slot has one.
enum TaskStatus {
    None,
    Queued,
    Committing,
    Revealing,
    Validating,
    Finalized,
    Failed
}

/// @notice Outcome of one node's work on one task, as settled on-chain. `Unverified`: the result was revealed but
/// no verdict could be reached (ExactMatch without a strict majority, validators below quorum): the miner is paid
/// for it (the client has it), nobody is slashed and reputation does not move.
enum Outcome {
    Accepted,
    Rejected,
    TimedOut,
    Unverified
}

/// @notice Why a task failed (its whole escrow went back to the session deposit).
enum FailReason {
    NoMiners,
    RetriesExhausted,
    NoResults,
    NoMajority, // ExactMatch without a strict majority: revealed results are paid (Unverified), nobody is slashed
    NoQuorum, // validators below quorum at the attest deadline: revealed results are paid (Unverified)
    AllRejected
}

/// @notice Why stake was slashed.
enum SlashReason {
    Rejected, // a result the validator quorum (or the ExactMatch majority) rejected
    Withheld, // a commitment whose reveal was withheld past the reveal deadline
    Deviated // a validator score further than attestDeviationBps from the quorum's median
}

/// @notice What work a miner consents to: only sessions paying at least `minPrice` per output token, in an
/// assignment mode whose bit (1 << uint8(AssignmentMode)) is set in `modes`, and at most `capacity` open
/// assignments at once. Nobody (router, session owner, the miner itself through Claim) can put a miner on other work.
struct Offer {
    uint96 minPrice; // COR wei per output token
    uint16 capacity; // open assignments at once (0 = takes no work)
    uint8 modes; // bitmask of AssignmentMode
}

/// @notice One registration of a node, as returned by getNode. Stored as a NodeRecord (same fields, laid out so
/// that the work ledger is one slot).
struct Node {
    address account;
    Role role;
    uint40 until; // end of the unstake cooldown (Exiting) or of the jail term (Jailed), unix seconds
    NodeStatus status;
    uint16 score; // exponentially weighted reputation, 0..10000 (starts at 5000, weight 1/8 per sample)
    uint16 speed; // exponentially weighted output tokens per second (weight 1/4 per sample, capped at 65535)
    uint24 accepted; // results accepted (miners) / attestations agreeing with the median (validators)
    uint24 rejected;
    uint24 timedOut;
    uint16 open; // assignments / attestations not settled yet: while non-zero the stake cannot be withdrawn
    uint32 tokensServed;
    uint96 rewards; // unclaimed COR (wei), pulled with withdrawRewards
    uint96 stake; // COR (wei)
    Offer offer; // miners: the work the node consents to
    bytes32 encryptionKey; // X25519 public key used to wrap per-task prompt keys
}

/// @notice Per-session configuration, fixed at creation (only the router can be changed later).
struct SessionConfig {
    bytes32 modelId;
    uint8 redundancy; // R, 1..7 miners per task
    ValidationMode validation;
    AssignmentMode assignment;
    uint96 pricePerToken; // COR wei per output token
    uint24 maxTokens; // cap on a task's max output tokens
    uint16 minReputation; // 0..10000, compared with Node.score
    uint8 quorum; // validated modes (Embedding, Replay): odd, params.minQuorum..7 attestations settle a task
    uint8 retryLimit; // expired slots that may be reassigned before the task fails, 0..params.maxRetryLimit
    uint32 precommitWindow; // seconds
    uint32 revealWindow; // seconds
    uint32 attestWindow; // seconds
    uint32 routerId; // node id of the session's router (Router mode); 0 = only the owner assigns
    uint32[] dedicatedMiners; // Dedicated mode: node ids, R..7 of them
    uint16 temperature; // declared sampling, thousandths (0 = greedy, the default; 1000 = 1.0), max 2000
    uint16 topK; // declared sampling: 0 = off
    uint16 topP; // declared sampling, basis points: 0 = off, else 1..10000
    bool encrypted; // prompts and results are end-to-end encrypted envelopes (plaintext hashes on chain)
}

/// @notice A session as stored. Packed in five slots.
struct Session {
    // slot 0
    address owner;
    SessionStatus status;
    uint8 redundancy;
    ValidationMode validation;
    AssignmentMode assignment;
    uint8 quorum;
    uint8 retryLimit;
    bool encrypted;
    uint32 routerId;
    // slot 1
    uint112 deposit; // free balance: not held by any task
    uint112 escrowed; // held by open tasks
    uint32 taskCount; // tasks submitted; task id = sessionId << 32 | index (1-based)
    // slot 2
    uint96 pricePerToken;
    uint24 maxTokens;
    uint16 minReputation;
    uint32 precommitWindow;
    uint32 revealWindow;
    uint32 attestWindow;
    // slot 3
    bytes32 modelId;
    // slot 4: dedicated miner ids, 32-bit lanes, zero lanes unused
    uint256 dedicated;
    // slot 5: declared sampling (see SessionConfig)
    uint16 temperature;
    uint16 topK;
    uint16 topP;
}

/// @notice Protocol parameters, owner-settable within the caps in CorStorage (every change is an event).
struct Params {
    // slot 0
    uint96 minStakeMiner;
    uint96 minStakeRouter;
    uint32 unstakeCooldown; // seconds
    // slot 1
    uint96 minStakeValidator;
    uint16 protocolFeeBps; // of what a task pays; at least 1: every settled task pays a fee that leaves the payer
    uint16 validatorFeeBps; // of what a task pays, split among validators that agreed with the median
    uint16 routerFeeBps; // of what a task pays, to the router that assigned it (Router mode)
    uint16 rejectSlashBps; // of stake, per rejected result
    uint16 withholdSlashBps; // of stake, per withheld reveal; never below rejectSlashBps
    uint16 validatorSlashBps; // of stake, per attestation deviating from the quorum's median
    uint16 attestDeviationBps; // tolerance of a validator score around the median
    uint16 auditBps; // share of fast-path results (Router / Claim sessions in Embedding / Replay) sent to validators
    uint16 embeddingBarBps; // acceptance bar on the median score, Embedding mode
    uint16 replayBarBps; // acceptance bar on the median score, Replay mode
    // slot 2
    uint96 minPricePerToken; // price floor of every session, > 0
    uint96 reputationFeeUnit; // protocol fee (COR wei) that earns a full reputation step; 0 = any fee does
    uint8 minQuorum; // smallest (odd) validator quorum of a validated session; >= 3 on a public chain
    uint8 maxRetryLimit; // largest retry limit a session may ask for
}

/// @notice One reveal of a batch (revealMany): the arguments of reveal.
struct Reveal {
    uint256 taskId;
    uint8 slot;
    bytes32 resultHash;
    bytes32 salt;
    uint32 tokens;
    string resultCid;
}

/// @notice One reveal of a root batch (revealRoot): the arguments of reveal whose task and slot the batch list gives.
struct RootReveal {
    bytes32 resultHash;
    bytes32 salt;
    uint32 tokens;
    string resultCid;
}

/// @notice A task as returned by views: lanes unpacked.
struct TaskView {
    uint32 sessionId;
    TaskStatus status;
    uint40 deadline;
    uint8 retries;
    uint8 attestations;
    uint24 maxTokens;
    uint8 committedMask;
    uint8 revealedMask;
    uint8 droppedMask;
    uint32[] miners;
    uint32[] tokens;
    bytes32[] hashes; // commitment before reveal (zero if committed by commitRoot), result hash after
    bytes32 resultHash; // accepted result (zero until Finalized)
    uint32 winnerNodeId;
    uint32 assignerId; // node id of the router that assigned the task (0: assigned by the owner, claimed, dedicated)
    uint256 escrow;
}

// ====================================================================== storage-only types (not in the ABI)

/// @notice A node registration as stored: four slots. The ledger is a nested struct so that it starts a slot of its
/// own: an eligibility check reads it and a settlement writes it with one SLOAD and one SSTORE (Packing).
struct NodeRecord {
    // slot 0: identity
    address account;
    Role role;
    uint40 until;
    // slot 1
    NodeLedger ledger;
    // slot 2
    uint96 stake;
    // slot 3: the offer (96 + 16 + 8 bits), read by every eligibility check
    Offer offer;
    // slot 4
    bytes32 encryptionKey;
}

/// @notice State and work ledger of a node: exactly one slot (8 + 16 + 16 + 24 + 24 + 24 + 16 + 32 + 96 bits).
/// Counters saturate at their maximum instead of overflowing, so settlement can never revert on them. `open`
/// counts assignments (miners) or attestations (validators) not yet settled; it bounds the miner's capacity and
/// locks the stake (withdrawStake reverts StakeLocked while it is non-zero).
struct NodeLedger {
    NodeStatus status;
    uint16 score;
    uint16 speed;
    uint24 accepted;
    uint24 rejected;
    uint24 timedOut;
    uint16 open;
    uint32 tokensServed;
    uint96 rewards;
}

/// @notice A task as stored under id = sessionId << 32 | index (the session id is never stored: it is the high
/// bits of the id). Three slots: the state word, then two words of 32-bit lanes indexed by miner slot (0..6).
struct Task {
    // slot 0
    TaskState state;
    // slot 1: node id per slot (0 = vacant), lanes 0..6; lane 7: node id of the router that assigned the task
    uint256 miners;
    // slot 2: output tokens of the slots whose result differs from the lead result (see TaskState.lead)
    uint256 tokens;
}

/// @notice Everything commit, reveal and settlement need, in one slot (9 x 8 + 24 + 24 + 40 + 32 + 56 = 256 bits),
/// read and written once per transaction (Packing).
///
/// The first result revealed is the lead: its slot's hash word keeps the full result hash and its token count is
/// `leadTokens`. A later result equal to the lead's is only flagged in `matchedMask`, its hash word then holds its
/// token count; a result that differs keeps its full hash and its token count goes to `Task.tokens`. All revealed
/// results agree (fast path) iff matchedMask == revealedMask, and no reveal on the fast path touches a fresh slot.
struct TaskState {
    TaskStatus status;
    uint8 committedMask; // bit i: slot i precommitted
    uint8 revealedMask; // bit i: slot i revealed
    uint8 droppedMask; // bit i: slot i committed but missed the reveal deadline
    uint8 matchedMask; // bit i: slot i revealed the lead result (the lead included)
    uint8 lead; // 1 + slot of the first revealed result, 0 before any reveal
    uint8 winner; // 1 + slot of the accepted result once Finalized, else 0
    uint8 retries; // expired slots reassigned so far
    uint8 attestations; // validator attestations stored
    uint8 redundancy; // copy of the session's R, so commit and reveal never read the session
    uint24 maxTokens; // max output tokens per miner; escrow = R * maxTokens * pricePerToken
    uint24 leadTokens; // output tokens of the lead slot (and of every slot in matchedMask)
    uint40 deadline; // deadline of the current phase, unix seconds
    // Until Revealing: time of the latest slot fill, unix seconds mod 2^32 (start of the speed measurement).
    // From Revealing on: the block number (mod 2^32) of the last commit, whose hash seeds the fast-path audit.
    uint32 assignedAt;
    uint56 commitDelays; // 8-bit lanes: seconds from assignment to precommit, per slot (capped at 255)
}
