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
    Outcome,
    Params,
    Role,
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
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        if (st.status == TaskStatus.None) revert UnknownTask(taskId);
        uint32 sessionId = _sessionOf(taskId);
        Session storage s = _sessions[sessionId];
        if (s.assignment != AssignmentMode.Router) revert WrongAssignmentMode(sessionId);
        if (msg.sender != s.owner && (s.routerId == 0 || _nodeIdOf[msg.sender] != s.routerId)) {
            revert NotSessionRouter(sessionId, msg.sender);
        }
        if (st.status != TaskStatus.Queued) revert WrongPhase(taskId, st.status);

        uint256 r = st.redundancy;
        uint256 miners = t.miners;
        bytes32 modelId = s.modelId;
        uint16 minReputation = s.minReputation;
        uint256 k;
        for (uint256 slot; slot < r; ++slot) {
            if (miners.get32(slot) != 0) continue;
            if (k == nodeIds.length) revert AssignmentCountMismatch(k + 1, nodeIds.length);
            uint32 id = nodeIds[k++];
            _checkEligible(id, modelId, minReputation);
            if (miners.contains32(r, id)) revert DuplicateMiner(id);
            miners = miners.set32(slot, id);
        }
        if (k != nodeIds.length) revert AssignmentCountMismatch(k, nodeIds.length);
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
        _checkEligible(id, s.modelId, s.minReputation);

        uint256 r = st.redundancy;
        uint256 miners = t.miners;
        if (miners.contains32(r, id)) revert DuplicateMiner(id);
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
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        TaskStatus status = st.status;
        if (status != TaskStatus.Committing && status != TaskStatus.Queued) _revertPhase(taskId, status);
        if (block.timestamp > st.deadline) revert DeadlinePassed(st.deadline);
        uint32 nodeId = _requireAssigned(taskId, t.miners, slot);
        if (commitment == bytes32(0)) revert ZeroCommitment();
        uint8 bit = uint8(1 << slot);
        if (st.committedMask & bit != 0) revert AlreadyCommitted(taskId, slot);

        _hashes[taskId][slot] = commitment;
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
        if (keccak256(abi.encode(taskId, msg.sender, resultHash, salt)) != hashes[slot]) {
            revert CommitmentMismatch(taskId, slot);
        }
        if (tokens > st.maxTokens) revert TokensExceedMax(tokens, st.maxTokens);

        if (st.lead == 0) {
            // First result revealed: it becomes the lead the others are compared with.
            hashes[slot] = resultHash;
            st.lead = slot + 1;
            st.leadTokens = uint24(tokens);
            st.matchedMask = bit;
        } else if (hashes[st.lead - 1] == resultHash) {
            hashes[slot] = bytes32(uint256(tokens));
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
        if (validatorId == 0 || v.role != Role.Validator || v.ledger.status != NodeStatus.Active) {
            revert NotValidator(msg.sender);
        }
        uint256 r = st.redundancy;
        if (scores.length != r) revert ScoresLengthMismatch(r, scores.length);
        uint256 count = st.attestations;
        for (uint256 i; i < count; ++i) {
            if (uint32(_attestations[taskId][i]) == validatorId) revert AlreadyAttested(taskId, validatorId);
        }
        uint256 packed = validatorId;
        for (uint256 i; i < r; ++i) {
            if (scores[i] > BPS) revert ScoreOutOfRange(scores[i]);
            packed |= uint256(scores[i]) << (32 + 16 * i);
        }

        _attestations[taskId][count] = packed;
        st.attestations = uint8(++count);
        t.state.store(st);
        emit Attested(taskId, validatorId, scores);

        Session storage s = _sessions[_sessionOf(taskId)];
        if (count == s.quorum) _settleByScores(taskId, t, st, s);
    }

    /// @inheritdoc ITaskManager
    function finalize(uint256 taskId) external {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state.load();
        if (st.status != TaskStatus.Validating) _revertPhase(taskId, st.status);
        if (block.timestamp <= st.deadline) revert DeadlineNotPassed(st.deadline);
        Session storage s = _sessions[_sessionOf(taskId)];
        if (st.attestations == 0) _fail(taskId, t, st, s, FailReason.NoAttestations);
        else _settleByScores(taskId, t, st, s);
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
            // Results of the others are public now, so a late revealer is dropped, never replaced.
            if ((st.revealedMask | st.droppedMask) & bit != 0) revert NothingToExpire(taskId, slot);
            st.droppedMask |= bit;
            t.state.store(st);
            emit SlotExpired(taskId, nodeId, slot, status, st.retries);
            _penalize(taskId, nodeId, slot, Outcome.TimedOut);
            if (st.revealedMask | st.droppedMask == _fullMask(st.redundancy)) _onRevealsComplete(taskId, t, st);
            return;
        }
        if (nodeId == 0) {
            // Nobody took the slot in time: the task cannot run.
            _fail(taskId, t, st, s, FailReason.NoMiners);
            return;
        }
        if (st.committedMask & bit != 0) revert NothingToExpire(taskId, slot);
        // The retry count stays at the limit when the limit is what fails the task.
        bool exhausted = st.retries >= s.retryLimit;
        if (!exhausted) ++st.retries;
        t.miners = miners.set32(slot, 0);
        t.state.store(st);
        emit SlotExpired(taskId, nodeId, slot, status, st.retries);
        _penalize(taskId, nodeId, slot, Outcome.TimedOut);
        if (exhausted) {
            _fail(taskId, t, st, s, FailReason.RetriesExhausted);
        } else if (s.assignment == AssignmentMode.Dedicated) {
            _assignDedicated(taskId, t, st, s, nodeId);
        } else {
            _queue(taskId, t, st, s);
        }
    }

    // ================================================================== INTERNAL: SETTLEMENT
    /// @dev Every non-dropped slot has revealed: settle at once when results agree, else by validation mode.
    function _onRevealsComplete(uint256 taskId, Task storage t, TaskState memory st) internal {
        Session storage s = _sessions[_sessionOf(taskId)];
        uint256 revealed = st.revealedMask;
        if (revealed == 0) {
            _fail(taskId, t, st, s, FailReason.NoResults);
            return;
        }
        ValidationMode mode = s.validation;
        if (st.matchedMask == revealed || mode == ValidationMode.None) {
            // Fast path (or no validation): every revealed result is accepted, the lead is the winner.
            _settle(taskId, t, st, s, revealed, st.lead - 1, 0);
        } else if (mode == ValidationMode.ExactMatch) {
            (uint256 majority, uint256 winner) = _majority(taskId, st);
            if (majority == 0) _fail(taskId, t, st, s, FailReason.NoMajority);
            else _settle(taskId, t, st, s, majority, winner, 0);
        } else {
            st.status = TaskStatus.Validating;
            st.deadline = uint40(block.timestamp + s.attestWindow);
            t.state.store(st);
            emit TaskPhaseChanged(taskId, TaskStatus.Validating, st.deadline);
        }
    }

    /// @dev Mask of the slots whose result is held by a strict majority of the revealed slots (0 if none), and the
    /// slot that wins: the lead if it is in the majority, else the lowest slot of the majority. The lead's group is
    /// matchedMask; every other group has distinct full hashes in _hashes.
    function _majority(uint256 taskId, TaskState memory st) internal view returns (uint256 mask, uint256 winner) {
        uint256 revealed = st.revealedMask;
        uint256 total = _popcount(revealed);
        if (_popcount(st.matchedMask) * 2 > total) return (st.matchedMask, st.lead - 1);
        uint256 others = revealed & ~uint256(st.matchedMask);
        uint256 r = st.redundancy;
        for (uint256 i; i < r; ++i) {
            if (others & (1 << i) == 0) continue;
            bytes32 h = _hashes[taskId][i];
            uint256 same = 1 << i;
            for (uint256 j = i + 1; j < r; ++j) {
                if (others & (1 << j) != 0 && _hashes[taskId][j] == h) same |= 1 << j;
            }
            if (_popcount(same) * 2 > total) return (same, i);
        }
    }

    /// @dev Embedding mode: median score per revealed slot; slots at or above the threshold are accepted and the
    /// best one is the result (ties: lowest slot). Validators agreeing with every median (within the deviation
    /// bound) are paid.
    function _settleByScores(uint256 taskId, Task storage t, TaskState memory st, Session storage s) internal {
        uint256[] memory packed = _loadAttestations(taskId, st.attestations);
        (uint256[] memory medians, uint256 accepted, uint256 winner) =
            _medians(packed, st.revealedMask, st.redundancy, s.threshold);
        uint256 honest = _agreeing(packed, medians, st.revealedMask);
        if (accepted == 0) {
            _payMiners(taskId, t, st, 0, 0, 0); // rejects (and slashes) every revealed slot
            _settleValidators(taskId, packed, honest, 0);
            _fail(taskId, t, st, s, FailReason.AllRejected);
        } else {
            _settle(taskId, t, st, s, accepted, winner, honest | (1 << 255));
        }
    }

    /// @dev Median of the attested scores per revealed slot, the mask of slots at or above `threshold` and the
    /// best of them (ties: lowest slot).
    function _medians(uint256[] memory packed, uint256 revealed, uint256 r, uint256 threshold)
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
            if (m >= threshold) {
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

    /// @dev Pays accepted slots by tokens used, rejects (and slashes) the other revealed slots, pays fees and
    /// refunds the rest of the escrow to the session. `validators` is 0 without validation, else bit 255 set
    /// plus a bit per attestation index that agreed with the medians.
    function _settle(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        Session storage s,
        uint256 accepted,
        uint256 winner,
        uint256 validators
    ) internal {
        uint32 routerId = s.assignment == AssignmentMode.Router ? s.routerId : 0;
        uint256 feeBps = uint256(_params.protocolFeeBps) + (validators != 0 ? _params.validatorFeeBps : 0)
            + (routerId != 0 ? _params.routerFeeBps : 0);
        (uint256 paid, uint256 minersPaid) = _payMiners(taskId, t, st, accepted, s.pricePerToken, feeBps);

        uint256 validatorFee;
        if (validators != 0) {
            validatorFee = _settleValidators(
                taskId, _loadAttestations(taskId, st.attestations), validators, paid * _params.validatorFeeBps / BPS
            );
        }
        uint256 routerFee;
        if (routerId != 0) {
            NodeLedger storage router = _nodes[routerId].ledger;
            NodeLedger memory l = router.load();
            if (l.status != NodeStatus.Unregistered) {
                routerFee = paid * _params.routerFeeBps / BPS;
                l.rewards += uint96(routerFee);
                router.store(l);
            }
        }
        uint256 protocolFee = paid - minersPaid - validatorFee - routerFee;
        _protocolFees += protocolFee;
        _finalize(taskId, t, st, s, winner, paid, [protocolFee, validatorFee, routerFee]);
    }

    /// @dev Marks the task Finalized and releases its escrow: what was not paid returns to the session's free
    /// balance. `fees` = [protocol, validator, router].
    function _finalize(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        Session storage s,
        uint256 winner,
        uint256 paid,
        uint256[3] memory fees
    ) internal {
        st.status = TaskStatus.Finalized;
        st.winner = uint8(winner + 1);
        t.state.store(st);
        uint112 escrow = _escrow(st, s);
        uint112 refund = escrow - uint112(paid);
        s.escrowed -= escrow;
        s.deposit += refund;
        emit TaskFinalized(
            taskId,
            _sessionOf(taskId),
            uint8(winner),
            t.miners.get32(winner),
            _resultOf(taskId, st, winner),
            uint112(paid),
            refund,
            uint112(fees[0]),
            uint112(fees[1]),
            uint112(fees[2])
        );
    }

    /// @dev Credits each accepted slot's miner tokens × price less fees (rounded in the protocol's favour) and
    /// updates its ledger; rejects the other revealed slots. Returns what the client pays and what miners get.
    function _payMiners(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        uint256 accepted,
        uint256 price,
        uint256 feeBps
    ) internal returns (uint256 paid, uint256 minersPaid) {
        uint256 revealed = st.revealedMask;
        uint256 miners = t.miners;
        for (uint256 i; i < st.redundancy; ++i) {
            if (revealed & (1 << i) == 0) continue;
            if (accepted & (1 << i) == 0) {
                _penalize(taskId, miners.get32(i), uint8(i), Outcome.Rejected);
                continue;
            }
            (uint256 gross, uint256 net) = _accept(taskId, t, st, miners.get32(i), uint8(i), price, feeBps);
            paid += gross;
            minersPaid += net;
        }
    }

    /// @dev One SLOAD and one SSTORE of the miner's ledger. A registration that ended is never paid: its share
    /// stays with the client.
    function _accept(
        uint256 taskId,
        Task storage t,
        TaskState memory st,
        uint32 nodeId,
        uint8 slot,
        uint256 price,
        uint256 feeBps
    ) internal returns (uint256 gross, uint256 net) {
        NodeLedger storage ledger = _nodes[nodeId].ledger;
        NodeLedger memory l = ledger.load();
        if (l.status == NodeStatus.Unregistered) return (0, 0);
        uint32 tokens = _tokensOf(taskId, t, st, slot);
        gross = uint256(tokens) * price;
        net = gross * (BPS - feeBps) / BPS;
        l.rewards += uint96(net);
        l.accepted = uint32(_inc(l.accepted, type(uint32).max));
        uint256 served = uint256(l.tokensServed) + tokens;
        l.tokensServed = uint40(served > type(uint40).max ? type(uint40).max : served);
        l.score = _ewma(l.score, BPS, 3);
        uint256 delay = uint8(uint256(st.commitDelays) >> (uint256(slot) << 3));
        uint256 speed = tokens / (delay == 0 ? 1 : delay);
        if (speed > type(uint16).max) speed = type(uint16).max;
        l.speed = l.speed == 0 ? uint16(speed) : _ewma(l.speed, speed, 2);
        ledger.store(l);
        emit WorkSettled(taskId, nodeId, slot, Outcome.Accepted, tokens, uint96(net), l.score, l.speed);
    }

    function _loadAttestations(uint256 taskId, uint256 n) internal view returns (uint256[] memory packed) {
        packed = new uint256[](n);
        for (uint256 k; k < n; ++k) {
            packed[k] = _attestations[taskId][k];
        }
    }

    /// @dev Credits `fee` equally to the validators flagged in `honest` (unregistered ones are skipped and their
    /// share stays with the protocol); the others lose reputation. Returns what was credited.
    function _settleValidators(uint256 taskId, uint256[] memory packed, uint256 honest, uint256 fee)
        internal
        returns (uint256 credited)
    {
        uint256 n = packed.length;
        uint256 count = _popcount(honest & ((1 << n) - 1));
        uint256 share = count == 0 ? 0 : fee / count;
        for (uint256 k; k < n; ++k) {
            uint32 validatorId = uint32(packed[k]);
            NodeLedger storage ledger = _nodes[validatorId].ledger;
            NodeLedger memory l = ledger.load();
            Outcome outcome;
            if (honest & (1 << k) != 0) {
                if (l.status == NodeStatus.Unregistered) continue;
                l.rewards += uint96(share);
                l.accepted = uint32(_inc(l.accepted, type(uint32).max));
                l.score = _ewma(l.score, BPS, 3);
                credited += share;
            } else {
                outcome = Outcome.Rejected;
                l.rejected = uint24(_inc(l.rejected, type(uint24).max));
                l.score = _ewma(l.score, 0, 3);
            }
            ledger.store(l);
            emit WorkSettled(
                taskId,
                validatorId,
                VALIDATOR_SLOT,
                outcome,
                0,
                outcome == Outcome.Accepted ? uint96(share) : 0,
                l.score,
                l.speed
            );
        }
    }

    /// @dev A rejected result or a missed deadline: reputation down and `rejectSlashBps` / `timeoutSlashBps` of the
    /// stake moved to protocol fees. A node left below its minimum stake is jailed until it tops up and unjails.
    function _penalize(uint256 taskId, uint32 nodeId, uint8 slot, Outcome outcome) internal {
        NodeRecord storage n = _nodes[nodeId];
        NodeLedger memory l = n.ledger.load();
        uint256 bps;
        SlashReason reason;
        if (outcome == Outcome.Rejected) {
            l.rejected = uint24(_inc(l.rejected, type(uint24).max));
            bps = _params.rejectSlashBps;
        } else {
            l.timedOut = uint24(_inc(l.timedOut, type(uint24).max));
            bps = _params.timeoutSlashBps;
            reason = SlashReason.TimedOut;
        }
        l.score = _ewma(l.score, 0, 3);
        uint96 stake = n.stake;
        uint96 amount = uint96(uint256(stake) * bps / BPS);
        stake -= amount;
        n.stake = stake;
        _protocolFees += amount;
        bool jailed = l.status == NodeStatus.Active && stake < _minStake(n.role);
        if (jailed) {
            l.status = NodeStatus.Jailed;
            n.until = uint40(block.timestamp);
        }
        n.ledger.store(l);
        emit WorkSettled(taskId, nodeId, slot, outcome, 0, 0, l.score, l.speed);
        if (jailed) emit INodeRegistry.NodeJailed(nodeId, uint40(block.timestamp));
        emit INodeRegistry.NodeSlashed(nodeId, taskId, reason, amount, stake, l.status);
    }

    /// @dev Returns the whole escrow to the session's free balance.
    function _fail(uint256 taskId, Task storage t, TaskState memory st, Session storage s, FailReason reason) internal {
        st.status = TaskStatus.Failed;
        t.state.store(st);
        uint112 escrow = _escrow(st, s);
        s.escrowed -= escrow;
        s.deposit += escrow;
        emit TaskFailed(taskId, _sessionOf(taskId), reason, escrow);
    }

    // ================================================================== INTERNAL: ASSIGNMENT
    function _checkEligible(uint32 nodeId, bytes32 modelId, uint16 minReputation) internal view {
        // Only miners serve models, so serving the model implies the role; status and score share one slot.
        NodeLedger storage l = _nodes[nodeId].ledger;
        if (l.status != NodeStatus.Active) revert NodeNotEligible(nodeId);
        if (!_servesModel[nodeId][modelId]) revert ModelNotServed(nodeId, modelId);
        if (minReputation != 0 && l.score < minReputation) revert ReputationTooLow(nodeId, l.score, minReputation);
    }

    /// @dev Fills the vacant slots from the session's dedicated list, skipping ineligible miners, miners already
    /// on the task and `exclude` (the miner that just timed out). At submit (status None) a shortage reverts
    /// NotEnoughMiners; on a reassignment it fails the task.
    function _assignDedicated(uint256 taskId, Task storage t, TaskState memory st, Session storage s, uint32 exclude)
        internal
    {
        uint256 r = st.redundancy;
        uint256 miners = t.miners;
        uint256 dedicated = s.dedicated;
        bytes32 modelId = s.modelId;
        uint16 minReputation = s.minReputation;
        uint256 next;
        for (uint256 slot; slot < r; ++slot) {
            if (miners.get32(slot) != 0) continue;
            uint32 id;
            while (next < MAX_REDUNDANCY) {
                uint32 candidate = dedicated.get32(next++);
                if (candidate == 0) break;
                if (candidate == exclude) continue;
                NodeLedger storage l = _nodes[candidate].ledger;
                if (
                    l.status == NodeStatus.Active && _servesModel[candidate][modelId] && l.score >= minReputation
                        && !miners.contains32(r, candidate)
                ) {
                    id = candidate;
                    break;
                }
            }
            if (id == 0) {
                if (st.status == TaskStatus.None) revert NotEnoughMiners(_popcount32(miners, r), r);
                _fail(taskId, t, st, s, FailReason.NoMiners);
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
        emit TaskAssigned(taskId, table, status, st.deadline);
    }
}
