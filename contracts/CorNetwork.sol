// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {CorStorage} from "./base/CorStorage.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ISessionManager} from "./interfaces/ISessionManager.sol";
import {ITaskManager} from "./interfaces/ITaskManager.sol";
import {Lanes} from "./libraries/Lanes.sol";
import {Median} from "./libraries/Median.sol";
import {
    AssignmentMode,
    FailReason,
    Node,
    NodeStatus,
    Outcome,
    Params,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
    SlashReason,
    Task,
    TaskStatus,
    TaskView,
    ValidationMode
} from "./types/Types.sol";

/// @title CorNetwork
/// @notice The COR network entry point: task queue, precommit/reveal, validation and settlement run here, so the
/// hot path never pays for a cross-contract call. Everything else (nodes, sessions, governance, views) is in
/// CorRegistry, reached through this contract's fallback by delegatecall: users see one address and one ABI
/// (ICorNetwork) and one COR balance that equals deposits + escrows + stakes + rewards + protocol fees.
/// @dev Checks, effects, events, interactions. The only external calls are to the COR token, which has no hooks,
/// and the delegatecall to the immutable registry code.
contract CorNetwork is CorStorage, ITaskManager {
    using Lanes for uint256;

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
        uint112 escrow = uint112(s.redundancy) * maxTokens * s.pricePerToken;
        uint112 balance = s.deposit;
        if (escrow > balance) revert ISessionManager.InsufficientDeposit(balance, escrow);
        s.deposit = balance - escrow;
        s.escrowed += escrow;

        uint32 index = s.taskCount + 1;
        s.taskCount = index;
        taskId = uint256(sessionId) << 32 | index;
        Task storage t = _tasks[taskId];
        t.sessionId = sessionId;
        t.maxTokens = maxTokens;
        t.redundancy = s.redundancy;
        emit TaskSubmitted(taskId, sessionId, msg.sender, promptHash, promptCid, maxTokens, escrow);

        if (s.assignment == AssignmentMode.Dedicated) {
            _assignDedicated(taskId, t, s, 0);
        } else {
            uint40 deadline = uint40(block.timestamp + s.precommitWindow);
            t.status = TaskStatus.Queued;
            t.deadline = deadline;
            emit TaskPhaseChanged(taskId, TaskStatus.Queued, deadline);
        }
    }

    /// @inheritdoc ITaskManager
    function assignTask(uint256 taskId, uint32[] calldata nodeIds) external {
        Task storage t = _task(taskId);
        Session storage s = _sessions[t.sessionId];
        if (s.assignment != AssignmentMode.Router) revert WrongAssignmentMode(t.sessionId);
        if (msg.sender != s.owner && (s.routerId == 0 || _nodeIdOf[msg.sender] != s.routerId)) {
            revert NotSessionRouter(t.sessionId, msg.sender);
        }
        if (t.status != TaskStatus.Queued) revert WrongPhase(taskId, t.status);

        uint256 r = s.redundancy;
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
        _fill(taskId, t, s, miners, TaskStatus.Committing);
    }

    /// @inheritdoc ITaskManager
    function claimTask(uint256 taskId) external returns (uint8 slot) {
        Task storage t = _task(taskId);
        Session storage s = _sessions[t.sessionId];
        if (s.assignment != AssignmentMode.Claim) revert WrongAssignmentMode(t.sessionId);
        if (t.status != TaskStatus.Queued) revert WrongPhase(taskId, t.status);
        if (block.timestamp > t.deadline) revert DeadlinePassed(t.deadline);
        uint32 id = _nodeIdOf[msg.sender];
        _checkEligible(id, s.modelId, s.minReputation);

        uint256 r = s.redundancy;
        uint256 miners = t.miners;
        if (miners.contains32(r, id)) revert DuplicateMiner(id);
        uint256 vacant;
        while (miners.get32(vacant) != 0) ++vacant; // Queued guarantees a vacant slot below r
        slot = uint8(vacant);
        miners = miners.set32(vacant, id);
        // The task stays Queued until its last slot is claimed.
        bool full = _popcount32(miners, r) == r;
        _fill(taskId, t, s, miners, full ? TaskStatus.Committing : TaskStatus.Queued);
    }

    // ================================================================== TASKS: PRECOMMIT AND REVEAL
    /// @inheritdoc ITaskManager
    function commit(uint256 taskId, uint8 slot, bytes32 commitment) external {
        Task storage t = _task(taskId);
        TaskStatus status = t.status;
        if (status != TaskStatus.Committing && status != TaskStatus.Queued) revert WrongPhase(taskId, status);
        if (block.timestamp > t.deadline) revert DeadlinePassed(t.deadline);
        uint32 nodeId = _requireAssigned(taskId, t, slot);
        if (commitment == bytes32(0)) revert ZeroCommitment();
        uint8 bit = uint8(1 << slot);
        uint8 committed = t.committedMask;
        if (committed & bit != 0) revert AlreadyCommitted(taskId, slot);

        _hashes[taskId][slot] = commitment;
        committed |= bit;
        t.committedMask = committed;
        uint256 delay = block.timestamp - t.assignedAt;
        t.commitDelays = uint56(uint256(t.commitDelays).set8(slot, delay > 255 ? 255 : uint8(delay)));
        emit TaskCommitted(taskId, nodeId, slot, commitment);

        if (status == TaskStatus.Committing && committed == _fullMask(t.redundancy)) {
            uint40 deadline = uint40(block.timestamp + _sessions[t.sessionId].revealWindow);
            t.status = TaskStatus.Revealing;
            t.deadline = deadline;
            emit TaskPhaseChanged(taskId, TaskStatus.Revealing, deadline);
        }
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
        Task storage t = _task(taskId);
        if (t.status != TaskStatus.Revealing) revert WrongPhase(taskId, t.status);
        if (block.timestamp > t.deadline) revert DeadlinePassed(t.deadline);
        uint32 nodeId = _requireAssigned(taskId, t, slot);
        uint8 bit = uint8(1 << slot);
        uint8 revealed = t.revealedMask;
        if (revealed & bit != 0) revert AlreadyRevealed(taskId, slot);
        if (t.droppedMask & bit != 0) revert SlotDropped(taskId, slot);
        if (keccak256(abi.encode(taskId, msg.sender, resultHash, salt)) != _hashes[taskId][slot]) {
            revert CommitmentMismatch(taskId, slot);
        }
        if (tokens > t.maxTokens) revert TokensExceedMax(tokens, t.maxTokens);

        _hashes[taskId][slot] = resultHash;
        t.tokens = t.tokens.set32(slot, tokens);
        revealed |= bit;
        t.revealedMask = revealed;
        emit TaskRevealed(taskId, nodeId, slot, resultHash, tokens, resultCid);

        if (revealed | t.droppedMask == _fullMask(t.redundancy)) _onRevealsComplete(taskId, t, _sessions[t.sessionId]);
    }

    // ================================================================== TASKS: VALIDATION
    /// @inheritdoc ITaskManager
    function attest(uint256 taskId, uint16[] calldata scores) external {
        Task storage t = _task(taskId);
        if (t.status != TaskStatus.Validating) revert WrongPhase(taskId, t.status);
        if (block.timestamp > t.deadline) revert DeadlinePassed(t.deadline);
        uint32 validatorId = _nodeIdOf[msg.sender];
        Node storage v = _nodes[validatorId];
        if (validatorId == 0 || v.role != Role.Validator || v.status != NodeStatus.Active) {
            revert NotValidator(msg.sender);
        }
        Session storage s = _sessions[t.sessionId];
        uint256 r = s.redundancy;
        if (scores.length != r) revert ScoresLengthMismatch(r, scores.length);
        uint256 count = t.attestations;
        for (uint256 i; i < count; ++i) {
            if (uint32(_attestations[taskId][i]) == validatorId) revert AlreadyAttested(taskId, validatorId);
        }
        uint256 packed = validatorId;
        for (uint256 i; i < r; ++i) {
            if (scores[i] > BPS) revert ScoreOutOfRange(scores[i]);
            packed |= uint256(scores[i]) << (32 + 16 * i);
        }

        _attestations[taskId][count] = packed;
        t.attestations = uint8(++count);
        emit Attested(taskId, validatorId, scores);

        if (count == s.quorum) _settleByScores(taskId, t, s);
    }

    /// @inheritdoc ITaskManager
    function finalize(uint256 taskId) external {
        Task storage t = _task(taskId);
        if (t.status != TaskStatus.Validating) revert WrongPhase(taskId, t.status);
        if (block.timestamp <= t.deadline) revert DeadlineNotPassed(t.deadline);
        Session storage s = _sessions[t.sessionId];
        if (t.attestations == 0) _fail(taskId, t, s, FailReason.NoAttestations);
        else _settleByScores(taskId, t, s);
    }

    // ================================================================== TASKS: TIMEOUTS
    /// @inheritdoc ITaskManager
    function expire(uint256 taskId, uint8 slot) external {
        Task storage t = _task(taskId);
        TaskStatus status = t.status;
        Session storage s = _sessions[t.sessionId];
        if (slot >= s.redundancy) revert InvalidSlot(slot);
        if (block.timestamp <= t.deadline) revert DeadlineNotPassed(t.deadline);
        uint8 bit = uint8(1 << slot);
        uint32 nodeId = t.miners.get32(slot);

        if (status == TaskStatus.Queued || status == TaskStatus.Committing) {
            if (nodeId == 0) {
                // Nobody took the slot in time: the task cannot run.
                _fail(taskId, t, s, FailReason.NoMiners);
                return;
            }
            if (t.committedMask & bit != 0) revert NothingToExpire(taskId, slot);
            uint8 retries = t.retries + 1;
            t.retries = retries;
            t.miners = t.miners.set32(slot, 0);
            emit SlotExpired(taskId, nodeId, slot, status, retries);
            _penalizeTimeout(taskId, nodeId, slot);
            if (retries > s.retryLimit) {
                _fail(taskId, t, s, FailReason.RetriesExhausted);
            } else if (s.assignment == AssignmentMode.Dedicated) {
                _assignDedicated(taskId, t, s, nodeId);
            } else {
                uint40 deadline = uint40(block.timestamp + s.precommitWindow);
                t.status = TaskStatus.Queued;
                t.deadline = deadline;
                emit TaskPhaseChanged(taskId, TaskStatus.Queued, deadline);
            }
        } else if (status == TaskStatus.Revealing) {
            // Results of the others are public now, so a late revealer is dropped, never replaced.
            if ((t.revealedMask | t.droppedMask) & bit != 0) revert NothingToExpire(taskId, slot);
            uint8 dropped = t.droppedMask | bit;
            t.droppedMask = dropped;
            emit SlotExpired(taskId, nodeId, slot, status, t.retries);
            _penalizeTimeout(taskId, nodeId, slot);
            if (t.revealedMask | dropped == _fullMask(s.redundancy)) _onRevealsComplete(taskId, t, s);
        } else {
            revert WrongPhase(taskId, status);
        }
    }

    // ================================================================== INTERNAL: SETTLEMENT
    /// @dev Every non-dropped slot has revealed: settle at once when results agree, else by validation mode.
    function _onRevealsComplete(uint256 taskId, Task storage t, Session storage s) internal {
        uint256 revealed = t.revealedMask;
        if (revealed == 0) {
            _fail(taskId, t, s, FailReason.NoResults);
            return;
        }
        uint256 r = s.redundancy;
        uint256 first = _lowestBit(revealed);
        bytes32 firstHash = _hashes[taskId][first];
        bool agree = true;
        for (uint256 i = first + 1; i < r; ++i) {
            if (revealed & (1 << i) != 0 && _hashes[taskId][i] != firstHash) {
                agree = false;
                break;
            }
        }
        ValidationMode mode = s.validation;
        if (agree || mode == ValidationMode.None) {
            _settle(taskId, t, s, revealed, first, 0);
        } else if (mode == ValidationMode.ExactMatch) {
            (uint256 majority, uint256 winner) = _majority(taskId, revealed, r);
            if (majority == 0) _fail(taskId, t, s, FailReason.NoMajority);
            else _settle(taskId, t, s, majority, winner, 0);
        } else {
            uint40 deadline = uint40(block.timestamp + s.attestWindow);
            t.status = TaskStatus.Validating;
            t.deadline = deadline;
            emit TaskPhaseChanged(taskId, TaskStatus.Validating, deadline);
        }
    }

    /// @dev Mask of the slots whose hash is held by a strict majority of revealed slots (0 if none), and the
    /// lowest of those slots.
    function _majority(uint256 taskId, uint256 revealed, uint256 r)
        internal
        view
        returns (uint256 mask, uint256 winner)
    {
        uint256 total = _popcount(revealed);
        for (uint256 i; i < r; ++i) {
            if (revealed & (1 << i) == 0) continue;
            bytes32 h = _hashes[taskId][i];
            uint256 same;
            for (uint256 j; j < r; ++j) {
                if (revealed & (1 << j) != 0 && _hashes[taskId][j] == h) same |= 1 << j;
            }
            if (_popcount(same) * 2 > total) return (same, i);
        }
    }

    /// @dev Embedding mode: median score per revealed slot; slots at or above the threshold are accepted and the
    /// best one is the result. Validators agreeing with every median (within the deviation bound) are paid.
    function _settleByScores(uint256 taskId, Task storage t, Session storage s) internal {
        uint256 n = t.attestations;
        uint256 r = s.redundancy;
        uint256 revealed = t.revealedMask;
        uint256[] memory packed = _loadAttestations(taskId, n);
        uint256[] memory medians = new uint256[](r);
        uint256[] memory column = new uint256[](n);
        uint256 accepted;
        uint256 winner;
        uint256 best;
        for (uint256 i; i < r; ++i) {
            if (revealed & (1 << i) == 0) continue;
            for (uint256 k; k < n; ++k) {
                column[k] = uint16(packed[k] >> (32 + 16 * i));
            }
            uint256 m = Median.median(column);
            medians[i] = m;
            if (m >= s.threshold) {
                if (accepted == 0 || m > best) (best, winner) = (m, i);
                accepted |= 1 << i;
            }
        }
        uint256 honest;
        uint256 deviation = _params.attestDeviationBps;
        for (uint256 k; k < n; ++k) {
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
        if (accepted == 0) {
            _rejectAll(taskId, t, revealed, r);
            _settleValidators(taskId, packed, honest, 0);
            _fail(taskId, t, s, FailReason.AllRejected);
        } else {
            _settle(taskId, t, s, accepted, winner, honest | (1 << 255));
        }
    }

    /// @dev Pays accepted slots by tokens used, rejects (and slashes) the other revealed slots, pays fees and
    /// refunds the rest of the escrow to the session. `validators` is 0 without validation, else bit 255 set
    /// plus a bit per attestation index that agreed with the medians.
    function _settle(
        uint256 taskId,
        Task storage t,
        Session storage s,
        uint256 accepted,
        uint256 winner,
        uint256 validators
    ) internal {
        bool routed = s.assignment == AssignmentMode.Router && s.routerId != 0;
        uint256 feeBps = uint256(_params.protocolFeeBps) + (validators != 0 ? _params.validatorFeeBps : 0)
            + (routed ? _params.routerFeeBps : 0);
        (uint256 paid, uint256 minersPaid) = _payMiners(taskId, t, s, accepted, feeBps);

        uint256 validatorFee;
        if (validators != 0) {
            validatorFee = _settleValidators(
                taskId, _loadAttestations(taskId, t.attestations), validators, paid * _params.validatorFeeBps / BPS
            );
        }
        uint256 routerFee;
        if (routed) {
            Node storage router = _nodes[s.routerId];
            if (router.status != NodeStatus.Unregistered) {
                routerFee = paid * _params.routerFeeBps / BPS;
                router.rewards += uint96(routerFee);
            }
        }
        uint256 protocolFee = paid - minersPaid - validatorFee - routerFee;
        _protocolFees += protocolFee;
        t.status = TaskStatus.Finalized;
        t.winner = uint8(winner + 1);
        _emitFinalized(taskId, t, s, winner, paid, [protocolFee, validatorFee, routerFee]);
    }

    /// @dev Releases the escrow: what was not paid returns to the session's free balance.
    function _emitFinalized(
        uint256 taskId,
        Task storage t,
        Session storage s,
        uint256 winner,
        uint256 paid,
        uint256[3] memory fees
    ) internal {
        uint112 escrow = _escrow(t, s);
        uint112 refund = escrow - uint112(paid);
        s.escrowed -= escrow;
        s.deposit += refund;
        emit TaskFinalized(
            taskId,
            t.sessionId,
            uint8(winner),
            t.miners.get32(winner),
            _hashes[taskId][winner],
            uint112(paid),
            refund,
            uint112(fees[0]),
            uint112(fees[1]),
            uint112(fees[2])
        );
    }

    /// @dev Credits each accepted miner tokens × price less fees (rounded in the protocol's favour) and updates
    /// its ledger; rejects the other revealed slots. Returns what the client pays and what miners get.
    function _payMiners(uint256 taskId, Task storage t, Session storage s, uint256 accepted, uint256 feeBps)
        internal
        returns (uint256 paid, uint256 minersPaid)
    {
        uint256 r = s.redundancy;
        uint256 price = s.pricePerToken;
        uint256 revealed = t.revealedMask;
        for (uint256 i; i < r; ++i) {
            if (revealed & (1 << i) == 0) continue;
            uint32 nodeId = t.miners.get32(i);
            if (accepted & (1 << i) == 0) {
                _reject(taskId, nodeId, uint8(i));
                continue;
            }
            (uint256 gross, uint256 net) = _accept(taskId, t, uint8(i), nodeId, price, feeBps);
            paid += gross;
            minersPaid += net;
        }
    }

    function _accept(uint256 taskId, Task storage t, uint8 slot, uint32 nodeId, uint256 price, uint256 feeBps)
        internal
        returns (uint256 gross, uint256 net)
    {
        Node storage n = _nodes[nodeId];
        // A registration that ended is never paid: its share stays with the client.
        if (n.status == NodeStatus.Unregistered) return (0, 0);
        uint32 tokens = t.tokens.get32(slot);
        gross = uint256(tokens) * price;
        net = gross * (BPS - feeBps) / BPS;
        n.rewards += uint96(net);
        n.accepted += 1;
        n.tokensServed += tokens;
        n.score = _ewma(n.score, BPS, 3);
        uint256 delay = uint8(uint256(t.commitDelays) >> (uint256(slot) << 3));
        uint256 speed = tokens / (delay == 0 ? 1 : delay);
        if (speed > type(uint16).max) speed = type(uint16).max;
        n.speed = n.speed == 0 ? uint16(speed) : _ewma(n.speed, speed, 2);
        _emitWork(taskId, nodeId, slot, Outcome.Accepted, tokens, uint96(net), n);
    }

    function _loadAttestations(uint256 taskId, uint256 n) internal view returns (uint256[] memory packed) {
        packed = new uint256[](n);
        for (uint256 k; k < n; ++k) {
            packed[k] = _attestations[taskId][k];
        }
    }

    /// @dev Credits `fee` equally to the validators flagged in `honest`; the others lose reputation.
    /// Returns what was credited (the division remainder stays with the protocol).
    function _settleValidators(uint256 taskId, uint256[] memory packed, uint256 honest, uint256 fee)
        internal
        returns (uint256 credited)
    {
        uint256 n = packed.length;
        uint256 count;
        for (uint256 k; k < n; ++k) {
            if (honest & (1 << k) != 0) ++count;
        }
        uint256 share = count == 0 ? 0 : fee / count;
        for (uint256 k; k < n; ++k) {
            uint32 validatorId = uint32(packed[k]);
            Node storage v = _nodes[validatorId];
            if (honest & (1 << k) != 0 && v.status != NodeStatus.Unregistered) {
                v.rewards += uint96(share);
                v.accepted += 1;
                v.score = _ewma(v.score, BPS, 3);
                credited += share;
                _emitWork(taskId, validatorId, VALIDATOR_SLOT, Outcome.Accepted, 0, uint96(share), v);
            } else if (honest & (1 << k) == 0) {
                v.rejected += 1;
                v.score = _ewma(v.score, 0, 3);
                _emitWork(taskId, validatorId, VALIDATOR_SLOT, Outcome.Rejected, 0, 0, v);
            }
        }
    }

    function _rejectAll(uint256 taskId, Task storage t, uint256 revealed, uint256 r) internal {
        for (uint256 i; i < r; ++i) {
            if (revealed & (1 << i) != 0) _reject(taskId, t.miners.get32(i), uint8(i));
        }
    }

    function _reject(uint256 taskId, uint32 nodeId, uint8 slot) internal {
        Node storage n = _nodes[nodeId];
        n.rejected += 1;
        n.score = _ewma(n.score, 0, 3);
        _emitWork(taskId, nodeId, slot, Outcome.Rejected, 0, 0, n);
        _slash(taskId, nodeId, n, _params.rejectSlashBps, SlashReason.Rejected);
    }

    function _penalizeTimeout(uint256 taskId, uint32 nodeId, uint8 slot) internal {
        Node storage n = _nodes[nodeId];
        n.timedOut += 1;
        n.score = _ewma(n.score, 0, 3);
        _emitWork(taskId, nodeId, slot, Outcome.TimedOut, 0, 0, n);
        _slash(taskId, nodeId, n, _params.timeoutSlashBps, SlashReason.TimedOut);
    }

    /// @dev Moves `bps` of the node's stake to protocol fees; a node left below its minimum stake is jailed
    /// until it tops up and calls unjail.
    function _slash(uint256 taskId, uint32 nodeId, Node storage n, uint256 bps, SlashReason reason) internal {
        uint96 amount = uint96(uint256(n.stake) * bps / BPS);
        uint96 stake = n.stake - amount;
        n.stake = stake;
        _protocolFees += amount;
        NodeStatus status = n.status;
        if (status == NodeStatus.Active && stake < _minStake(n.role)) {
            status = NodeStatus.Jailed;
            n.status = status;
            n.until = uint40(block.timestamp);
            emit INodeRegistry.NodeJailed(nodeId, uint40(block.timestamp));
        }
        emit INodeRegistry.NodeSlashed(nodeId, taskId, reason, amount, stake, status);
    }

    /// @dev Returns the whole escrow to the session's free balance.
    function _fail(uint256 taskId, Task storage t, Session storage s, FailReason reason) internal {
        uint112 escrow = _escrow(t, s);
        s.escrowed -= escrow;
        s.deposit += escrow;
        t.status = TaskStatus.Failed;
        emit TaskFailed(taskId, t.sessionId, reason, escrow);
    }

    function _emitWork(
        uint256 taskId,
        uint32 nodeId,
        uint8 slot,
        Outcome outcome,
        uint32 tokens,
        uint96 payout,
        Node storage n
    ) internal {
        emit WorkSettled(taskId, nodeId, slot, outcome, tokens, payout, n.score, n.speed);
    }

    // ================================================================== INTERNAL: ASSIGNMENT
    function _checkEligible(uint32 nodeId, bytes32 modelId, uint16 minReputation) internal view {
        // Only miners serve models, so serving the model implies the role; status and score share one slot.
        Node storage n = _nodes[nodeId];
        if (n.status != NodeStatus.Active) revert NodeNotEligible(nodeId);
        if (!_servesModel[nodeId][modelId]) revert ModelNotServed(nodeId, modelId);
        if (minReputation != 0 && n.score < minReputation) revert ReputationTooLow(nodeId, n.score, minReputation);
    }

    /// @dev Fills the vacant slots from the session's dedicated list, skipping ineligible miners, miners already
    /// on the task and `exclude` (the miner that just timed out).
    function _assignDedicated(uint256 taskId, Task storage t, Session storage s, uint32 exclude) internal {
        uint256 r = s.redundancy;
        uint256 miners = t.miners;
        uint256 dedicated = s.dedicated;
        bytes32 modelId = s.modelId;
        uint256 next;
        for (uint256 slot; slot < r; ++slot) {
            if (miners.get32(slot) != 0) continue;
            uint32 id;
            while (next < MAX_REDUNDANCY) {
                uint32 candidate = dedicated.get32(next++);
                if (candidate == 0) break;
                if (candidate == exclude) continue;
                Node storage n = _nodes[candidate];
                if (
                    n.status == NodeStatus.Active && _servesModel[candidate][modelId] && n.score >= s.minReputation
                        && !miners.contains32(r, candidate)
                ) {
                    id = candidate;
                    break;
                }
            }
            if (id == 0) {
                if (t.status == TaskStatus.None) {
                    revert NotEnoughMiners(_popcount32(miners, r), r);
                }
                _fail(taskId, t, s, FailReason.NoMiners);
                return;
            }
            miners = miners.set32(slot, id);
        }
        _fill(taskId, t, s, miners, TaskStatus.Committing);
    }

    function _fill(uint256 taskId, Task storage t, Session storage s, uint256 miners, TaskStatus status) internal {
        uint40 deadline = uint40(block.timestamp + s.precommitWindow);
        t.miners = miners;
        t.status = status;
        t.deadline = deadline;
        t.assignedAt = uint40(block.timestamp);
        uint256 r = s.redundancy;
        uint32[] memory table = new uint32[](r);
        for (uint256 i; i < r; ++i) {
            table[i] = miners.get32(i);
        }
        emit TaskAssigned(taskId, table, status, deadline);
        // A reassigned slot may complete a table whose other slots all committed already.
        if (status == TaskStatus.Committing && t.committedMask == _fullMask(uint8(r))) {
            deadline = uint40(block.timestamp + s.revealWindow);
            t.status = TaskStatus.Revealing;
            t.deadline = deadline;
            emit TaskPhaseChanged(taskId, TaskStatus.Revealing, deadline);
        }
    }
}
