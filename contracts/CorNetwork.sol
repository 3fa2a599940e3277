// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CorStorage} from "./base/CorStorage.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ISessionManager} from "./interfaces/ISessionManager.sol";
import {ITaskManager} from "./interfaces/ITaskManager.sol";
import {Lanes} from "./libraries/Lanes.sol";
import {Median} from "./libraries/Median.sol";
import {Packing} from "./libraries/Packing.sol";
import {
    AssignmentMode,
    FailReason,
    NodeLedger,
    NodeRecord,
    NodeStatus,
    Offer,
    Outcome,
    Params,
    Reveal,
    Role,
    RootReveal,
    Session,
    SlashReason,
    Task,
    TaskState,
    TaskStatus,
    ValidationMode
} from "./types/Types.sol";

/// @title CorNetwork
/// @notice The COR network entry point: task queue, precommit/reveal, validation and settlement run here, so the
/// hot path never pays for a cross-contract call. Everything else (nodes, sessions, governance, views) is in
/// CorRegistry, reached through this contract's fallback by delegatecall: users see one address and one ABI
/// (ICorNetwork) and one COR balance that equals deposits + escrows + stakes + rewards + protocol fees.
/// @dev Checks, effects, events, interactions. Every hot-path transaction reads and writes the task's state word
/// (TaskState) and each node's ledger (NodeLedger) once, through Packing. The only external calls are to the COR token, which has no hooks,
/// and the delegatecall to the immutable registry code.
contract CorNetwork is CorStorage, ITaskManager {
    using Lanes for uint256;
    using Packing for TaskState;
    using Packing for NodeLedger;

    /// @notice Code of the cold-path functions, executed in this contract's storage.
    address public immutable registry;

    constructor(address token_, address owner_, Params memory params_, address registry_) CorStorage(token_, owner_) {
        registry = registry_;
        _setParams(params_);
    }

    /// @dev Every selector not implemented here runs CorRegistry's code against this contract's storage.
    fallback() external {
        address target = registry;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ================================================================== TASKS: SUBMIT AND ASSIGN
    /// @inheritdoc ITaskManager
    function submitTask(uint32 sessionId, bytes32 promptHash, string calldata promptCid, uint24 maxTokens)
        external
        returns (uint256 taskId)
    {
        return _submit(sessionId, promptHash, promptCid, maxTokens);
    }

    /// @inheritdoc ITaskManager
    function submitMany(
        uint32 sessionId,
        bytes32[] calldata promptHashes,
        string[] calldata promptCids,
        uint24[] calldata maxTokens
    ) external returns (uint256 firstTaskId) {
        uint256 n = promptHashes.length;
        if (n == 0 || promptCids.length != n || maxTokens.length != n) revert BatchLengthMismatch();
        firstTaskId = _submit(sessionId, promptHashes[0], promptCids[0], maxTokens[0]);
        for (uint256 i = 1; i < n; ++i) {
            _submit(sessionId, promptHashes[i], promptCids[i], maxTokens[i]);
        }
    }

    function _submit(uint32 sessionId, bytes32 promptHash, string calldata promptCid, uint24 maxTokens)
        internal
        returns (uint256 taskId)
    {
        Session storage s = _openSession(sessionId);
        if (msg.sender != s.owner && !_submitters[sessionId][msg.sender]) {
            revert NotAuthorizedSubmitter(sessionId, msg.sender);
        }
        if (promptHash == bytes32(0) || bytes(promptCid).length == 0) revert InvalidPrompt();
        if (maxTokens == 0 || maxTokens > s.maxTokens) revert ISessionManager.InvalidMaxTokens(maxTokens);
        uint8 r = s.redundancy;
        uint112 escrow = uint112(r) * maxTokens * s.pricePerToken;
        uint112 balance = s.deposit;
        if (escrow > balance) revert ISessionManager.InsufficientDeposit(balance, escrow);
        uint32 index = s.taskCount + 1;
        s.deposit = balance - escrow;
        s.escrowed += escrow;
        s.taskCount = index;

        taskId = uint256(sessionId) << 32 | index;
        Task storage t = _tasks[taskId];
        TaskState memory st;
        st.redundancy = r;
        st.maxTokens = maxTokens;
        emit TaskSubmitted(taskId, sessionId, msg.sender, promptHash, promptCid, maxTokens, escrow);

        if (s.assignment == AssignmentMode.Dedicated) {
            _assignDedicated(taskId, t, st, s, 0);
        } else {
            _queue(taskId, t, st, s);
        }
    }

    /// @inheritdoc ITaskManager
    function assignTask(uint256 taskId, uint32[] calldata nodeIds) external {
        _assignTask(taskId, nodeIds);
    }

    /// @inheritdoc ITaskManager
    function assignMany(uint256[] calldata taskIds, uint32[][] calldata nodeIds) external {
        uint256 n = taskIds.length;
        if (n == 0 || nodeIds.length != n) revert BatchLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _assignTask(taskIds[i], nodeIds[i]);
        }
    }

    function _assignTask(uint256 taskId, uint32[] calldata nodeIds) internal {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        if (st.status == TaskStatus.None) revert UnknownTask(taskId);
        uint32 sessionId = _sessionOf(taskId);
        Session storage s = _sessions[sessionId];
        if (s.assignment != AssignmentMode.Router) revert WrongAssignmentMode(sessionId);
        // The session's router only while Active (a jailed or exiting router neither assigns nor earns).
        uint32 assigner;
        if (msg.sender != s.owner) {
            assigner = _nodeIdOf[msg.sender];
            if (s.routerId == 0 || assigner != s.routerId || _nodes[assigner].ledger.status != NodeStatus.Active) {
                revert NotSessionRouter(sessionId, msg.sender);
            }
        }
        if (st.status != TaskStatus.Queued) revert WrongPhase(taskId, st.status);

        uint256 r = st.redundancy;
        uint256 miners = t.miners;
        uint256 k;
        for (uint256 slot; slot < r; ++slot) {
            if (miners.get32(slot) != 0) continue;
            if (k == nodeIds.length) revert AssignmentCountMismatch(k + 1, nodeIds.length);
            uint32 id = nodeIds[k++];
            if (miners.contains32(r, id)) revert DuplicateMiner(id);
            _take(taskId, st, s, id, AssignmentMode.Router);
            miners = miners.set32(slot, id);
        }
        if (k != nodeIds.length) revert AssignmentCountMismatch(k, nodeIds.length);
        // The fee goes to the router that did the work, whatever the session's router is at settlement.
        miners = miners.set32(ASSIGNER_LANE, assigner);
        _fill(taskId, t, st, s, miners, TaskStatus.Committing);
    }

    /// @inheritdoc ITaskManager
    function claimTask(uint256 taskId) external returns (uint8 slot) {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        if (st.status == TaskStatus.None) revert UnknownTask(taskId);
        uint32 sessionId = _sessionOf(taskId);
        Session storage s = _sessions[sessionId];
        if (s.assignment != AssignmentMode.Claim) revert WrongAssignmentMode(sessionId);
        if (st.status != TaskStatus.Queued) revert WrongPhase(taskId, st.status);
        if (block.timestamp > st.deadline) revert DeadlinePassed(st.deadline);
        uint32 id = _nodeIdOf[msg.sender];
        uint256 r = st.redundancy;
        uint256 miners = t.miners;
        if (id != 0 && miners.contains32(r, id)) revert DuplicateMiner(id);
        _take(taskId, st, s, id, AssignmentMode.Claim);

        uint256 vacant;
        while (miners.get32(vacant) != 0) ++vacant; // Queued guarantees a vacant slot below r
        slot = uint8(vacant);
        miners = miners.set32(vacant, id);
        // The task stays Queued until its last slot is claimed.
        bool full = _popcount32(miners, r) == r;
        _fill(taskId, t, st, s, miners, full ? TaskStatus.Committing : TaskStatus.Queued);
    }

    // ================================================================== TASKS: PRECOMMIT AND REVEAL
    /// @inheritdoc ITaskManager
    function commit(uint256 taskId, uint8 slot, bytes32 commitment) external {
        _commit(taskId, slot, commitment, true);
    }

    /// @inheritdoc ITaskManager
    function commitMany(uint256[] calldata taskIds, uint8[] calldata slots, bytes32[] calldata commitments) external {
        uint256 n = taskIds.length;
        if (n == 0 || slots.length != n || commitments.length != n) revert BatchLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _commit(taskIds[i], slots[i], commitments[i], true);
        }
    }

    /// @inheritdoc ITaskManager
    function commitRoot(uint256[] calldata taskIds, uint8[] calldata slots, bytes32 root) external {
        uint256 n = taskIds.length;
        if (n == 0 || slots.length != n) revert BatchLengthMismatch();
        for (uint256 i; i < n; ++i) {
            _commit(taskIds[i], slots[i], root, false);
        }
        // Every listed slot was free and is now committed, so this list is the only one naming them: a root
        // cannot be reused for another slot, and a slot has exactly one commitment.
        _roots[keccak256(abi.encode(msg.sender, root, taskIds, slots))] = true;
    }

    /// @dev `stored`: the commitment is kept in the slot's hash word (commit, commitMany); commitRoot keeps one word
    /// for the whole batch instead.
    function _commit(uint256 taskId, uint8 slot, bytes32 commitment, bool stored) internal {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        TaskStatus status = st.status;
        if (status != TaskStatus.Committing && status != TaskStatus.Queued) _revertPhase(taskId, status);
        if (block.timestamp > st.deadline) revert DeadlinePassed(st.deadline);
        uint32 nodeId = _requireAssigned(taskId, t.miners, slot);
        if (commitment == bytes32(0)) revert ZeroCommitment();
        uint8 bit = uint8(1 << slot);
        if (st.committedMask & bit != 0) revert AlreadyCommitted(taskId, slot);

        if (stored) _hashes[taskId][slot] = commitment;
        st.committedMask |= bit;
        uint256 delay;
        unchecked {
            delay = uint32(uint32(block.timestamp) - st.assignedAt); // assignedAt is kept mod 2^32
        }
        st.commitDelays = uint56(uint256(st.commitDelays).set8(slot, delay > 255 ? 255 : uint8(delay)));
        // Queued (Claim mode, or a slot being reassigned) moves on when the table fills, not here.
        bool complete = status == TaskStatus.Committing && st.committedMask == _fullMask(st.redundancy);
        if (complete) {
            st.status = TaskStatus.Revealing;
            st.deadline = uint40(block.timestamp + _sessions[_sessionOf(taskId)].revealWindow);
            // From here on assignedAt keeps this block's number: its hash (unknown to every committer) seeds the
            // fast-path audit.
            st.assignedAt = uint32(block.number);
        }
        t.state.store(st);
        emit TaskCommitted(taskId, nodeId, slot, commitment);
        if (complete) emit TaskPhaseChanged(taskId, TaskStatus.Revealing, st.deadline);
    }

    /// @inheritdoc ITaskManager
    function reveal(
        uint256 taskId,
        uint8 slot,
        bytes32 resultHash,
        bytes32 salt,
        uint32 tokens,
        string calldata resultCid
    ) external {
        _reveal(taskId, slot, resultHash, salt, tokens, resultCid, false);
    }

    /// @inheritdoc ITaskManager
    function revealMany(Reveal[] calldata reveals) external {
        uint256 n = reveals.length;
        if (n == 0) revert BatchLengthMismatch();
        for (uint256 i; i < n; ++i) {
            Reveal calldata r = reveals[i];
            _reveal(r.taskId, r.slot, r.resultHash, r.salt, r.tokens, r.resultCid, false);
        }
    }

    /// @inheritdoc ITaskManager
    function revealRoot(
        bytes32 root,
        uint256[] calldata taskIds,
        uint8[] calldata slots,
        bytes32[] calldata leaves,
        RootReveal[] calldata reveals
    ) external {
        uint256 n = taskIds.length;
        uint256 m = reveals.length;
        if (n == 0 || m == 0 || slots.length != n || (leaves.length != 0 && leaves.length != n)) {
            revert BatchLengthMismatch();
        }
        if (!_roots[keccak256(abi.encode(msg.sender, root, taskIds, slots))]) revert RootNotCommitted(root);
        // Rebuild the tree: leaf k is entry k's commitment (computed here for revealed entries), zero past n.
        uint256 size = 1;
        while (size < n) size <<= 1;
        bytes32[] memory tree = new bytes32[](size);
        uint256 j;
        for (uint256 k; k < n; ++k) {
            if (leaves.length != 0 && leaves[k] != 0) {
                tree[k] = leaves[k];
                continue;
            }
            if (j == m) revert BatchLengthMismatch();
            RootReveal calldata r = reveals[j++];
            tree[k] = _commitmentOf(taskIds[k], r.resultHash, r.tokens, r.salt);
        }
        if (j != m) revert BatchLengthMismatch();
        for (; size > 1; size >>= 1) {
            for (uint256 i; i < size >> 1; ++i) {
                bytes32 a = tree[2 * i];
                bytes32 b = tree[2 * i + 1];
                bytes32 h;
                assembly ("memory-safe") {
                    mstore(0, a)
                    mstore(0x20, b)
                    h := keccak256(0, 0x40)
                }
                tree[i] = h;
            }
        }
        if (tree[0] != root) revert RootMismatch(root);
        j = 0;
        for (uint256 k; k < n; ++k) {
            if (leaves.length != 0 && leaves[k] != 0) continue;
            RootReveal calldata r = reveals[j++];
            _reveal(taskIds[k], slots[k], r.resultHash, r.salt, r.tokens, r.resultCid, true);
        }
    }

    /// @dev What commit binds: task, miner account, result hash, output token count and salt.
    function _commitmentOf(uint256 taskId, bytes32 resultHash, uint32 tokens, bytes32 salt)
        internal
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, msg.sender, resultHash, tokens, salt));
    }

    function _reveal(
        uint256 taskId,
        uint8 slot,
        bytes32 resultHash,
        bytes32 salt,
        uint32 tokens,
        string calldata resultCid,
        bool rooted
    ) internal {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        if (st.status != TaskStatus.Revealing) _revertPhase(taskId, st.status);
        uint32 nodeId = _requireAssigned(taskId, t.miners, slot);
        uint8 bit = uint8(1 << slot);
        if (st.revealedMask & bit != 0) revert AlreadyRevealed(taskId, slot);
        // A dropped slot is past the deadline by construction: say why precisely.
        if (st.droppedMask & bit != 0) revert SlotDropped(taskId, slot);
        if (block.timestamp > st.deadline) revert DeadlinePassed(st.deadline);
        mapping(uint256 => bytes32) storage hashes = _hashes[taskId];
        // `rooted`: the slot was committed by commitRoot and revealRoot already checked the commitment against the
        // root of the one batch that lists it (its hash word was never written).
        if (!rooted && _commitmentOf(taskId, resultHash, tokens, salt) != hashes[slot]) {
            revert CommitmentMismatch(taskId, slot);
        }
        if (tokens > st.maxTokens) revert TokensExceedMax(tokens, st.maxTokens);

        if (st.lead == 0) {
            // First result revealed: it becomes the lead the others are compared with.
            hashes[slot] = resultHash;
            st.lead = slot + 1;
            st.leadTokens = uint24(tokens);
            st.matchedMask = bit;
        } else if (tokens == st.leadTokens && hashes[st.lead - 1] == resultHash) {
            // Same result and same committed token count as the lead: identical results are paid the same.
            if (!rooted) delete hashes[slot];
            st.matchedMask |= bit;
        } else {
            hashes[slot] = resultHash;
            t.tokens = t.tokens.set32(slot, tokens);
        }
        st.revealedMask |= bit;
        t.state.store(st);
        emit TaskRevealed(taskId, nodeId, slot, resultHash, tokens, resultCid);

        if (st.revealedMask | st.droppedMask == _fullMask(st.redundancy)) _onRevealsComplete(taskId, t, st);
    }

    // ================================================================== TASKS: VALIDATION
    /// @inheritdoc ITaskManager
    function attest(uint256 taskId, uint16[] calldata scores) external {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        if (st.status != TaskStatus.Validating) _revertPhase(taskId, st.status);
        if (block.timestamp > st.deadline) revert DeadlinePassed(st.deadline);
        uint32 validatorId = _nodeIdOf[msg.sender];
        NodeRecord storage v = _nodes[validatorId];
        NodeLedger memory l = v.ledger.load();
        if (validatorId == 0 || v.role != Role.Validator || l.status != NodeStatus.Active) {
            revert NotValidator(msg.sender);
        }
        uint256 r = st.redundancy;
        if (scores.length != r) revert ScoresLengthMismatch(r, scores.length);
        uint256 count = st.attestations;
        // A validator cannot unregister while an attestation is open (its stake is locked), so its account has
        // one node id for the life of the task.
        for (uint256 i; i < count; ++i) {
            if (uint32(_attestations[taskId][i]) == validatorId) revert AlreadyAttested(taskId, validatorId);
        }
        uint256 packed = validatorId;
        for (uint256 i; i < r; ++i) {
            if (scores[i] > BPS) revert ScoreOutOfRange(scores[i]);
            packed |= uint256(scores[i]) << (32 + 16 * i);
        }
        _requireConsistent(taskId, t, st, scores);

        _attestations[taskId][count] = packed;
        st.attestations = uint8(++count);
        t.state.store(st);
        ++l.open; // checked: an attestation left uncounted would underflow its release and freeze the task
        v.ledger.store(l);
        emit Attested(taskId, validatorId, scores);

        Session storage s = _sessions[_sessionOf(taskId)];
        if (count == s.quorum) _settleByScores(taskId, t, st, s);
    }

    /// @dev Identical results (same hash and token count) must get the same score: otherwise one validator (or a
    /// colluding quorum) could accept one copy and reject, and slash, another copy of the accepted result.
    function _requireConsistent(uint256 taskId, Task storage t, TaskState memory st, uint16[] calldata scores)
        internal
        view
    {
        uint256 revealed = st.revealedMask;
        uint256 matched = st.matchedMask;
        uint256 others = revealed & ~matched;
        uint256 tokens = t.tokens;
        for (uint256 i; i < st.redundancy; ++i) {
            if (revealed & (1 << i) == 0) continue;
            if (matched & (1 << i) != 0) {
                if (scores[i] != scores[st.lead - 1]) revert InconsistentScores(uint8(i));
                continue;
            }
            uint256 same = _sameResult(taskId, tokens, others, i, st.redundancy);
            for (uint256 j = i + 1; j < st.redundancy; ++j) {
                if (same & (1 << j) != 0 && scores[j] != scores[i]) revert InconsistentScores(uint8(j));
            }
        }
    }

    /// @inheritdoc ITaskManager
    function finalize(uint256 taskId) external {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        if (st.status != TaskStatus.Validating) _revertPhase(taskId, st.status);
        if (block.timestamp <= st.deadline) revert DeadlineNotPassed(st.deadline);
        // Below quorum: no verdict. Nobody is slashed and the client pays for every revealed result.
        uint256[] memory packed = _loadAttestations(taskId, st.attestations);
        _releaseValidators(taskId, packed, 0, 0, false);
        _close(taskId, t, st, _sessions[_sessionOf(taskId)], st.revealedMask, 0, 0, FailReason.NoQuorum);
    }

    // ================================================================== TASKS: TIMEOUTS
    /// @inheritdoc ITaskManager
    function expire(uint256 taskId, uint8 slot) external {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        TaskStatus status = st.status;
        if (status != TaskStatus.Queued && status != TaskStatus.Committing && status != TaskStatus.Revealing) {
            _revertPhase(taskId, status);
        }
        if (slot >= st.redundancy) revert InvalidSlot(slot);
        if (block.timestamp <= st.deadline) revert DeadlineNotPassed(st.deadline);
        Session storage s = _sessions[_sessionOf(taskId)];
        uint8 bit = uint8(1 << slot);
        uint256 miners = t.miners;
        uint32 nodeId = miners.get32(slot);

        if (status == TaskStatus.Revealing) {
            // Results of the others are public now, so a late revealer is dropped, never replaced; withholding a
            // committed result is a provable fault (slashed at least as much as a rejected result).
            if ((st.revealedMask | st.droppedMask) & bit != 0) revert NothingToExpire(taskId, slot);
            st.droppedMask |= bit;
            t.state.store(st);
            emit SlotExpired(taskId, nodeId, slot, status, st.retries, msg.sender);
            _penalize(taskId, nodeId, uint8(slot), Outcome.TimedOut, _params.withholdSlashBps, true);
            if (st.revealedMask | st.droppedMask == _fullMask(st.redundancy)) _onRevealsComplete(taskId, t, st);
            return;
        }
        if (nodeId == 0) {
            // Nobody took the slot in time: the task cannot run.
            _close(taskId, t, st, s, 0, 0, 0, FailReason.NoMiners);
            return;
        }
        if (st.committedMask & bit != 0) revert NothingToExpire(taskId, slot);
        // The retry count stays at the limit when the limit is what fails the task.
        bool exhausted = st.retries >= s.retryLimit;
        if (!exhausted) ++st.retries;
        t.miners = miners = miners.set32(slot, 0);
        _timedOutOn[taskId][nodeId] = true;
        t.state.store(st);
        emit SlotExpired(taskId, nodeId, slot, status, st.retries, msg.sender);
        // It never committed: reputation only, no stake (nobody can be slashed for work it did not accept).
        _penalize(taskId, nodeId, slot, Outcome.TimedOut, 0, true);
        if (exhausted) {
            _close(taskId, t, st, s, 0, 0, 0, FailReason.RetriesExhausted);
        } else if (s.assignment == AssignmentMode.Dedicated) {
            _assignDedicated(taskId, t, st, s, nodeId);
        } else {
            _queue(taskId, t, st, s);
        }
    }

    // ================================================================== VIEWS
    /// @notice See ICorNetwork.getAttestation.
    function getAttestation(uint256 taskId, uint256 index)
        external
        view
        returns (uint32 validatorId, uint16[] memory scores)
    {
        uint256 packed = _attestations[taskId][index];
        uint256 r = _tasks[taskId].state.redundancy;
        validatorId = uint32(packed);
        scores = new uint16[](r);
        for (uint256 i; i < r; ++i) {
            scores[i] = uint16(packed >> (32 + 16 * i));
        }
    }

    // ================================================================== INTERNAL: SETTLEMENT
    /// @dev Every non-dropped slot has revealed: settle at once when results agree (unless the audit sample picks
    /// the task), else by validation mode.
    function _onRevealsComplete(uint256 taskId, Task storage t, TaskState memory st) internal {
        Session storage s = _sessions[_sessionOf(taskId)];
        uint256 revealed = st.revealedMask;
        if (revealed == 0) {
            _close(taskId, t, st, s, 0, 0, 0, FailReason.NoResults);
            return;
        }
        ValidationMode mode = s.validation;
        bool validated = mode == ValidationMode.Embedding || mode == ValidationMode.Replay;
        if (mode == ValidationMode.None || (st.matchedMask == revealed && !(validated && _audited(taskId, st, s)))) {
            // Fast path (or no validation): every revealed result is accepted, the lead is the winner.
            _close(taskId, t, st, s, revealed, st.lead - 1, 0, FailReason.NoResults);
        } else if (mode == ValidationMode.ExactMatch) {
            (uint256 majority, uint256 winner) = _majority(taskId, t, st);
            if (majority == 0) {
                // No strict majority: nobody can tell who is wrong. The client has the results, so it pays for
                // every one of them, and nobody is slashed.
                _close(taskId, t, st, s, revealed, 0, 0, FailReason.NoMajority);
            } else {
                _close(taskId, t, st, s, majority, winner, 0, FailReason.NoResults);
            }
        } else {
            st.status = TaskStatus.Validating;
            st.deadline = uint40(block.timestamp + s.attestWindow);
            t.state.store(st);
            emit TaskPhaseChanged(taskId, TaskStatus.Validating, st.deadline);
        }
    }

    /// @dev Whether an agreeing result of a Router / Claim session goes to validators anyway: one operator may own
    /// every slot there. The draw is keyed by the hash of the block that held the last commit, unknown to every
    /// committer; when that hash is not available (same block, or older than 256 blocks) the task is audited.
    function _audited(uint256 taskId, TaskState memory st, Session storage s) internal view returns (bool) {
        uint256 bps = _params.auditBps;
        if (bps == 0 || s.assignment == AssignmentMode.Dedicated) return false;
        uint256 seedBlock = (block.number & ~uint256(type(uint32).max)) | st.assignedAt;
        if (seedBlock >= block.number || block.number - seedBlock > 256) return true;
        return uint256(keccak256(abi.encode(blockhash(seedBlock), taskId))) % BPS < bps;
    }

    /// @dev Mask of the slots whose result (hash and token count) is held by a strict majority of the revealed
    /// slots (0 if none), and the slot that wins: the lead if it is in the majority, else the lowest slot of the
    /// majority. The lead's group is matchedMask; every other slot keeps its full hash and its token count.
    function _majority(uint256 taskId, Task storage t, TaskState memory st)
        internal
        view
        returns (uint256 mask, uint256 winner)
    {
        uint256 revealed = st.revealedMask;
        uint256 total = _popcount(revealed);
        if (_popcount(st.matchedMask) * 2 > total) return (st.matchedMask, st.lead - 1);
        uint256 others = revealed & ~uint256(st.matchedMask);
        uint256 tokens = t.tokens;
        for (uint256 i; i < st.redundancy; ++i) {
            if (others & (1 << i) == 0) continue;
            uint256 same = _sameResult(taskId, tokens, others, i, st.redundancy);
            if (_popcount(same) * 2 > total) return (same, i);
        }
    }

    /// @dev Mask of the slots of `others` from `i` on holding slot i's result hash and token count.
    function _sameResult(uint256 taskId, uint256 tokens, uint256 others, uint256 i, uint256 r)
        internal
        view
        returns (uint256 same)
    {
        bytes32 h = _hashes[taskId][i];
        same = 1 << i;
        for (uint256 j = i + 1; j < r; ++j) {
            if (others & (1 << j) != 0 && _hashes[taskId][j] == h && tokens.get32(j) == tokens.get32(i)) {
                same |= 1 << j;
            }
        }
    }

    /// @dev The quorum-th attestation: median score per revealed slot against the mode's acceptance bar. Slots at
    /// or above it are accepted (the best one is the result, ties: lowest slot), the others rejected and slashed.
    /// Validators within attestDeviationBps of every median share the validator fee; the others are slashed.
    function _settleByScores(uint256 taskId, Task storage t, TaskState memory st, Session storage s) internal {
        uint256[] memory packed = _loadAttestations(taskId, st.attestations);
        uint256 bar = s.validation == ValidationMode.Replay ? _params.replayBarBps : _params.embeddingBarBps;
        (uint256[] memory medians, uint256 accepted, uint256 winner) =
            _medians(packed, st.revealedMask, st.redundancy, bar);
        uint256 honest = _agreeing(packed, medians, st.revealedMask);
        if (accepted == 0) {
            _releaseValidators(taskId, packed, honest, 0, true);
            _close(taskId, t, st, s, 0, 0, 0, FailReason.AllRejected);
        } else {
            _close(taskId, t, st, s, accepted, winner, honest | (1 << 255), FailReason.NoResults);
        }
    }

    /// @dev Median of the attested scores per revealed slot, the mask of slots at or above `bar` and the best of
    /// them (ties: lowest slot).
    function _medians(uint256[] memory packed, uint256 revealed, uint256 r, uint256 bar)
        internal
        pure
        returns (uint256[] memory medians, uint256 accepted, uint256 winner)
    {
        uint256 n = packed.length;
        medians = new uint256[](r);
        uint256[] memory column = new uint256[](n);
        uint256 best;
        for (uint256 i; i < r; ++i) {
            if (revealed & (1 << i) == 0) continue;
            for (uint256 k; k < n; ++k) {
                column[k] = uint16(packed[k] >> (32 + 16 * i));
            }
            uint256 m = Median.median(column);
            medians[i] = m;
            if (m >= bar) {
                if (accepted == 0 || m > best) (best, winner) = (m, i);
                accepted |= 1 << i;
            }
        }
    }

    /// @dev Bit k set when attestation k is within attestDeviationBps of the median on every revealed slot.
    function _agreeing(uint256[] memory packed, uint256[] memory medians, uint256 revealed)
        internal
        view
        returns (uint256 honest)
    {
        uint256 deviation = _params.attestDeviationBps;
        uint256 r = medians.length;
        for (uint256 k; k < packed.length; ++k) {
            bool agrees = true;
            for (uint256 i; i < r; ++i) {
                if (revealed & (1 << i) == 0) continue;
                uint256 score = uint16(packed[k] >> (32 + 16 * i));
                uint256 diff = score > medians[i] ? score - medians[i] : medians[i] - score;
                if (diff > deviation) {
                    agrees = false;
                    break;
                }
            }
            if (agrees) honest |= 1 << k;
        }
    }

    /// @dev Ends a task and releases every slot still held by it.
    /// - `paid` slots (revealed) are credited tokens × price less fees: Accepted when there is a verdict, Unverified
    ///   when the task fails without one (`reason` NoMajority / NoQuorum);
    /// - the other revealed slots are rejected and slashed only when there is a verdict;
    /// - assigned slots that never revealed (failure before Revealing) are only released.
    /// Finalized when there is a verdict with at least one accepted result, else Failed with `reason`.
    /// `validators` is 0 without validators, else bit 255 set plus a bit per attestation index that agreed.
    function _close(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        Session storage s,
        uint256 paidMask,
        uint256 winner,
        uint256 validators,
        FailReason reason
    ) internal {
        bool verdict = reason == FailReason.NoResults || reason == FailReason.AllRejected;
        // winner becomes 1 + the winning slot when the task finalizes, 0 when it fails.
        winner = verdict && paidMask != 0 ? winner + 1 : 0;
        uint32 routerId = winner != 0 ? t.miners.get32(ASSIGNER_LANE) : 0;
        (uint256 paid, uint256 minersPaid) = _settleMiners(
            taskId,
            t,
            st,
            s,
            paidMask,
            uint256(_params.protocolFeeBps) + (validators != 0 ? _params.validatorFeeBps : 0)
                + (routerId != 0 ? _params.routerFeeBps : 0),
            verdict
        );
        uint256[4] memory fees = _payFees(taskId, st, paid, minersPaid, validators, routerId);
        _end(taskId, t, st, s, winner, paid, fees, reason);
    }

    /// @dev Credits the validator and router fees of what the task paid; the protocol gets the rest (rounding dust
    /// included). Returns [protocol, validator, router, router id].
    function _payFees(
        uint256 taskId,
        TaskState memory st,
        uint256 paid,
        uint256 minersPaid,
        uint256 validators,
        uint32 routerId
    ) internal returns (uint256[4] memory fees) {
        fees[3] = routerId;
        if (validators != 0) {
            fees[1] = _releaseValidators(
                taskId,
                _loadAttestations(taskId, st.attestations),
                validators,
                paid * _params.validatorFeeBps / BPS,
                true
            );
        }
        if (routerId != 0) {
            NodeLedger storage router = _nodes[routerId].ledger;
            NodeLedger memory l = router.load();
            // Only a router still Active earns: a jailed or exiting one does not.
            if (l.status == NodeStatus.Active) {
                fees[2] = paid * _params.routerFeeBps / BPS;
                l.rewards += uint96(fees[2]);
                router.store(l);
                emit RouterFeePaid(taskId, routerId, uint96(fees[2]));
            }
        }
        fees[0] = paid - minersPaid - fees[1] - fees[2];
        _protocolFees += fees[0];
    }

    /// @dev Marks the task Finalized (`winner1` = 1 + winning slot) or Failed (`winner1` = 0) and releases its
    /// escrow: what was not paid returns to the session's free balance.
    function _end(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        Session storage s,
        uint256 winner1,
        uint256 paid,
        uint256[4] memory fees,
        FailReason reason
    ) internal {
        st.status = winner1 != 0 ? TaskStatus.Finalized : TaskStatus.Failed;
        st.winner = uint8(winner1);
        t.state.store(st);
        uint112 escrow = _escrow(st, s);
        uint112 refund = escrow - uint112(paid);
        s.escrowed -= escrow;
        s.deposit += refund;
        if (winner1 == 0) {
            emit TaskFailed(taskId, _sessionOf(taskId), reason, uint112(paid), refund);
            return;
        }
        _emitFinalized(taskId, t.miners, st, winner1 - 1, paid, refund, fees);
    }

    function _emitFinalized(
        uint256 taskId,
        uint256 miners,
        TaskState memory st,
        uint256 winner,
        uint256 paid,
        uint112 refund,
        uint256[4] memory fees
    ) internal {
        emit TaskFinalized(
            taskId,
            _sessionOf(taskId),
            uint8(winner),
            miners.get32(winner),
            _resultOf(taskId, st, winner),
            uint112(paid),
            refund,
            uint112(fees[0]),
            uint112(fees[1]),
            uint112(fees[2]),
            uint32(fees[3])
        );
    }

    /// @dev Walks the slot table once: pays `paidMask` slots, rejects the other revealed slots (with a verdict),
    /// releases every slot still held (dropped and vacated slots were released when they expired). Returns what
    /// the client pays and what the miners get.
    function _settleMiners(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        Session storage s,
        uint256 paidMask,
        uint256 feeBps,
        bool verdict
    ) internal returns (uint256 paid, uint256 minersPaid) {
        for (uint256 i; i < st.redundancy; ++i) {
            uint32 nodeId = t.miners.get32(i);
            if (nodeId == 0 || st.droppedMask & (1 << i) != 0) continue;
            if (st.revealedMask & (1 << i) == 0) {
                _release(nodeId);
            } else if (paidMask & (1 << i) != 0) {
                (uint256 gross, uint256 net) = _pay(taskId, t, st, nodeId, uint8(i), s.pricePerToken, feeBps, verdict);
                paid += gross;
                minersPaid += net;
            } else {
                // Unpaid revealed slots exist only with a verdict (no-verdict closes pay every revealed slot).
                _penalize(taskId, nodeId, uint8(i), Outcome.Rejected, _params.rejectSlashBps, true);
            }
        }
    }

    /// @dev One SLOAD and one SSTORE of the miner's ledger. A registration that ended is never paid: its share
    /// stays with the client. With a verdict the reputation moves toward 10000 by a step weighted by the protocol
    /// fee this result paid (a full 1/8 step per reputationFeeUnit), so reputation costs real money to earn.
    function _pay(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        uint32 nodeId,
        uint8 slot,
        uint256 price,
        uint256 feeBps,
        bool verdict
    ) internal returns (uint256 gross, uint256 net) {
        NodeLedger memory l = _nodes[nodeId].ledger.load();
        l.open = uint16(l.open - 1);
        if (l.status == NodeStatus.Unregistered) {
            _nodes[nodeId].ledger.store(l);
            return (0, 0);
        }
        uint32 tokens = _tokensOf(t, st, slot);
        gross = uint256(tokens) * price;
        net = gross * (BPS - feeBps) / BPS;
        l.rewards += uint96(net);
        if (verdict) _credit(l, gross, tokens, uint8(uint256(st.commitDelays) >> (uint256(slot) << 3)));
        _nodes[nodeId].ledger.store(l);
        emit WorkSettled(
            taskId, nodeId, slot, verdict ? Outcome.Accepted : Outcome.Unverified, tokens, uint96(net), l.score, l.speed
        );
    }

    /// @dev Accepted work: counters, and score / speed moved by the fee-weighted step.
    function _credit(NodeLedger memory l, uint256 gross, uint256 tokens, uint256 delay) internal view {
        l.accepted = uint24(_inc(l.accepted, type(uint24).max));
        uint256 served = uint256(l.tokensServed) + tokens;
        l.tokensServed = uint32(served > type(uint32).max ? type(uint32).max : served);
        uint256 fee = gross * _params.protocolFeeBps / BPS;
        uint256 unit = _params.reputationFeeUnit;
        uint256 weight = unit == 0 || fee >= unit ? BPS : fee * BPS / unit;
        l.score = uint16(l.score + (BPS - l.score) * weight / (8 * uint256(BPS)));
        uint256 speed = tokens / (delay == 0 ? 1 : delay);
        if (speed > type(uint16).max) speed = type(uint16).max;
        l.speed = uint16(
            speed >= l.speed
                ? l.speed + (speed - l.speed) * weight / (4 * uint256(BPS))
                : l.speed - (l.speed - speed) * weight / (4 * uint256(BPS))
        );
    }

    function _loadAttestations(uint256 taskId, uint256 n) internal view returns (uint256[] memory packed) {
        packed = new uint256[](n);
        for (uint256 k; k < n; ++k) {
            packed[k] = _attestations[taskId][k];
        }
    }

    /// @dev Releases every attestation of the task. With a verdict (`verdict`), `fee` is shared equally by the
    /// validators flagged in `honest` (unregistered ones are skipped and their share stays with the protocol);
    /// the others are slashed validatorSlashBps and lose reputation. Without one, nothing else changes.
    /// Returns what was credited.
    function _releaseValidators(uint256 taskId, uint256[] memory packed, uint256 honest, uint256 fee, bool verdict)
        internal
        returns (uint256 credited)
    {
        uint256 n = packed.length;
        uint256 count = _popcount(honest & ((1 << n) - 1));
        uint256 share = count == 0 ? 0 : fee / count;
        for (uint256 k; k < n; ++k) {
            uint32 validatorId = uint32(packed[k]);
            if (!verdict) {
                _release(validatorId);
            } else if (honest & (1 << k) == 0) {
                _penalize(taskId, validatorId, VALIDATOR_SLOT, Outcome.Rejected, _params.validatorSlashBps, true);
            } else {
                NodeLedger storage ledger = _nodes[validatorId].ledger;
                NodeLedger memory l = ledger.load();
                l.open = uint16(l.open - 1);
                if (l.status != NodeStatus.Unregistered) {
                    l.rewards += uint96(share);
                    l.accepted = uint24(_inc(l.accepted, type(uint24).max));
                    l.score = _ewma(l.score, BPS, 3);
                    credited += share;
                }
                ledger.store(l);
                emit WorkSettled(
                    taskId, validatorId, VALIDATOR_SLOT, Outcome.Accepted, 0, uint96(share), l.score, l.speed
                );
            }
        }
    }

    /// @dev A rejected result, a withheld reveal, a deviating attestation or a missed precommit: reputation down
    /// and `bps` of the stake moved to protocol fees (0 for a missed precommit). `release` frees the assignment.
    /// A node left below its minimum stake is jailed until it tops up and unjails.
    function _penalize(uint256 taskId, uint32 nodeId, uint8 slot, Outcome outcome, uint256 bps, bool release) internal {
        NodeRecord storage n = _nodes[nodeId];
        NodeLedger memory l = n.ledger.load();
        if (release) l.open = uint16(l.open - 1);
        if (outcome == Outcome.Rejected) l.rejected = uint24(_inc(l.rejected, type(uint24).max));
        else l.timedOut = uint24(_inc(l.timedOut, type(uint24).max));
        l.score = _ewma(l.score, 0, 3);
        uint96 amount;
        uint96 stake = n.stake;
        bool jailed;
        if (bps != 0) {
            amount = uint96(uint256(stake) * bps / BPS);
            stake -= amount;
            n.stake = stake;
            _protocolFees += amount;
            jailed = l.status == NodeStatus.Active && stake < _minStake(n.role);
            if (jailed) {
                l.status = NodeStatus.Jailed;
                n.until = uint40(block.timestamp);
            }
        }
        n.ledger.store(l);
        emit WorkSettled(taskId, nodeId, slot, outcome, 0, 0, l.score, l.speed);
        if (jailed) emit INodeRegistry.NodeJailed(nodeId, uint40(block.timestamp));
        if (bps != 0) {
            SlashReason reason = slot == VALIDATOR_SLOT
                ? SlashReason.Deviated
                : (outcome == Outcome.Rejected ? SlashReason.Rejected : SlashReason.Withheld);
            emit INodeRegistry.NodeSlashed(nodeId, taskId, reason, amount, stake, l.status);
        }
    }

    /// @dev Frees one open assignment / attestation of a node.
    function _release(uint32 nodeId) internal {
        NodeLedger storage ledger = _nodes[nodeId].ledger;
        NodeLedger memory l = ledger.load();
        l.open = uint16(l.open - 1);
        ledger.store(l);
    }

    // ================================================================== INTERNAL: ASSIGNMENT
    /// @dev Puts miner `nodeId` on the task if it is eligible and consents: Active, serving the model, reputation
    /// at least the session's minimum, not timed out on this task, and its offer covers the session's price and
    /// assignment mode with capacity left. Counts the assignment as open (capacity, stake lock).
    function _take(uint256 taskId, TaskState memory st, Session storage s, uint32 nodeId, AssignmentMode mode)
        internal
    {
        bytes memory refusal = _refusal(taskId, st, s, nodeId, mode);
        if (refusal.length != 0) {
            assembly ("memory-safe") {
                revert(add(refusal, 0x20), mload(refusal))
            }
        }
        _open(nodeId);
    }

    /// @dev Counts one more open assignment of `nodeId` (capacity, stake lock).
    function _open(uint32 nodeId) internal {
        NodeLedger storage ledger = _nodes[nodeId].ledger;
        NodeLedger memory l = ledger.load();
        ++l.open;
        ledger.store(l);
    }

    /// @dev Why miner `nodeId` may not take a slot of the task in `mode` (the revert data), or nothing when it may.
    /// The one statement of the eligibility and consent rule: assign and claim revert with it, the dedicated list
    /// skips on it.
    function _refusal(uint256 taskId, TaskState memory st, Session storage s, uint32 nodeId, AssignmentMode mode)
        internal
        view
        returns (bytes memory)
    {
        NodeRecord storage n = _nodes[nodeId];
        NodeLedger memory l = n.ledger.load();
        // Only miners serve models, so serving the model implies the role.
        if (nodeId == 0 || l.status != NodeStatus.Active) {
            return abi.encodeWithSelector(NodeNotEligible.selector, nodeId);
        }
        bytes32 modelId = s.modelId;
        if (!_servesModel[nodeId][modelId]) return abi.encodeWithSelector(ModelNotServed.selector, nodeId, modelId);
        uint16 minReputation = s.minReputation;
        if (l.score < minReputation) {
            return abi.encodeWithSelector(ReputationTooLow.selector, nodeId, l.score, minReputation);
        }
        Offer memory offer = n.offer;
        if (s.pricePerToken < offer.minPrice || offer.modes & (1 << uint8(mode)) == 0 || l.open >= offer.capacity) {
            return abi.encodeWithSelector(OfferNotCovered.selector, nodeId);
        }
        if (st.retries != 0 && _timedOutOn[taskId][nodeId]) {
            return abi.encodeWithSelector(AlreadyTimedOut.selector, taskId, nodeId);
        }
        return "";
    }

    /// @dev Fills the vacant slots from the session's dedicated list, skipping miners that are not eligible or do
    /// not consent (see _take), miners already on the task and `exclude` (the miner that just timed out). At submit
    /// (status None) a shortage reverts NotEnoughMiners; on a reassignment it fails the task.
    function _assignDedicated(uint256 taskId, Task storage t, TaskState memory st, Session storage s, uint32 exclude)
        internal
    {
        uint256 r = st.redundancy;
        uint256 miners = t.miners;
        uint256 dedicated = s.dedicated;
        uint256 next;
        for (uint256 slot; slot < r; ++slot) {
            if (miners.get32(slot) != 0) continue;
            uint32 id;
            while (next < MAX_REDUNDANCY) {
                uint32 candidate = dedicated.get32(next++);
                if (candidate == 0) break;
                if (candidate == exclude || miners.contains32(r, candidate)) continue;
                if (_refusal(taskId, st, s, candidate, AssignmentMode.Dedicated).length == 0) {
                    _open(candidate);
                    id = candidate;
                    break;
                }
            }
            if (id == 0) {
                if (st.status == TaskStatus.None) revert NotEnoughMiners(_popcount32(miners, r), r);
                t.miners = miners;
                _close(taskId, t, st, s, 0, 0, 0, FailReason.NoMiners);
                return;
            }
            miners = miners.set32(slot, id);
        }
        _fill(taskId, t, st, s, miners, TaskStatus.Committing);
    }

    /// @dev (Re)opens the queue: vacant slots can be assigned or claimed until the new deadline.
    function _queue(uint256 taskId, Task storage t, TaskState memory st, Session storage s) internal {
        st.status = TaskStatus.Queued;
        st.deadline = uint40(block.timestamp + s.precommitWindow);
        t.state.store(st);
        emit TaskPhaseChanged(taskId, TaskStatus.Queued, st.deadline);
    }

    /// @dev Stores a new slot table and starts a precommit window. The slot just filled has not committed, so a
    /// fill never completes the precommit phase by itself.
    function _fill(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        Session storage s,
        uint256 miners,
        TaskStatus status
    ) internal {
        st.status = status;
        st.deadline = uint40(block.timestamp + s.precommitWindow);
        st.assignedAt = uint32(block.timestamp);
        t.miners = miners;
        t.state.store(st);
        uint256 r = st.redundancy;
        uint32[] memory table = new uint32[](r);
        for (uint256 i; i < r; ++i) {
            table[i] = miners.get32(i);
        }
        emit TaskAssigned(taskId, msg.sender, table, status, st.deadline);
    }
}
