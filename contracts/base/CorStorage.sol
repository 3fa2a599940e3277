// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {ISessionManager} from "../interfaces/ISessionManager.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Lanes} from "../libraries/Lanes.sol";
import {
    NodeRecord,
    NodeStatus,
    Params,
    Role,
    Session,
    SessionStatus,
    Task,
    TaskState,
    TaskStatus
} from "../types/Types.sol";

/// @title CorStorage
/// @notice Storage layout, constants and shared internals of COR network. CorNetwork (task hot path) and
/// CorRegistry (nodes, sessions, governance, views; reached through CorNetwork's fallback by delegatecall)
/// both inherit it, so they read and write the same slots of the CorNetwork address.
abstract contract CorStorage is Ownable2Step {
    using Lanes for uint256;

    // ================================================================== constants
    uint8 public constant MAX_REDUNDANCY = 7;
    uint8 public constant MAX_QUORUM = 7;
    uint256 public constant MAX_MODELS = 16;
    uint16 public constant BPS = 10_000;
    uint16 public constant INITIAL_SCORE = 5_000;
    uint16 public constant MAX_FEE_BPS = 1_000; // 10% each
    uint16 public constant MAX_TOTAL_FEE_BPS = 2_500;
    uint16 public constant MAX_SLASH_BPS = 5_000;
    uint32 public constant MAX_COOLDOWN = 30 days;
    uint32 public constant MAX_WINDOW = 7 days;
    uint24 public constant MAX_TASK_TOKENS = 1 << 20;
    uint8 public constant MAX_RETRY_LIMIT = 7;
    uint16 public constant MAX_TEMPERATURE = 2_000;
    uint8 internal constant VALIDATOR_SLOT = 255;
    /// @dev Lane of Task.miners holding the id of the router that assigned the task.
    uint256 internal constant ASSIGNER_LANE = 7;

    /// @notice The COR token every stake, deposit, escrow, reward and fee is held in.
    address public immutable token;

    // ================================================================== storage
    Params internal _params;
    uint256 internal _protocolFees;
    uint32 internal _nodeCount;
    uint32 internal _sessionCount;

    mapping(address account => uint32) internal _nodeIdOf;
    mapping(uint32 nodeId => NodeRecord) internal _nodes;
    mapping(uint32 nodeId => mapping(bytes32 modelId => bool)) internal _servesModel;
    mapping(bytes32 modelId => bool) internal _modelRegistered;

    mapping(uint32 sessionId => Session) internal _sessions;
    mapping(uint32 sessionId => mapping(address account => bool)) internal _submitters;

    mapping(uint256 taskId => Task) internal _tasks;
    /// @dev Per miner slot: the commitment until reveal; then the result hash, or, for a slot whose result and token
    /// count equal the lead's (TaskState.matchedMask, lead excluded), zero (its result is the lead's).
    mapping(uint256 taskId => mapping(uint256 slot => bytes32)) internal _hashes;
    /// @dev Per attestation index: validator id in the low 32 bits, then one 16-bit score per slot.
    mapping(uint256 taskId => mapping(uint256 index => uint256)) internal _attestations;
    /// @dev Miners that timed out on a task before committing: they cannot take it again.
    mapping(uint256 taskId => mapping(uint32 nodeId => bool)) internal _timedOutOn;
    /// @dev Root batches committed by commitRoot: keccak256(abi.encode(miner account, root, taskIds, slots)).
    mapping(bytes32 batch => bool) internal _roots;

    constructor(address token_, address owner_) Ownable(owner_) {
        token = token_;
    }

    /// @notice Disabled: an ownerless network would freeze its parameters and lock the protocol fees forever.
    function renounceOwnership() public view override onlyOwner {
        revert INodeRegistry.RenounceDisabled();
    }

    // ================================================================== INTERNAL: HELPERS
    /// @dev The caller must be the current registration of the node assigned to `slot`. An account that exited and
    /// registered again (or is gone) gets RegistrationChanged, anyone else NotAssigned.
    function _requireAssigned(uint256 taskId, uint256 miners, uint8 slot) internal view returns (uint32 nodeId) {
        nodeId = slot < MAX_REDUNDANCY ? miners.get32(slot) : 0;
        uint32 caller = _nodeIdOf[msg.sender];
        if (nodeId == 0) revert ITaskManager.NotAssigned(taskId, slot, msg.sender);
        if (caller != nodeId) {
            if (_nodes[nodeId].account == msg.sender) revert ITaskManager.RegistrationChanged(nodeId, caller);
            revert ITaskManager.NotAssigned(taskId, slot, msg.sender);
        }
    }

    function _requireNode(address account) internal view returns (uint32 nodeId) {
        nodeId = _nodeIdOf[account];
        if (nodeId == 0) revert INodeRegistry.NotRegistered(account);
    }

    /// @dev Reverts UnknownTask for a task that does not exist, else WrongPhase.
    function _revertPhase(uint256 taskId, TaskStatus status) internal pure {
        if (status == TaskStatus.None) revert ITaskManager.UnknownTask(taskId);
        revert ITaskManager.WrongPhase(taskId, status);
    }

    function _sessionOf(uint256 taskId) internal pure returns (uint32) {
        return uint32(taskId >> 32);
    }

    function _openSession(uint32 sessionId) internal view returns (Session storage s) {
        s = _sessions[sessionId];
        if (s.status == SessionStatus.None) revert ISessionManager.UnknownSession(sessionId);
        if (s.status != SessionStatus.Open) revert ISessionManager.SessionNotOpen(sessionId);
    }

    function _ownedSession(uint32 sessionId) internal view returns (Session storage s) {
        s = _sessions[sessionId];
        if (s.status == SessionStatus.None) revert ISessionManager.UnknownSession(sessionId);
        if (s.owner != msg.sender) revert ISessionManager.NotSessionOwner(sessionId, msg.sender);
    }

    /// @dev What a task holds while open: R × maxTokens × pricePerToken (bounded by uint96 at session creation).
    function _escrow(TaskState memory st, Session storage s) internal view returns (uint112) {
        return uint112(st.redundancy) * st.maxTokens * s.pricePerToken;
    }

    /// @dev Output tokens revealed for `slot` (see TaskState for where they are kept).
    function _tokensOf(Task storage t, TaskState memory st, uint256 slot) internal view returns (uint32) {
        if (st.matchedMask & (1 << slot) != 0) return st.leadTokens;
        return t.tokens.get32(slot);
    }

    /// @dev Result hash revealed for `slot`: a slot that matched the lead keeps only its token count.
    function _resultOf(uint256 taskId, TaskState memory st, uint256 slot) internal view returns (bytes32) {
        if (st.matchedMask & (1 << slot) != 0) slot = st.lead - 1;
        return _hashes[taskId][slot];
    }

    function _minStake(Role role) internal view returns (uint96) {
        if (role == Role.Miner) return _params.minStakeMiner;
        if (role == Role.Router) return _params.minStakeRouter;
        return _params.minStakeValidator;
    }

    /// @dev value + (sample - value) / 2^shift, rounding the step away from zero so a score always moves.
    function _ewma(uint256 value, uint256 sample, uint256 shift) internal pure returns (uint16) {
        if (sample >= value) return uint16(value + ((sample - value + (1 << shift) - 1) >> shift));
        return uint16(value - ((value - sample + (1 << shift) - 1) >> shift));
    }

    function _fullMask(uint8 r) internal pure returns (uint8) {
        return uint8((1 << r) - 1);
    }

    function _popcount(uint256 mask) internal pure returns (uint256 c) {
        for (; mask != 0; mask &= mask - 1) {
            ++c;
        }
    }

    function _popcount32(uint256 lanes, uint256 r) internal pure returns (uint256 c) {
        for (uint256 i; i < r; ++i) {
            if (lanes.get32(i) != 0) ++c;
        }
    }

    /// @dev `value + 1`, saturating at `max` (reputation counters never revert a settlement).
    function _inc(uint256 value, uint256 max) internal pure returns (uint256) {
        return value < max ? value + 1 : max;
    }

    function _setParams(Params memory p) internal {
        if (p.minStakeMiner == 0) revert INodeRegistry.ParamOutOfRange("minStakeMiner", 0, 1);
        if (p.minStakeRouter == 0) revert INodeRegistry.ParamOutOfRange("minStakeRouter", 0, 1);
        if (p.minStakeValidator == 0) revert INodeRegistry.ParamOutOfRange("minStakeValidator", 0, 1);
        _cap("unstakeCooldown", p.unstakeCooldown, MAX_COOLDOWN);
        // Every settled task pays a protocol fee that leaves the payer: reputation and self-dealing cost money.
        if (p.protocolFeeBps == 0) revert INodeRegistry.ParamOutOfRange("protocolFeeBps", 0, 1);
        _cap("protocolFeeBps", p.protocolFeeBps, MAX_FEE_BPS);
        _cap("validatorFeeBps", p.validatorFeeBps, MAX_FEE_BPS);
        _cap("routerFeeBps", p.routerFeeBps, MAX_FEE_BPS);
        _cap("totalFeeBps", uint256(p.protocolFeeBps) + p.validatorFeeBps + p.routerFeeBps, MAX_TOTAL_FEE_BPS);
        _cap("rejectSlashBps", p.rejectSlashBps, MAX_SLASH_BPS);
        _cap("withholdSlashBps", p.withholdSlashBps, MAX_SLASH_BPS);
        // Withholding a reveal must never be cheaper than revealing a result that gets rejected.
        if (p.withholdSlashBps < p.rejectSlashBps) {
            revert INodeRegistry.ParamOutOfRange("withholdSlashBps", p.withholdSlashBps, p.rejectSlashBps);
        }
        _cap("validatorSlashBps", p.validatorSlashBps, MAX_SLASH_BPS);
        _cap("attestDeviationBps", p.attestDeviationBps, BPS);
        _cap("auditBps", p.auditBps, BPS);
        _cap("embeddingBarBps", p.embeddingBarBps, BPS);
        _cap("replayBarBps", p.replayBarBps, BPS);
        if (p.minPricePerToken == 0) revert INodeRegistry.ParamOutOfRange("minPricePerToken", 0, 1);
        if (p.minQuorum == 0 || p.minQuorum % 2 == 0 || p.minQuorum > MAX_QUORUM) {
            revert INodeRegistry.ParamOutOfRange("minQuorum", p.minQuorum, MAX_QUORUM);
        }
        _cap("maxRetryLimit", p.maxRetryLimit, MAX_RETRY_LIMIT);
        _params = p;
        emit INodeRegistry.ParamsUpdated(p);
    }

    function _cap(string memory name, uint256 value, uint256 cap) private pure {
        if (value > cap) revert INodeRegistry.ParamOutOfRange(name, value, cap);
    }
}
