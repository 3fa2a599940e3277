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
    Embedding
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

/// @notice Outcome of one node's work on one task, as settled on-chain.
enum Outcome {
    Accepted,
    Rejected,
    TimedOut
}

/// @notice Why a task failed (its whole escrow went back to the session deposit).
enum FailReason {
    NoMiners,
    RetriesExhausted,
    NoResults,
    NoMajority,
    NoAttestations,
    AllRejected
}

/// @notice Why stake was slashed.
enum SlashReason {
    Rejected,
    TimedOut
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
    uint32 accepted; // results accepted (miners) / attestations agreeing with the median (validators)
    uint24 rejected;
    uint24 timedOut;
    uint40 tokensServed;
    uint96 rewards; // unclaimed COR (wei), pulled with withdrawRewards
    uint96 stake; // COR (wei)
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
    uint16 threshold; // 0..10000, Embedding mode acceptance threshold on the median score
    uint8 quorum; // validator attestations that settle an Embedding task at once, 1..7
    uint8 retryLimit; // expired slots that may be reassigned before the task fails
    uint32 precommitWindow; // seconds
    uint32 revealWindow; // seconds
    uint32 attestWindow; // seconds
    uint32 routerId; // node id of the session's router (Router mode); 0 = only the owner assigns
    uint32[] dedicatedMiners; // Dedicated mode: node ids, R..7 of them
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
    uint16 threshold;
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
}

/// @notice Protocol parameters, owner-settable within the caps in ICorNetwork.
struct Params {
    uint96 minStakeMiner;
    uint96 minStakeRouter;
    uint32 unstakeCooldown; // seconds
    uint96 minStakeValidator;
    uint16 protocolFeeBps; // of what a task pays
    uint16 validatorFeeBps; // of what a task pays, split among validators that agreed with the median
    uint16 routerFeeBps; // of what a task pays, to the session's router (Router mode)
    uint16 rejectSlashBps; // of stake, per rejected result
    uint16 timeoutSlashBps; // of stake, per missed deadline
    uint16 attestDeviationBps; // a validator further than this from a median loses reputation and its fee
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
    bytes32[] hashes; // commitment before reveal, result hash after
    bytes32 resultHash; // accepted result (zero until Finalized)
    uint32 winnerNodeId;
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
    // slot 3
    bytes32 encryptionKey;
}

/// @notice State and work ledger of a node: exactly one slot (8 + 16 + 16 + 32 + 24 + 24 + 40 + 96 bits).
/// Counters saturate at their maximum instead of overflowing, so settlement can never revert on them.
struct NodeLedger {
    NodeStatus status;
    uint16 score;
    uint16 speed;
    uint32 accepted;
    uint24 rejected;
    uint24 timedOut;
    uint40 tokensServed;
    uint96 rewards;
}

/// @notice A task as stored under id = sessionId << 32 | index (the session id is never stored: it is the high
/// bits of the id). Three slots: the state word, then two words of 32-bit lanes indexed by miner slot (0..6).
struct Task {
    // slot 0
    TaskState state;
    // slot 1: node id per slot (0 = vacant)
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
    uint24 leadTokens; // output tokens of the lead slot
    uint40 deadline; // deadline of the current phase, unix seconds
    uint32 assignedAt; // time of the latest slot fill, unix seconds mod 2^32 (start of the speed measurement)
    uint56 commitDelays; // 8-bit lanes: seconds from assignment to precommit, per slot (capped at 255)
}
