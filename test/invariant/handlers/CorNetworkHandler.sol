// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";

import {CORToken} from "../../../contracts/CORToken.sol";
import {ICorNetwork} from "../../../contracts/interfaces/ICorNetwork.sol";
import {ITaskManager} from "../../../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    Node,
    NodeStatus,
    Outcome,
    Params,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
    TaskStatus,
    TaskView,
    ValidationMode
} from "../../../contracts/types/Types.sol";

/// @notice Drives CorNetwork through random sequences of valid calls (fail_on_revert = true): every action reads
/// the chain, picks inputs that must succeed (or does nothing), and records what the invariants need from the
/// events it emitted (ghost counters).
contract CorNetworkHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant MAX_SESSIONS = 8;
    uint256 internal constant MAX_TASKS = 40;
    uint256 internal constant MAX_NODES = 20;

    ICorNetwork public immutable network;
    CORToken public immutable token;
    bytes32 public immutable model;
    Params internal _params;

    address[] internal _clients;
    address[] internal _accounts; // every account that ever registered, in registration order
    uint32[] internal _sessions;
    uint256[] internal _tasks;
    uint256[] internal _live; // tasks not yet Finalized or Failed: the only ones an action can pick

    // ------------------------------------------------------------------ ghost state
    mapping(uint32 sessionId => uint256) public ghostDeposited;
    mapping(uint32 sessionId => uint256) public ghostWithdrawn;
    mapping(uint32 sessionId => uint256) public ghostPaid;
    mapping(uint256 taskId => TaskStatus) public ghostTerminal;
    mapping(uint256 taskId => mapping(uint32 nodeId => uint256)) public ghostAccepted;
    uint256 public ghostMaxAcceptedPerTask;
    mapping(bytes32 action => uint256) public calls;

    /// @dev What each slot committed, to reveal it later: result hash (honest or garbage) and salt.
    mapping(uint256 taskId => mapping(uint8 slot => bytes32)) internal _committed;

    bytes32 internal constant WORK_SETTLED =
        keccak256("WorkSettled(uint256,uint32,uint8,uint8,uint32,uint96,uint16,uint16)");
    bytes32 internal constant TASK_FINALIZED =
        keccak256("TaskFinalized(uint256,uint32,uint8,uint32,bytes32,uint112,uint112,uint112,uint112,uint112)");
    bytes32 internal constant TASK_FAILED = keccak256("TaskFailed(uint256,uint32,uint8,uint112)");

    constructor(
        ICorNetwork network_,
        CORToken token_,
        bytes32 model_,
        address[] memory accounts,
        address[] memory clients
    ) {
        network = network_;
        token = token_;
        model = model_;
        _params = network_.params();
        _accounts = accounts;
        _clients = clients;
    }

    /// @dev Records the events of one action into the ghost state.
    modifier recorded(bytes32 action) {
        vm.recordLogs();
        _;
        _absorb(vm.getRecordedLogs());
        ++calls[action];
    }

    // ================================================================== views for the invariant test
    function sessions() external view returns (uint32[] memory) {
        return _sessions;
    }

    function tasks() external view returns (uint256[] memory) {
        return _tasks;
    }

    function live() external view returns (uint256[] memory) {
        return _live;
    }

    // ================================================================== NODES
    function register(uint256 seed, uint96 stake) external recorded("register") {
        if (network.nodeCount() >= MAX_NODES) return;
        address account;
        // Half the time an account that left registers again (a new node id), else a new account.
        if (seed & 1 == 0) account = _pick(seed >> 1, _accounts, _isUnregisteredAccount);
        if (account == address(0)) {
            account = makeAddr(string.concat("actor", vm.toString(_accounts.length)));
            _accounts.push(account);
            _fund(account, 100_000 ether);
        }
        Role role = (seed >> 8) % 4 == 0 ? Role.Validator : Role.Miner;
        stake = uint96(bound(stake, 100 ether, 2_000 ether));
        bytes32[] memory models = new bytes32[](role == Role.Miner ? 1 : 0);
        if (role == Role.Miner) models[0] = model;
        uint32 previous = network.nodeIdOf(account);
        vm.prank(account);
        uint32 id = network.register(role, stake, models, keccak256(abi.encode(account)), "http://actor");
        require(previous == 0 && id == network.nodeCount(), "handler: registration id");
        _checkRegistration(id);
    }

    function requestExit(uint256 seed) external recorded("requestExit") {
        uint32 id = _pickNode(seed, _canExit);
        if (id == 0) return;
        vm.prank(network.getNode(id).account);
        network.requestExit();
    }

    function withdrawStake(uint256 seed) external recorded("withdrawStake") {
        uint32 id = _pickNode(seed, _isExiting);
        if (id == 0) return;
        Node memory n = network.getNode(id);
        if (block.timestamp < n.until) vm.warp(n.until);
        vm.prank(n.account);
        network.withdrawStake();
        _checkRegistration(id);
    }

    function unjail(uint256 seed) external recorded("unjail") {
        uint32 id = _pickNode(seed, _isJailed);
        if (id == 0) return;
        Node memory n = network.getNode(id);
        uint96 minimum = n.role == Role.Miner ? _params.minStakeMiner : _params.minStakeValidator;
        vm.startPrank(n.account);
        if (n.stake < minimum) network.addStake(minimum - n.stake);
        if (block.timestamp < n.until) vm.warp(n.until);
        network.unjail();
        vm.stopPrank();
    }

    function withdrawRewards(uint256 seed) external recorded("withdrawRewards") {
        uint32 id = _pickNode(seed, _hasRewards);
        if (id == 0) return;
        vm.prank(network.getNode(id).account);
        network.withdrawRewards(id);
    }

    // ================================================================== SESSIONS
    function createSession(uint256 seed, uint256 amount) external recorded("createSession") {
        if (_sessions.length >= MAX_SESSIONS) return;
        SessionConfig memory c;
        c.modelId = model;
        c.redundancy = uint8(bound(seed, 1, 3));
        c.validation = ValidationMode((seed >> 8) % 3);
        c.assignment = AssignmentMode((seed >> 16) % 3);
        c.pricePerToken = uint96(bound(seed >> 24, 1e9, 1e13));
        c.maxTokens = uint24(bound(seed >> 64, 1, 256));
        c.minReputation = uint16((seed >> 96) % 3 == 0 ? bound(seed >> 100, 0, 6_000) : 0);
        c.threshold = uint16(bound(seed >> 120, 0, 10_000));
        c.quorum = uint8(bound(seed >> 136, 1, 3));
        c.retryLimit = uint8(bound(seed >> 144, 0, 2));
        c.precommitWindow = uint32(bound(seed >> 152, 30, 600));
        c.revealWindow = uint32(bound(seed >> 168, 30, 600));
        c.attestWindow = uint32(bound(seed >> 184, 30, 600));
        if (c.assignment == AssignmentMode.Router && (seed >> 200) & 1 == 1) c.routerId = _routerId();
        if (c.assignment == AssignmentMode.Dedicated) {
            c.dedicatedMiners = _dedicated(seed >> 208, c.redundancy);
            if (c.dedicatedMiners.length == 0) return;
        }
        address owner = _clients[(seed >> 240) % _clients.length];
        uint256 escrow = uint256(c.redundancy) * c.maxTokens * c.pricePerToken;
        uint112 deposit = uint112(bound(amount, 0, escrow * 6));
        vm.prank(owner);
        uint32 sessionId = network.createSession(c, deposit);
        _sessions.push(sessionId);
        ghostDeposited[sessionId] += deposit;
    }

    function deposit(uint256 seed, uint112 amount) external recorded("deposit") {
        uint32 sessionId = _pickSession(seed, true);
        if (sessionId == 0) return;
        amount = uint112(bound(amount, 1, 50 ether));
        address payer = _clients[(seed >> 128) % _clients.length];
        vm.prank(payer);
        network.deposit(sessionId, amount);
        ghostDeposited[sessionId] += amount;
    }

    function withdrawDeposit(uint256 seed, uint112 amount) external recorded("withdrawDeposit") {
        uint32 sessionId = _pickSession(seed, false);
        if (sessionId == 0) return;
        Session memory s = network.getSession(sessionId);
        if (s.deposit == 0) return;
        amount = uint112(bound(amount, 1, s.deposit));
        vm.prank(s.owner);
        network.withdrawDeposit(sessionId, amount);
        ghostWithdrawn[sessionId] += amount;
    }

    function closeSession(uint256 seed) external recorded("closeSession") {
        uint32 sessionId = _pickSession(seed, true);
        if (sessionId == 0) return;
        vm.prank(network.getSession(sessionId).owner);
        ghostWithdrawn[sessionId] += network.closeSession(sessionId);
    }

    // ================================================================== TASKS
    function submit(uint256 seed, uint24 maxTokens) external recorded("submit") {
        if (_tasks.length >= MAX_TASKS) return;
        uint32 sessionId = _pickSession(seed, true);
        if (sessionId == 0) return;
        Session memory s = network.getSession(sessionId);
        uint256 perToken = uint256(s.redundancy) * s.pricePerToken;
        uint256 affordable = s.deposit / perToken;
        if (affordable == 0) return;
        maxTokens = uint24(bound(maxTokens, 1, affordable < s.maxTokens ? affordable : s.maxTokens));
        if (s.assignment == AssignmentMode.Dedicated && _eligibleDedicated(s) < s.redundancy) return;
        vm.prank(s.owner);
        uint256 taskId = network.submitTask(sessionId, keccak256(abi.encode(seed)), "bafkreiprompt", maxTokens);
        _tasks.push(taskId);
        _live.push(taskId);
    }

    function assign(uint256 seed) external recorded("assign") {
        uint256 taskId = _pickTask(seed, _isRouterQueued);
        if (taskId != 0) _assign(seed, taskId);
    }

    function claim(uint256 seed) external recorded("claim") {
        uint256 taskId = _pickTask(seed, _isClaimable);
        if (taskId != 0) _claim(seed, taskId);
    }

    function commit(uint256 seed, bool honest) external recorded("commit") {
        uint256 taskId = _pickTask(seed, _isCommitting);
        if (taskId != 0) _commit(seed, taskId, honest);
    }

    function reveal(uint256 seed, uint32 tokens) external recorded("reveal") {
        uint256 taskId = _pickTask(seed, _isRevealing);
        if (taskId != 0) _reveal(seed, taskId, tokens);
    }

    function attest(uint256 seed, uint16[3] memory scores) external recorded("attest") {
        uint256 taskId = _pickTask(seed, _isAttestable);
        if (taskId != 0) _attest(seed, taskId, scores);
    }

    /// @dev Takes the next step of a live task, whatever its phase: assign or claim, commit (mostly honest),
    /// reveal, attest. Keeps enough tasks moving to settlement within a run's depth.
    function advance(uint256 seed, uint32 tokens, uint16[3] memory scores) external recorded("advance") {
        uint256 taskId = _pickTask(seed, _isAdvanceable);
        if (taskId == 0) return;
        TaskView memory t = network.getTask(taskId);
        if (t.status == TaskStatus.Queued) {
            AssignmentMode mode = network.getSession(t.sessionId).assignment;
            if (mode == AssignmentMode.Router) _assign(seed, taskId);
            else _claim(seed, taskId);
        } else if (t.status == TaskStatus.Committing) {
            _commit(seed, taskId, (seed >> 200) % 3 != 0);
        } else if (t.status == TaskStatus.Revealing) {
            _reveal(seed, taskId, tokens);
        } else {
            _attest(seed, taskId, scores);
        }
    }

    function finalize(uint256 seed, uint256 wait) external recorded("finalize") {
        uint256 taskId = _pickTask(seed, _isValidating);
        if (taskId == 0) return;
        _passDeadline(taskId, wait);
        network.finalize(taskId);
    }

    function expire(uint256 seed, uint256 wait) external recorded("expire") {
        uint256 taskId = _pickTask(seed, _isExpirable);
        if (taskId == 0) return;
        _passDeadline(taskId, wait);
        TaskView memory t = network.getTask(taskId);
        uint256 r = t.miners.length;
        for (uint256 j; j < r; ++j) {
            uint8 slot = uint8(_at(seed >> 128, j, r));
            uint8 bit = uint8(1 << slot);
            bool late = t.status == TaskStatus.Revealing
                ? (t.revealedMask | t.droppedMask) & bit == 0
                : t.miners[slot] == 0 || t.committedMask & bit == 0;
            if (!late) continue;
            network.expire(taskId, slot);
            return;
        }
        revert("handler: a task past its deadline has a late slot");
    }

    /// @dev Lets time pass without any action (deadlines, cooldowns).
    function wait(uint256 seconds_) external recorded("wait") {
        vm.warp(block.timestamp + bound(seconds_, 1, 120));
    }

    // ================================================================== INTERNAL: task steps
    function _assign(uint256 seed, uint256 taskId) internal {
        TaskView memory t = network.getTask(taskId);
        Session memory s = network.getSession(t.sessionId);
        uint256 vacant;
        for (uint256 i; i < t.miners.length; ++i) {
            if (t.miners[i] == 0) ++vacant;
        }
        uint32[] memory ids = new uint32[](vacant);
        uint256 count = network.nodeCount();
        uint256 k;
        for (uint256 j; j < count && k < vacant; ++j) {
            uint32 id = uint32(1 + _at(seed, j, count));
            if (!_eligible(id, s.minReputation) || _onTask(t, id) || _contains(ids, id)) continue;
            ids[k++] = id;
        }
        if (k < vacant) return;
        address caller = s.owner;
        if (s.routerId != 0 && (seed >> 128) & 1 == 1) {
            Node memory router = network.getNode(s.routerId);
            if (network.nodeIdOf(router.account) == s.routerId) caller = router.account;
        }
        vm.prank(caller);
        network.assignTask(taskId, ids);
    }

    function _claim(uint256 seed, uint256 taskId) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        uint16 minReputation = network.getSession(t.sessionId).minReputation;
        uint256 count = network.nodeCount();
        for (uint256 j; j < count; ++j) {
            uint32 id = uint32(1 + _at(seed, j, count));
            if (!_eligible(id, minReputation) || _onTask(t, id)) continue;
            vm.prank(network.getNode(id).account);
            network.claimTask(taskId);
            return;
        }
    }

    function _commit(uint256 seed, uint256 taskId, bool honest) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        (uint8 slot, address miner) = _slotWhere(t, seed >> 128, _canCommit);
        if (miner == address(0)) return;
        bytes32 resultHash = honest ? keccak256(abi.encode("result", taskId)) : keccak256(abi.encode(seed));
        _committed[taskId][slot] = resultHash;
        vm.prank(miner);
        network.commit(taskId, slot, keccak256(abi.encode(taskId, miner, resultHash, _salt(taskId, slot))));
    }

    function _reveal(uint256 seed, uint256 taskId, uint32 tokens) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        (uint8 slot, address miner) = _slotWhere(t, seed >> 128, _canReveal);
        if (miner == address(0)) return;
        tokens = uint32(bound(tokens, 0, t.maxTokens));
        vm.prank(miner);
        network.reveal(taskId, slot, _committed[taskId][slot], _salt(taskId, slot), tokens, "bafkreiresult");
    }

    function _attest(uint256 seed, uint256 taskId, uint16[3] memory scores) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        uint256 count = network.nodeCount();
        for (uint256 j; j < count; ++j) {
            uint32 id = uint32(1 + _at(seed, j, count));
            Node memory v = network.getNode(id);
            if (v.role != Role.Validator || v.status != NodeStatus.Active || _attested(taskId, t, id)) continue;
            uint16[] memory s = new uint16[](t.miners.length);
            for (uint256 i; i < s.length; ++i) {
                s[i] = uint16(bound(scores[i], 0, 10_000));
            }
            vm.prank(v.account);
            network.attest(taskId, s);
            return;
        }
    }

    // ================================================================== INTERNAL: ghost
    function _absorb(Vm.Log[] memory logs) internal {
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(network) || log.topics.length == 0) continue;
            bytes32 sig = log.topics[0];
            if (sig == WORK_SETTLED) {
                (uint8 slot, Outcome outcome,,,,) =
                    abi.decode(log.data, (uint8, Outcome, uint32, uint96, uint16, uint16));
                if (slot == 255 || outcome != Outcome.Accepted) continue;
                uint256 taskId = uint256(log.topics[1]);
                uint32 nodeId = uint32(uint256(log.topics[2]));
                uint256 n = ++ghostAccepted[taskId][nodeId];
                if (n > ghostMaxAcceptedPerTask) ghostMaxAcceptedPerTask = n;
            } else if (sig == TASK_FINALIZED) {
                (,,, uint112 paid,,,,) =
                    abi.decode(log.data, (uint8, uint32, bytes32, uint112, uint112, uint112, uint112, uint112));
                _settled(uint256(log.topics[1]), TaskStatus.Finalized);
                ghostPaid[uint32(uint256(log.topics[2]))] += paid;
            } else if (sig == TASK_FAILED) {
                _settled(uint256(log.topics[1]), TaskStatus.Failed);
            }
        }
    }

    function _settled(uint256 taskId, TaskStatus status) internal {
        require(ghostTerminal[taskId] == TaskStatus.None, "handler: a task settled twice");
        ghostTerminal[taskId] = status;
        uint256 n = _live.length;
        for (uint256 i; i < n; ++i) {
            if (_live[i] != taskId) continue;
            _live[i] = _live[n - 1];
            _live.pop();
            return;
        }
    }

    /// @dev Postcondition of register / withdrawStake: a current registration maps its account to its id, an
    /// ended one holds no stake and no longer owns its account.
    function _checkRegistration(uint32 id) internal view {
        Node memory n = network.getNode(id);
        if (n.status == NodeStatus.Unregistered) {
            require(n.stake == 0 && network.nodeIdOf(n.account) != id, "handler: ended registration");
        } else {
            require(network.nodeIdOf(n.account) == id, "handler: current registration");
        }
    }

    // ================================================================== INTERNAL: picking
    function _fund(address account, uint256 amount) internal {
        token.transfer(account, amount);
        vm.prank(account);
        token.approve(address(network), type(uint256).max);
    }

    /// @dev The j-th candidate after a random start, wrapping around n.
    function _at(uint256 seed, uint256 j, uint256 n) internal pure returns (uint256) {
        return (seed % n + j) % n;
    }

    function _salt(uint256 taskId, uint8 slot) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", taskId, slot));
    }

    function _pick(uint256 seed, address[] storage list, function(address) view returns (bool) ok)
        internal
        view
        returns (address)
    {
        uint256 n = list.length;
        for (uint256 j; j < n; ++j) {
            address a = list[_at(seed, j, n)];
            if (ok(a)) return a;
        }
        return address(0);
    }

    function _pickNode(uint256 seed, function(uint32) view returns (bool) ok) internal view returns (uint32) {
        uint256 n = network.nodeCount();
        for (uint256 j; j < n; ++j) {
            uint32 id = uint32(1 + _at(seed, j, n));
            if (ok(id)) return id;
        }
        return 0;
    }

    function _pickSession(uint256 seed, bool open) internal view returns (uint32) {
        uint256 n = _sessions.length;
        for (uint256 j; j < n; ++j) {
            uint32 id = _sessions[_at(seed, j, n)];
            if (!open || network.getSession(id).status == SessionStatus.Open) return id;
        }
        return 0;
    }

    function _pickTask(uint256 seed, function(uint256, TaskView memory) view returns (bool) ok)
        internal
        view
        returns (uint256)
    {
        uint256 n = _live.length;
        for (uint256 j; j < n; ++j) {
            uint256 id = _live[_at(seed, j, n)];
            if (ok(id, network.getTask(id))) return id;
        }
        return 0;
    }

    /// @dev A slot satisfying `ok`, and the account of its miner's current registration (zero if none).
    function _slotWhere(TaskView memory t, uint256 seed, function(TaskView memory, uint8) view returns (bool) ok)
        internal
        view
        returns (uint8 slot, address miner)
    {
        uint256 r = t.miners.length;
        for (uint256 j; j < r; ++j) {
            slot = uint8(_at(seed, j, r));
            uint32 id = t.miners[slot];
            if (id == 0 || !ok(t, slot)) continue;
            address account = network.getNode(id).account;
            if (network.nodeIdOf(account) == id) return (slot, account);
        }
        return (0, address(0));
    }

    function _passDeadline(uint256 taskId, uint256 wait_) internal {
        uint40 deadline = network.getTask(taskId).deadline;
        if (block.timestamp <= deadline) vm.warp(uint256(deadline) + 1 + bound(wait_, 0, 100));
    }

    function _routerId() internal view returns (uint32) {
        uint256 n = network.nodeCount();
        for (uint32 id = 1; id <= n; ++id) {
            Node memory node = network.getNode(id);
            if (node.role == Role.Router && node.status != NodeStatus.Unregistered) return id;
        }
        return 0;
    }

    function _dedicated(uint256 seed, uint8 r) internal view returns (uint32[] memory ids) {
        uint256 n = network.nodeCount();
        uint256 want = bound(seed, r, r + 2);
        uint32[] memory found = new uint32[](want);
        uint256 k;
        for (uint256 j; j < n && k < want; ++j) {
            uint32 id = uint32(1 + _at(seed, j, n));
            if (network.getNode(id).role == Role.Miner) found[k++] = id;
        }
        if (k < r) return new uint32[](0);
        ids = new uint32[](k);
        for (uint256 i; i < k; ++i) {
            ids[i] = found[i];
        }
    }

    function _eligibleDedicated(Session memory s) internal view returns (uint256 count) {
        for (uint256 i; i < 7; ++i) {
            uint32 id = uint32(s.dedicated >> (32 * i));
            if (id == 0) break;
            if (_eligible(id, s.minReputation)) ++count;
        }
    }

    function _eligible(uint32 id, uint16 minReputation) internal view returns (bool) {
        Node memory n = network.getNode(id);
        return n.status == NodeStatus.Active && n.role == Role.Miner && network.servesModel(id, model)
            && (minReputation == 0 || n.score >= minReputation);
    }

    function _onTask(TaskView memory t, uint32 id) internal pure returns (bool) {
        return _contains(t.miners, id);
    }

    function _contains(uint32[] memory ids, uint32 id) internal pure returns (bool) {
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == id) return true;
        }
        return false;
    }

    function _attested(uint256 taskId, TaskView memory t, uint32 validatorId) internal view returns (bool) {
        for (uint256 k; k < t.attestations; ++k) {
            (uint32 id,) = network.getAttestation(taskId, k);
            if (id == validatorId) return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ predicates
    function _isUnregisteredAccount(address account) internal view returns (bool) {
        return network.nodeIdOf(account) == 0;
    }

    function _canExit(uint32 id) internal view returns (bool) {
        Node memory n = network.getNode(id);
        return n.status == NodeStatus.Active || n.status == NodeStatus.Jailed;
    }

    function _isExiting(uint32 id) internal view returns (bool) {
        return network.getNode(id).status == NodeStatus.Exiting;
    }

    function _isJailed(uint32 id) internal view returns (bool) {
        return network.getNode(id).status == NodeStatus.Jailed;
    }

    function _hasRewards(uint32 id) internal view returns (bool) {
        return network.getNode(id).rewards != 0;
    }

    function _isRouterQueued(uint256, TaskView memory t) internal view returns (bool) {
        return t.status == TaskStatus.Queued && network.getSession(t.sessionId).assignment == AssignmentMode.Router;
    }

    function _isClaimable(uint256, TaskView memory t) internal view returns (bool) {
        return t.status == TaskStatus.Queued && block.timestamp <= t.deadline
            && network.getSession(t.sessionId).assignment == AssignmentMode.Claim;
    }

    function _isCommitting(uint256, TaskView memory t) internal view returns (bool) {
        return (t.status == TaskStatus.Queued || t.status == TaskStatus.Committing) && block.timestamp <= t.deadline;
    }

    function _isRevealing(uint256, TaskView memory t) internal view returns (bool) {
        return t.status == TaskStatus.Revealing && block.timestamp <= t.deadline;
    }

    function _isAttestable(uint256, TaskView memory t) internal view returns (bool) {
        return t.status == TaskStatus.Validating && block.timestamp <= t.deadline;
    }

    function _isAdvanceable(uint256 taskId, TaskView memory t) internal view returns (bool) {
        return t.status != TaskStatus.Queued || network.getSession(t.sessionId).assignment != AssignmentMode.Claim
            || _isClaimable(taskId, t);
    }

    function _isValidating(uint256, TaskView memory t) internal pure returns (bool) {
        return t.status == TaskStatus.Validating;
    }

    function _isExpirable(uint256, TaskView memory t) internal pure returns (bool) {
        return t.status == TaskStatus.Queued || t.status == TaskStatus.Committing || t.status == TaskStatus.Revealing;
    }

    function _canCommit(TaskView memory t, uint8 slot) internal pure returns (bool) {
        return t.committedMask & (1 << slot) == 0;
    }

    function _canReveal(TaskView memory t, uint8 slot) internal pure returns (bool) {
        return (t.revealedMask | t.droppedMask) & (1 << slot) == 0;
    }
}
