// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {CorStorage} from "./base/CorStorage.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ISessionManager} from "./interfaces/ISessionManager.sol";
import {Lanes} from "./libraries/Lanes.sol";
import {
    AssignmentMode,
    Node,
    NodeLedger,
    NodeRecord,
    NodeStatus,
    Offer,
    Params,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
    Task,
    TaskState,
    TaskStatus,
    TaskView,
    ValidationMode
} from "./types/Types.sol";

/// @title CorRegistry
/// @notice Nodes, models, sessions, governance and views of COR network. Deployed once and only ever executed by
/// delegatecall from CorNetwork's fallback, in CorNetwork's storage; calling it directly reverts.
contract CorRegistry is CorStorage, INodeRegistry, ISessionManager {
    using SafeERC20 for IERC20;
    using Lanes for uint256;

    error DirectCall();

    address private immutable _self;

    constructor(address token_) CorStorage(token_, address(0xdead)) {
        _self = address(this);
    }

    modifier onlyDelegated() {
        if (address(this) == _self) revert DirectCall();
        _;
    }

    // ================================================================== MODELS
    /// @inheritdoc INodeRegistry
    function registerModel(bytes32 modelId, string calldata name, string calldata uri)
        external
        onlyDelegated
        onlyOwner
    {
        if (_modelRegistered[modelId]) revert ModelAlreadyRegistered(modelId);
        _modelRegistered[modelId] = true;
        emit ModelRegistered(modelId, name, uri);
    }

    // ================================================================== NODES
    /// @inheritdoc INodeRegistry
    function register(
        Role role,
        uint96 stake,
        bytes32[] calldata models,
        bytes32 encryptionKey,
        string calldata endpoint,
        Offer calldata offer
    ) external onlyDelegated returns (uint32 nodeId) {
        uint32 current = _nodeIdOf[msg.sender];
        if (current != 0) revert AlreadyRegistered(msg.sender, current);
        if (role == Role.None) revert InvalidRole();
        uint96 minimum = _minStake(role);
        if (stake < minimum) revert StakeBelowMinimum(stake, minimum);
        if (role == Role.Miner && models.length == 0) revert NoModels();
        // Only miners serve models: eligibility checks rely on it.
        if (role != Role.Miner && models.length != 0) revert TooManyModels(models.length, 0);
        if (models.length > MAX_MODELS) revert TooManyModels(models.length, MAX_MODELS);

        nodeId = ++_nodeCount;
        _nodeIdOf[msg.sender] = nodeId;
        NodeRecord storage n = _nodes[nodeId];
        n.account = msg.sender;
        n.role = role;
        n.ledger.status = NodeStatus.Active;
        n.ledger.score = INITIAL_SCORE;
        n.stake = stake;
        n.offer = offer;
        n.encryptionKey = encryptionKey;
        for (uint256 i; i < models.length; ++i) {
            if (!_modelRegistered[models[i]]) revert UnknownModel(models[i]);
            _servesModel[nodeId][models[i]] = true;
        }
        emit NodeRegistered(nodeId, msg.sender, role, stake, models, encryptionKey, endpoint, INITIAL_SCORE, offer);

        IERC20(token).safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @inheritdoc INodeRegistry
    function addStake(uint96 amount) external onlyDelegated {
        if (amount == 0) revert ZeroAmount();
        uint32 nodeId = _requireNode(msg.sender);
        NodeRecord storage n = _nodes[nodeId];
        if (n.ledger.status == NodeStatus.Exiting) revert WrongNodeStatus(nodeId, n.ledger.status);
        uint96 stake = n.stake + amount;
        n.stake = stake;
        emit StakeAdded(nodeId, amount, stake);

        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeRegistry
    function updateModels(bytes32[] calldata added, bytes32[] calldata removed) external onlyDelegated {
        uint32 nodeId = _requireNode(msg.sender);
        if (_nodes[nodeId].role != Role.Miner) revert InvalidRole();
        if (added.length > MAX_MODELS) revert TooManyModels(added.length, MAX_MODELS);
        for (uint256 i; i < removed.length; ++i) {
            _servesModel[nodeId][removed[i]] = false;
        }
        for (uint256 i; i < added.length; ++i) {
            if (!_modelRegistered[added[i]]) revert UnknownModel(added[i]);
            _servesModel[nodeId][added[i]] = true;
        }
        emit ModelsUpdated(nodeId, added, removed);
    }

    /// @inheritdoc INodeRegistry
    function updateNode(bytes32 encryptionKey, string calldata endpoint) external onlyDelegated {
        uint32 nodeId = _requireNode(msg.sender);
        _nodes[nodeId].encryptionKey = encryptionKey;
        emit NodeUpdated(nodeId, encryptionKey, endpoint);
    }

    /// @inheritdoc INodeRegistry
    function updateOffer(Offer calldata offer) external onlyDelegated {
        uint32 nodeId = _requireNode(msg.sender);
        if (_nodes[nodeId].role != Role.Miner) revert InvalidRole();
        _nodes[nodeId].offer = offer;
        emit OfferUpdated(nodeId, offer);
    }

    /// @inheritdoc INodeRegistry
    function requestExit() external onlyDelegated {
        uint32 nodeId = _requireNode(msg.sender);
        NodeRecord storage n = _nodes[nodeId];
        if (n.ledger.status == NodeStatus.Exiting) revert WrongNodeStatus(nodeId, n.ledger.status);
        uint40 until = uint40(block.timestamp + _params.unstakeCooldown);
        // A jailed node cannot exit before its jail term ends.
        if (n.ledger.status == NodeStatus.Jailed && n.until > until) until = n.until;
        n.ledger.status = NodeStatus.Exiting;
        n.until = until;
        emit ExitRequested(nodeId, until);
    }

    /// @inheritdoc INodeRegistry
    function withdrawStake() external onlyDelegated {
        uint32 nodeId = _requireNode(msg.sender);
        NodeRecord storage n = _nodes[nodeId];
        if (n.ledger.status != NodeStatus.Exiting) revert WrongNodeStatus(nodeId, n.ledger.status);
        if (block.timestamp < n.until) revert CooldownActive(n.until);
        uint16 open = n.ledger.open;
        if (open != 0) revert StakeLocked(nodeId, open);
        uint96 amount = n.stake;
        n.stake = 0;
        n.ledger.status = NodeStatus.Unregistered;
        delete _nodeIdOf[msg.sender];
        emit NodeUnregistered(nodeId, msg.sender, amount);

        if (amount != 0) IERC20(token).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc INodeRegistry
    function unjail() external onlyDelegated {
        uint32 nodeId = _requireNode(msg.sender);
        NodeRecord storage n = _nodes[nodeId];
        if (n.ledger.status != NodeStatus.Jailed) revert WrongNodeStatus(nodeId, n.ledger.status);
        if (block.timestamp < n.until) revert CooldownActive(n.until);
        uint96 minimum = _minStake(n.role);
        if (n.stake < minimum) revert StakeBelowMinimum(n.stake, minimum);
        n.ledger.status = NodeStatus.Active;
        emit NodeUnjailed(nodeId);
    }

    /// @inheritdoc INodeRegistry
    function jail(uint32 nodeId, uint32 duration) external onlyDelegated onlyOwner {
        NodeRecord storage n = _nodes[nodeId];
        if (n.ledger.status != NodeStatus.Active && n.ledger.status != NodeStatus.Jailed) {
            revert WrongNodeStatus(nodeId, n.ledger.status);
        }
        if (duration > MAX_COOLDOWN) revert ParamOutOfRange("duration", duration, MAX_COOLDOWN);
        uint40 until = uint40(block.timestamp + duration);
        n.ledger.status = NodeStatus.Jailed;
        n.until = until;
        emit NodeJailed(nodeId, until);
    }

    /// @inheritdoc INodeRegistry
    function withdrawRewards(uint32 nodeId) external onlyDelegated returns (uint96 amount) {
        NodeRecord storage n = _nodes[nodeId];
        if (n.account != msg.sender) revert NotNodeAccount(nodeId, msg.sender);
        amount = n.ledger.rewards;
        if (amount == 0) revert NothingToWithdraw();
        n.ledger.rewards = 0;
        emit RewardsWithdrawn(nodeId, msg.sender, amount);

        IERC20(token).safeTransfer(msg.sender, amount);
    }

    // ================================================================== GOVERNANCE
    /// @inheritdoc INodeRegistry
    function setParams(Params calldata params_) external onlyDelegated onlyOwner {
        _setParams(params_);
    }

    /// @inheritdoc INodeRegistry
    function withdrawProtocolFees(address to) external onlyDelegated onlyOwner returns (uint256 amount) {
        amount = _protocolFees;
        if (amount == 0) revert NothingToWithdraw();
        _protocolFees = 0;
        emit ProtocolFeesWithdrawn(to, amount);

        IERC20(token).safeTransfer(to, amount);
    }

    // ================================================================== SESSIONS
    /// @inheritdoc ISessionManager
    function createSession(SessionConfig calldata c, uint112 amount) external onlyDelegated returns (uint32 sessionId) {
        if (!_modelRegistered[c.modelId]) revert UnknownModel(c.modelId);
        if (c.redundancy == 0 || c.redundancy > MAX_REDUNDANCY) revert InvalidRedundancy(c.redundancy);
        Params storage p = _params;
        if (c.pricePerToken < p.minPricePerToken) revert PriceBelowFloor(c.pricePerToken, p.minPricePerToken);
        // Validated modes: an odd quorum, never below the protocol's minimum (a session may only tighten it).
        if (c.validation == ValidationMode.Embedding || c.validation == ValidationMode.Replay) {
            if (c.quorum < p.minQuorum || c.quorum > MAX_QUORUM || c.quorum % 2 == 0) revert InvalidQuorum(c.quorum);
        } else if (c.quorum > MAX_QUORUM) {
            revert InvalidQuorum(c.quorum);
        }
        if (c.retryLimit > p.maxRetryLimit) revert InvalidRetryLimit(c.retryLimit, p.maxRetryLimit);
        if (c.minReputation > BPS) revert InvalidThreshold(c.minReputation);
        if (c.temperature > MAX_TEMPERATURE || c.topP > BPS) revert InvalidSampling();
        if (c.maxTokens == 0 || c.maxTokens > MAX_TASK_TOKENS) revert InvalidMaxTokens(c.maxTokens);
        if (
            c.precommitWindow == 0 || c.revealWindow == 0 || c.attestWindow == 0 || c.precommitWindow > MAX_WINDOW
                || c.revealWindow > MAX_WINDOW || c.attestWindow > MAX_WINDOW
        ) revert InvalidWindow();
        if (c.routerId != 0 && _nodes[c.routerId].role != Role.Router) revert InvalidRouter(c.routerId);
        uint256 dedicated;
        if (c.assignment == AssignmentMode.Dedicated) {
            uint256 n = c.dedicatedMiners.length;
            if (n < c.redundancy || n > MAX_REDUNDANCY) revert InvalidDedicatedMiners();
            for (uint256 i; i < n; ++i) {
                uint32 id = c.dedicatedMiners[i];
                if (id == 0 || _nodes[id].role != Role.Miner || dedicated.contains32(i, id)) {
                    revert InvalidDedicatedMiners();
                }
                dedicated = dedicated.set32(i, id);
            }
        } else if (c.dedicatedMiners.length != 0) {
            revert InvalidDedicatedMiners();
        }
        // Every payout is bounded by one task's escrow, which must fit the uint96 reward ledger.
        if (uint256(c.redundancy) * c.maxTokens * c.pricePerToken > type(uint96).max) {
            revert InvalidMaxTokens(c.maxTokens);
        }

        sessionId = ++_sessionCount;
        Session storage s = _sessions[sessionId];
        s.owner = msg.sender;
        s.status = SessionStatus.Open;
        s.redundancy = c.redundancy;
        s.validation = c.validation;
        s.assignment = c.assignment;
        s.quorum = c.quorum;
        s.retryLimit = c.retryLimit;
        s.encrypted = c.encrypted;
        s.routerId = c.routerId;
        s.deposit = amount;
        s.pricePerToken = c.pricePerToken;
        s.maxTokens = c.maxTokens;
        s.minReputation = c.minReputation;
        s.precommitWindow = c.precommitWindow;
        s.revealWindow = c.revealWindow;
        s.attestWindow = c.attestWindow;
        s.modelId = c.modelId;
        s.dedicated = dedicated;
        if (c.temperature != 0 || c.topK != 0 || c.topP != 0) {
            (s.temperature, s.topK, s.topP) = (c.temperature, c.topK, c.topP);
        }
        emit SessionCreated(sessionId, msg.sender, c.modelId, c, amount);

        if (amount != 0) IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ISessionManager
    function deposit(uint32 sessionId, uint112 amount) external onlyDelegated {
        if (amount == 0) revert ZeroAmount();
        Session storage s = _openSession(sessionId);
        uint112 balance = s.deposit + amount;
        s.deposit = balance;
        emit SessionDeposited(sessionId, msg.sender, amount, balance);

        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ISessionManager
    function withdrawDeposit(uint32 sessionId, uint112 amount) external onlyDelegated {
        if (amount == 0) revert ZeroAmount();
        Session storage s = _ownedSession(sessionId);
        uint112 balance = s.deposit;
        if (amount > balance) revert InsufficientDeposit(balance, amount);
        balance -= amount;
        s.deposit = balance;
        emit SessionWithdrawn(sessionId, amount, balance);

        IERC20(token).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ISessionManager
    function closeSession(uint32 sessionId) external onlyDelegated returns (uint112 refund) {
        Session storage s = _ownedSession(sessionId);
        if (s.status != SessionStatus.Open) revert SessionNotOpen(sessionId);
        refund = s.deposit;
        s.status = SessionStatus.Closed;
        s.deposit = 0;
        emit SessionClosed(sessionId, refund);

        if (refund != 0) IERC20(token).safeTransfer(msg.sender, refund);
    }

    /// @inheritdoc ISessionManager
    function authorizeSubmitter(uint32 sessionId, address account, bool allowed) external onlyDelegated {
        _ownedSession(sessionId);
        _submitters[sessionId][account] = allowed;
        emit SubmitterAuthorized(sessionId, account, allowed);
    }

    /// @inheritdoc ISessionManager
    function setSessionRouter(uint32 sessionId, uint32 routerId) external onlyDelegated {
        Session storage s = _ownedSession(sessionId);
        if (routerId != 0 && _nodes[routerId].role != Role.Router) revert InvalidRouter(routerId);
        s.routerId = routerId;
        emit SessionRouterChanged(sessionId, routerId);
    }

    // ================================================================== VIEWS
    /// @inheritdoc INodeRegistry
    function nodeIdOf(address account) external view returns (uint32) {
        return _nodeIdOf[account];
    }

    /// @inheritdoc INodeRegistry
    function nodeCount() external view returns (uint32) {
        return _nodeCount;
    }

    /// @inheritdoc INodeRegistry
    function servesModel(uint32 nodeId, bytes32 modelId) external view returns (bool) {
        return _servesModel[nodeId][modelId];
    }

    /// @inheritdoc INodeRegistry
    function modelRegistered(bytes32 modelId) external view returns (bool) {
        return _modelRegistered[modelId];
    }

    /// @inheritdoc INodeRegistry
    function protocolFees() external view returns (uint256) {
        return _protocolFees;
    }

    /// @inheritdoc ISessionManager
    function sessionCount() external view returns (uint32) {
        return _sessionCount;
    }

    /// @inheritdoc INodeRegistry
    function getNode(uint32 nodeId) external view returns (Node memory) {
        NodeRecord storage n = _nodes[nodeId];
        NodeLedger memory l = n.ledger;
        return Node({
            account: n.account,
            role: n.role,
            until: n.until,
            status: l.status,
            score: l.score,
            speed: l.speed,
            accepted: l.accepted,
            rejected: l.rejected,
            timedOut: l.timedOut,
            open: l.open,
            tokensServed: l.tokensServed,
            rewards: l.rewards,
            stake: n.stake,
            offer: n.offer,
            encryptionKey: n.encryptionKey
        });
    }

    /// @inheritdoc INodeRegistry
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc ISessionManager
    function getSession(uint32 sessionId) external view returns (Session memory) {
        return _sessions[sessionId];
    }

    /// @inheritdoc ISessionManager
    function isSubmitter(uint32 sessionId, address account) external view returns (bool) {
        return account == _sessions[sessionId].owner || _submitters[sessionId][account];
    }

    /// @notice See ICorNetwork.getTask. A slot committed by commitRoot shows a zero hash until it reveals (the batch's
    /// root is in its TaskCommitted event).
    function getTask(uint256 taskId) external view returns (TaskView memory v) {
        Task storage t = _tasks[taskId];
        TaskState memory st = t.state;
        if (st.status == TaskStatus.None) return v;
        uint256 r = st.redundancy;
        v.sessionId = _sessionOf(taskId);
        v.status = st.status;
        v.deadline = st.deadline;
        v.retries = st.retries;
        v.attestations = st.attestations;
        v.maxTokens = st.maxTokens;
        v.committedMask = st.committedMask;
        v.revealedMask = st.revealedMask;
        v.droppedMask = st.droppedMask;
        v.miners = new uint32[](r);
        v.tokens = new uint32[](r);
        v.hashes = new bytes32[](r);
        for (uint256 i; i < r; ++i) {
            v.miners[i] = t.miners.get32(i);
            if (st.revealedMask & (1 << i) != 0) {
                v.tokens[i] = _tokensOf(t, st, i);
                v.hashes[i] = _resultOf(taskId, st, i);
            } else {
                v.hashes[i] = _hashes[taskId][i];
            }
        }
        if (st.winner != 0) {
            v.resultHash = _resultOf(taskId, st, st.winner - 1);
            v.winnerNodeId = t.miners.get32(st.winner - 1);
        }
        v.assignerId = t.miners.get32(ASSIGNER_LANE);
        if (st.status != TaskStatus.Finalized && st.status != TaskStatus.Failed) {
            v.escrow = _escrow(st, _sessions[v.sessionId]);
        }
    }
}
