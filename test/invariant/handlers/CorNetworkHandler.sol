// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";
import {console} from "forge-std/console.sol";

import {CORToken} from "../../../contracts/CORToken.sol";
import {ICorNetwork} from "../../../contracts/interfaces/ICorNetwork.sol";
import {INodeRegistry} from "../../../contracts/interfaces/INodeRegistry.sol";
import {ISessionManager} from "../../../contracts/interfaces/ISessionManager.sol";
import {ITaskManager} from "../../../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    FailReason,
    Node,
    NodeStatus,
    Offer,
    Outcome,
    Params,
    Role,
    RootReveal,
    Session,
    SessionConfig,
    SessionStatus,
    SlashReason,
    TaskStatus,
    TaskView,
    ValidationMode
} from "../../../contracts/types/Types.sol";
import {CorStorageLens} from "./CorStorageLens.sol";

/// @notice Drives CorNetwork through random sequences of calls (fail_on_revert = true), as honest parties and as
/// an adversary. Honest actions read the chain and pick inputs that must succeed (or do nothing). Adversarial
/// actions (wrong callers, late calls, calls on terminal tasks, locked withdrawals, out-of-bounds governance) are
/// made in try/catch: a call that goes through is recorded as a violation, which an invariant turns into a failure.
/// Every action is checked against the events it emitted: rewards and stakes move exactly as the events say,
/// a slash happens exactly when a provable fault does, and never to a node that revealed the accepted result.
/// `calls` counts the actions that changed state, `refused` the adversarial attempts the network rejected.
contract CorNetworkHandler is CommonBase, StdCheats, StdUtils, CorStorageLens {
    uint256 internal constant MAX_SESSIONS = 10;
    uint256 internal constant MAX_TASKS = 48;
    uint256 internal constant MAX_NODES = 22;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MAX_PRICE = 1e13;
    address internal constant FEE_SINK = address(0xFEE5);

    ICorNetwork public immutable network;
    CORToken public immutable token;
    bytes32 public immutable model;
    bytes32 public immutable otherModel;
    address public immutable governor;

    address[] internal _clients;
    address[] internal _accounts; // every account that ever registered, in registration order
    address[] internal _outsiders; // never registered, never own a session: wrong callers and submitters
    uint32[] internal _sessions;
    uint256[] internal _tasks;
    uint256[] internal _live; // tasks not yet Finalized or Failed
    uint256[] internal _done; // tasks Finalized or Failed

    /// @dev What a slot committed, to reveal it later. `withhold`: the miner never reveals it.
    struct Work {
        bytes32 resultHash;
        uint32 tokens;
        bool withhold;
    }

    mapping(uint256 taskId => mapping(uint8 slot => Work)) internal _work;

    /// @dev A commitRoot batch: its committer, root, list and leaves (the commitments it committed to).
    struct RootBatch {
        address miner;
        bytes32 root;
        uint256[] taskIds;
        uint8[] slots;
        bytes32[] leaves;
    }

    RootBatch[] internal _batches;
    /// @dev 1 + index in _batches of the batch that committed a slot; 0 for a slot committed by commit.
    mapping(uint256 taskId => mapping(uint8 slot => uint256)) internal _batchOf;

    // ------------------------------------------------------------------ ghost state
    mapping(uint32 sessionId => uint256) public ghostDeposited;
    mapping(uint32 sessionId => uint256) public ghostWithdrawn;
    mapping(uint32 sessionId => uint256) public ghostPaid;
    mapping(uint256 taskId => TaskStatus) public ghostTerminal;
    /// @dev WorkSettled events that paid a miner (Accepted or Unverified) per task and node.
    mapping(uint256 taskId => mapping(uint32 nodeId => uint256)) public ghostPaidCount;
    uint256 public ghostMaxPaidPerTask;
    mapping(uint256 taskId => mapping(uint32 nodeId => uint256)) public ghostSlashes;
    mapping(uint256 taskId => uint256) internal _verdictSlashes; // Rejected + Deviated slashes of a task
    mapping(uint256 taskId => mapping(uint32 nodeId => bool)) internal _committedBy;
    mapping(uint256 taskId => mapping(uint32 nodeId => bool)) internal _revealedBy;
    mapping(uint256 taskId => mapping(uint32 nodeId => bool)) internal _attestedBy;
    mapping(uint256 taskId => mapping(uint32 nodeId => bool)) internal _timedOutOn;
    uint256 public ghostFeesWithdrawn;
    /// @dev Stake and unclaimed rewards of every node as its events say (registration, top-up, slashes,
    /// withdrawal; payouts, router fees, withdrawals): the invariant compares them with the chain.
    mapping(uint32 nodeId => uint256) public ghostStake;
    mapping(uint32 nodeId => uint256) public ghostRewards;

    /// @dev Broken properties (see CorNetworkInvariantTest): how many times each, the first occurrence described.
    uint256 public violationCount;
    bytes32[] internal _violated;
    mapping(bytes32 property => uint256) internal _violations;
    mapping(bytes32 property => string) internal _firstWhat;

    // ------------------------------------------------------------------ call summary
    mapping(bytes32 action => uint256) public calls;
    mapping(bytes32 action => uint256) public refused;
    bytes32[] internal _names;
    mapping(bytes32 action => bool) internal _named;
    bool internal _timeOnly;
    /// @dev What the network did, by event: settlements by outcome, slashes by reason, validation rounds.
    mapping(bytes32 what => uint256) public seen;
    bytes32[] internal _seenNames;

    /// @dev What one action's events say happened.
    struct Tally {
        uint256 rejected; // miner results rejected (WorkSettled Rejected, slot < 255)
        uint256 rejectSlashes;
        uint256 withheld; // reveals withheld (SlotExpired in Revealing)
        uint256 withholdSlashes;
        uint256 deviated; // attestations off the median (WorkSettled Rejected, slot 255)
        uint256 deviateSlashes;
        uint256[] finalized; // task ids settled with a verdict in this action
        uint256[] winner; // their winner slots
        uint256 nFinalized;
        uint256[] unverified; // task ids failed without a verdict (NoMajority, NoQuorum)
        uint256 nUnverified;
        bool changed;
    }

    constructor(
        ICorNetwork network_,
        CORToken token_,
        bytes32 model_,
        bytes32 otherModel_,
        address governor_,
        address[] memory accounts,
        address[] memory clients
    ) {
        network = network_;
        token = token_;
        model = model_;
        otherModel = otherModel_;
        governor = governor_;
        _accounts = accounts;
        _clients = clients;
        for (uint256 i; i < 3; ++i) {
            _outsiders.push(makeAddr(string.concat("outsider", vm.toString(i))));
        }
        uint32 n = network_.nodeCount();
        for (uint32 id = 1; id <= n; ++id) {
            Node memory node = network_.getNode(id);
            (ghostStake[id], ghostRewards[id]) = (node.stake, node.rewards);
        }
    }

    /// @dev Checks one action against its events; counts it if it changed state.
    modifier step(bytes32 action) {
        if (!_named[action]) {
            _named[action] = true;
            _names.push(action);
        }
        Tally memory tally;
        _timeOnly = false;
        vm.recordLogs();
        _;
        _absorb(vm.getRecordedLogs(), tally);
        _check(tally);
        if (tally.changed || _timeOnly) ++calls[action];
    }

    // ================================================================== views for the invariant test
    /// @notice Every broken property, as `property xN: first occurrence (task, node or slot); ...`.
    function violationReport() external view returns (string memory report) {
        for (uint256 i; i < _violated.length; ++i) {
            bytes32 p = _violated[i];
            report = string.concat(report, _str(p), " x", vm.toString(_violations[p]), ": ", _firstWhat[p], "; ");
        }
    }

    function tasks() external view returns (uint256[] memory) {
        return _tasks;
    }

    function live() external view returns (uint256[] memory) {
        return _live;
    }

    /// @notice Prints the actions that changed state and the adversarial attempts refused (forge test -vv).
    function printSummary() external view {
        console.log("action                   changed   refused");
        for (uint256 i; i < _names.length; ++i) {
            bytes32 name = _names[i];
            console.log(
                string.concat(_pad(_str(name), 25), _pad(vm.toString(calls[name]), 10), vm.toString(refused[name]))
            );
        }
        for (uint256 i; i < _seenNames.length; ++i) {
            console.log(string.concat(_pad(_str(_seenNames[i]), 25), vm.toString(seen[_seenNames[i]])));
        }
        console.log(
            string.concat(
                "sessions ",
                vm.toString(_sessions.length),
                " tasks ",
                vm.toString(_tasks.length),
                " settled ",
                vm.toString(_done.length),
                " nodes ",
                vm.toString(uint256(network.nodeCount()))
            )
        );
    }

    // ================================================================== SETUP
    /// @notice Opens one session of each kind, so that every run has work from its first call.
    function bootstrap(uint32 routerId, uint32[] calldata miners) external {
        _bootSession(_clients[0], 3, ValidationMode.ExactMatch, AssignmentMode.Router, routerId, 1, miners);
        _bootSession(_clients[1], 3, ValidationMode.Embedding, AssignmentMode.Claim, 0, 3, miners);
        _bootSession(_clients[2], 3, ValidationMode.Replay, AssignmentMode.Dedicated, 0, 1, miners);
        _bootSession(_clients[0], 2, ValidationMode.ExactMatch, AssignmentMode.Router, 0, 0, miners);
        _bootSession(_clients[1], 2, ValidationMode.Embedding, AssignmentMode.Router, routerId, 3, miners);
        vm.prank(_clients[0]);
        uint256 taskId = network.submitTask(_sessions[0], keccak256("first"), "bafkreiprompt", 64);
        _tasks.push(taskId);
        _live.push(taskId);
        _discover(network, taskId);
    }

    /// @notice Base slots found by the lens, for the invariant test's own raw reads.
    function lensBases() external view returns (uint256 nodes, uint256 sessions, uint256 tasks_) {
        return (_nodesBase, _sessionsBase, _tasksBase);
    }

    function _bootSession(
        address owner,
        uint8 r,
        ValidationMode validation,
        AssignmentMode assignment,
        uint32 routerId,
        uint8 quorum,
        uint32[] calldata miners
    ) internal {
        SessionConfig memory c;
        c.modelId = model;
        c.redundancy = r;
        c.validation = validation;
        c.assignment = assignment;
        c.pricePerToken = 1e12;
        c.maxTokens = 64;
        c.quorum = quorum;
        c.retryLimit = 2;
        c.precommitWindow = 120;
        c.revealWindow = 120;
        c.attestWindow = 120;
        c.routerId = routerId;
        if (assignment == AssignmentMode.Dedicated) c.dedicatedMiners = miners;
        uint112 amount = uint112(uint256(r) * c.maxTokens * c.pricePerToken * 8);
        vm.prank(owner);
        uint32 sessionId = network.createSession(c, amount);
        _sessions.push(sessionId);
        ghostDeposited[sessionId] += amount;
    }

    // ================================================================== NODES
    function register(uint256 seed, uint96 stake) external step("register") {
        seed = _mix(seed);
        if (network.nodeCount() >= MAX_NODES) return;
        address account;
        // Half the time an account that left registers again (a new node id), else a new account.
        if (seed & 1 == 0) account = _pickAccount(seed >> 1);
        if (account == address(0)) {
            account = makeAddr(string.concat("actor", vm.toString(_accounts.length)));
            _accounts.push(account);
            _fund(account, 100_000 ether);
        }
        uint256 roll = (seed >> 8) % 8;
        Role role = roll < 2 ? Role.Validator : (roll == 2 ? Role.Router : Role.Miner);
        uint96 minimum = _minStake(role);
        stake = uint96(_bound(stake, minimum, uint256(minimum) * 4));
        bytes32[] memory models = new bytes32[](role == Role.Miner ? 1 : 0);
        if (role == Role.Miner) models[0] = (seed >> 12) % 5 == 0 ? otherModel : model;
        Offer memory offer = role == Role.Miner ? _offer(seed >> 16) : Offer(0, 0, 0);
        vm.prank(account);
        uint32 id = network.register(role, stake, models, keccak256(abi.encode(account)), "http://actor", offer);
        require(id == network.nodeCount() && network.nodeIdOf(account) == id, "handler: registration id");
    }

    /// @dev Any Active or Jailed node may leave, also in the middle of its tasks.
    function requestExit(uint256 seed) external step("requestExit") {
        seed = _mix(seed);
        uint32 id = _pickNode(seed, _canExit);
        if (id == 0) return;
        vm.prank(network.getNode(id).account);
        network.requestExit();
    }

    /// @dev Past the cooldown an Exiting node withdraws, unless work that could be slashed is open: then the
    /// attempt must revert StakeLocked. A node that is not Exiting is refused too.
    function withdrawStake(uint256 seed) external step("withdrawStake") {
        seed = _mix(seed);
        uint32 id = _pickNode(seed, _isExiting);
        if (id == 0) {
            id = _pickNode(seed, _canExit);
            if (id == 0) return;
            vm.prank(network.getNode(id).account);
            try network.withdrawStake() {
                _violation("adversary", "withdrawStake by a node that is not exiting", 0, id);
            } catch {
                _dropRevertedLogs();
                ++refused["withdrawStake"];
            }
            return;
        }
        Node memory n = network.getNode(id);
        if (block.timestamp < n.until) _warp(n.until);
        vm.prank(n.account);
        if (n.open != 0) {
            try network.withdrawStake() {
                _violation("lockedStake", "withdrawStake with open work", 0, id);
            } catch {
                _dropRevertedLogs();
                ++refused["withdrawStake"];
            }
            return;
        }
        network.withdrawStake();
        require(network.nodeIdOf(n.account) == 0 && network.getNode(id).stake == 0, "handler: ended registration");
    }

    function unjail(uint256 seed) external step("unjail") {
        seed = _mix(seed);
        uint32 id = _pickNode(seed, _isJailed);
        if (id == 0) return;
        Node memory n = network.getNode(id);
        uint96 minimum = _minStake(n.role);
        vm.startPrank(n.account);
        if (n.stake < minimum) network.addStake(minimum - n.stake);
        if (block.timestamp < n.until) _warp(n.until);
        network.unjail();
        vm.stopPrank();
    }

    function withdrawRewards(uint256 seed) external step("withdrawRewards") {
        seed = _mix(seed);
        uint32 id = _pickNode(seed, _hasRewards);
        if (id == 0) return;
        address account = network.getNode(id).account;
        if ((seed >> 200) % 3 == 0) {
            // Somebody else's rewards.
            vm.prank(_outsiders[seed % _outsiders.length]);
            try network.withdrawRewards(id) {
                _violation("adversary", "withdrawRewards by another account", 0, id);
            } catch {
                _dropRevertedLogs();
                ++refused["withdrawRewards"];
            }
            return;
        }
        vm.prank(account);
        network.withdrawRewards(id);
    }

    /// @dev A miner changes the work it consents to; open assignments keep their terms.
    function updateOffer(uint256 seed) external step("updateOffer") {
        seed = _mix(seed);
        uint32 id = _pickNode(seed, _isCurrentNode);
        if (id == 0) return;
        Node memory n = network.getNode(id);
        vm.prank(n.account);
        if (n.role != Role.Miner) {
            try network.updateOffer(_offer(seed >> 32)) {
                _violation("adversary", "updateOffer by a non-miner", 0, id);
            } catch {
                _dropRevertedLogs();
                ++refused["updateOffer"];
            }
            return;
        }
        network.updateOffer(_offer(seed >> 32));
    }

    /// @dev A miner stops or starts serving the session model (or the other one).
    function updateModels(uint256 seed) external step("updateModels") {
        seed = _mix(seed);
        uint32 id = _pickNode(seed, _isCurrentNode);
        if (id == 0) return;
        Node memory n = network.getNode(id);
        bytes32[] memory one = new bytes32[](1);
        bytes32[] memory none = new bytes32[](0);
        one[0] = (seed >> 40) % 3 == 0 ? otherModel : model;
        vm.prank(n.account);
        if (n.role != Role.Miner) {
            try network.updateModels(one, none) {
                _violation("adversary", "updateModels by a non-miner", 0, id);
            } catch {
                _dropRevertedLogs();
                ++refused["updateModels"];
            }
            return;
        }
        if ((seed >> 48) & 1 == 0) network.updateModels(none, one);
        else network.updateModels(one, none);
    }

    // ================================================================== GOVERNANCE
    /// @dev New parameters within their bounds (every setter bound is exercised), or out of bounds / not the owner.
    function setParams(uint256 seed) external step("setParams") {
        seed = _mix(seed);
        Params memory p = _randomParams(seed);
        uint256 bad = (seed >> 250) % 8; // 1..3: an adversarial attempt
        if (bad > 3) bad = 0;
        if (bad == 0) {
            vm.prank(governor);
            network.setParams(p);
            return;
        }
        address caller = governor;
        if (bad == 1) caller = _outsiders[seed % _outsiders.length];
        else if (bad == 2) p.withholdSlashBps = p.rejectSlashBps == 0 ? 5_001 : p.rejectSlashBps - 1;
        else if (seed & 1 == 0) p.protocolFeeBps = 0;
        else p.minQuorum = 2;
        vm.prank(caller);
        try network.setParams(p) {
            _violation("adversary", "setParams out of bounds or not by the owner", 0, 0);
        } catch {
            _dropRevertedLogs();
            ++refused["setParams"];
        }
    }

    function jail(uint256 seed, uint32 duration) external step("jail") {
        seed = _mix(seed);
        uint32 id = _pickNode(seed, _canExit);
        duration = uint32(_bound(duration, 0, 600));
        if (id == 0 || (seed >> 200) % 3 == 0) {
            // Not the owner, or a node that is exiting or gone.
            id = id == 0 ? uint32(1 + seed % network.nodeCount()) : id;
            Node memory n = network.getNode(id);
            bool badTarget = n.status == NodeStatus.Exiting || n.status == NodeStatus.Unregistered;
            vm.prank(badTarget ? governor : _outsiders[seed % _outsiders.length]);
            try network.jail(id, duration) {
                _violation("adversary", "jail by a non-owner or of an exiting node", 0, id);
            } catch {
                _dropRevertedLogs();
                ++refused["jail"];
            }
            return;
        }
        vm.prank(governor);
        network.jail(id, duration);
    }

    function withdrawProtocolFees(uint256 seed) external step("withdrawProtocolFees") {
        seed = _mix(seed);
        bool owner = (seed >> 200) % 3 != 0;
        bool fees = network.protocolFees() != 0;
        vm.prank(owner ? governor : _outsiders[seed % _outsiders.length]);
        if (owner && fees) {
            ghostFeesWithdrawn += network.withdrawProtocolFees(FEE_SINK);
            return;
        }
        try network.withdrawProtocolFees(FEE_SINK) {
            _violation("adversary", "withdrawProtocolFees by a non-owner or of nothing", 0, 0);
        } catch {
            _dropRevertedLogs();
            ++refused["withdrawProtocolFees"];
        }
    }

    // ================================================================== SESSIONS
    function createSession(uint256 seed, uint256 amount) external step("createSession") {
        seed = _mix(seed);
        if (_sessions.length >= MAX_SESSIONS) return;
        Params memory p = network.params();
        SessionConfig memory c;
        c.modelId = model;
        c.redundancy = uint8(_bound(seed, 1, 3));
        c.validation = ValidationMode((seed >> 8) % 4);
        c.assignment = AssignmentMode((seed >> 16) % 3);
        c.pricePerToken = uint96(_bound(seed >> 24, p.minPricePerToken, MAX_PRICE));
        c.maxTokens = uint24(_bound(seed >> 64, 1, 128));
        c.minReputation = uint16((seed >> 96) % 3 == 0 ? _bound(seed >> 100, 0, 6_000) : 0);
        if (c.validation == ValidationMode.Embedding || c.validation == ValidationMode.Replay) {
            c.quorum = (seed >> 120) % 3 == 0 || p.minQuorum > 1 ? 3 : p.minQuorum;
            if ((seed >> 124) % 16 == 0) c.quorum = 5; // more than the validators of a run: settles by finalize
        } else {
            c.quorum = uint8(_bound(seed >> 128, 0, 3));
        }
        c.retryLimit = uint8(_bound(seed >> 136, 0, p.maxRetryLimit));
        c.precommitWindow = uint32(_bound(seed >> 144, 30, 600));
        c.revealWindow = uint32(_bound(seed >> 160, 30, 600));
        c.attestWindow = uint32(_bound(seed >> 176, 30, 600));
        c.temperature = uint16(_bound(seed >> 192, 0, 2_000));
        c.topK = uint16(seed >> 208);
        c.topP = uint16(_bound(seed >> 224, 0, 10_000));
        c.encrypted = (seed >> 240) & 1 == 1;
        if (c.assignment == AssignmentMode.Router && (seed >> 241) & 1 == 1) c.routerId = _pickRouter(seed >> 32);
        if (c.assignment == AssignmentMode.Dedicated) {
            c.dedicatedMiners = _dedicated(seed >> 208, c.redundancy);
            if (c.dedicatedMiners.length == 0) return;
        }
        address owner = _clients[(seed >> 244) % _clients.length];
        uint256 escrow = uint256(c.redundancy) * c.maxTokens * c.pricePerToken;
        uint112 amount_ = uint112(_bound(amount, 0, escrow * 6));
        vm.prank(owner);
        uint32 sessionId = network.createSession(c, amount_);
        _sessions.push(sessionId);
        ghostDeposited[sessionId] += amount_;
    }

    function deposit(uint256 seed, uint112 amount) external step("deposit") {
        seed = _mix(seed);
        uint32 sessionId = _pickSession(seed, true);
        if (sessionId == 0) return;
        amount = uint112(_bound(amount, 1, 50 ether));
        vm.prank(_clients[(seed >> 128) % _clients.length]);
        network.deposit(sessionId, amount);
        ghostDeposited[sessionId] += amount;
    }

    function withdrawDeposit(uint256 seed, uint112 amount) external step("withdrawDeposit") {
        seed = _mix(seed);
        uint32 sessionId = _pickSession(seed, false);
        if (sessionId == 0) return;
        Session memory s = network.getSession(sessionId);
        if (s.deposit == 0) return;
        amount = uint112(_bound(amount, 1, s.deposit));
        vm.prank(s.owner);
        network.withdrawDeposit(sessionId, amount);
        ghostWithdrawn[sessionId] += amount;
    }

    /// @dev Closes an open session one time in three (a closed session takes no new tasks).
    function closeSession(uint256 seed) external step("closeSession") {
        seed = _mix(seed);
        uint32 sessionId = _pickSession(seed, true);
        if (sessionId == 0 || (seed >> 200) % 3 != 0) return;
        vm.prank(network.getSession(sessionId).owner);
        ghostWithdrawn[sessionId] += network.closeSession(sessionId);
    }

    /// @dev The owner points the session at another router (or none); the fee of tasks already assigned still
    /// goes to the router that assigned them.
    function setSessionRouter(uint256 seed) external step("setSessionRouter") {
        seed = _mix(seed);
        uint32 sessionId = _pickSession(seed, false);
        if (sessionId == 0) return;
        address owner = network.getSession(sessionId).owner;
        uint32 routerId = (seed >> 64) % 4 == 0 ? 0 : _pickRouter(seed >> 72);
        vm.prank(owner);
        network.setSessionRouter(sessionId, routerId);
    }

    function authorizeSubmitter(uint256 seed) external step("authorizeSubmitter") {
        seed = _mix(seed);
        uint32 sessionId = _pickSession(seed, false);
        if (sessionId == 0) return;
        vm.prank(network.getSession(sessionId).owner);
        network.authorizeSubmitter(sessionId, _outsiders[(seed >> 64) % _outsiders.length], (seed >> 72) % 3 != 0);
    }

    // ================================================================== TASKS
    function submit(uint256 seed, uint24 maxTokens) external step("submit") {
        seed = _mix(seed);
        if (_tasks.length >= MAX_TASKS) return;
        uint32 sessionId = _pickSession(seed, true);
        if (sessionId == 0) return;
        Session memory s = network.getSession(sessionId);
        uint256 affordable = s.deposit / (uint256(s.redundancy) * s.pricePerToken);
        if (affordable == 0) return;
        maxTokens = uint24(_bound(maxTokens, 1, affordable < s.maxTokens ? affordable : s.maxTokens));
        if (s.assignment == AssignmentMode.Dedicated && _eligibleDedicated(s) < s.redundancy) return;
        address submitter = s.owner;
        address outsider = _outsiders[(seed >> 64) % _outsiders.length];
        if ((seed >> 72) & 1 == 1 && network.isSubmitter(sessionId, outsider)) submitter = outsider;
        vm.prank(submitter);
        uint256 taskId = network.submitTask(sessionId, keccak256(abi.encode(seed)), "bafkreiprompt", maxTokens);
        _tasks.push(taskId);
        _live.push(taskId);
    }

    function assign(uint256 seed) external step("assign") {
        seed = _mix(seed);
        uint256 taskId = _pickTask(seed, _isRouterQueued);
        if (taskId != 0) _assign(seed, taskId);
    }

    function claim(uint256 seed) external step("claim") {
        seed = _mix(seed);
        uint256 taskId = _pickTask(seed, _isClaimable);
        if (taskId != 0) _claim(seed, taskId);
    }

    function commit(uint256 seed, uint256 kind) external step("commit") {
        (seed, kind) = (_mix(seed), _mix(kind));
        uint256 taskId = _pickTask(seed, _isCommitting);
        if (taskId != 0) _commit(seed, taskId, kind);
    }

    /// @dev One miner commits several slots (up to 4 tasks) under one root, each with a result chosen like commit's.
    function commitRoot(uint256 seed, uint256 kind) external step("commitRoot") {
        (seed, kind) = (_mix(seed), _mix(kind));
        uint256 taskId = _pickTask(seed, _isCommitting);
        if (taskId != 0) _commitRoot(seed, taskId, kind);
    }

    /// @dev Reveals every entry of one root batch that can be revealed now (the others passed as leaves).
    function revealRoot(uint256 seed) external step("revealRoot") {
        seed = _mix(seed);
        uint256 n = _batches.length;
        if (n == 0) return;
        _revealBatch(seed % n, type(uint256).max);
    }

    function reveal(uint256 seed) external step("reveal") {
        seed = _mix(seed);
        uint256 taskId = _pickTask(seed, _isRevealing);
        if (taskId != 0) _reveal(seed, taskId);
    }

    function attest(uint256 seed) external step("attest") {
        seed = _mix(seed);
        uint256 taskId = _pickTask(seed, _isAttestable);
        if (taskId != 0) _attest(seed, taskId);
    }

    /// @dev Takes the next step of a live task, whatever its phase: assign or claim, commit (mostly honest),
    /// reveal, attest. Keeps enough tasks moving to settlement within a run's depth.
    function advance(uint256 seed, uint256 kind) external step("advance") {
        (seed, kind) = (_mix(seed), _mix(kind));
        uint256 taskId = _pickTask(seed, _isAdvanceable);
        if (taskId == 0) return;
        TaskStatus status = _taskStatus(taskId);
        uint256 r = _taskWord(taskId).redundancy;
        if (status == TaskStatus.Queued) {
            if (_sessionMode(_sessionOf(taskId)) == uint8(AssignmentMode.Router)) {
                _assign(seed, taskId);
            } else {
                for (uint256 i; i < r && _taskStatus(taskId) == TaskStatus.Queued; ++i) {
                    _claim(seed >> i, taskId);
                }
            }
        } else if (status == TaskStatus.Committing) {
            for (uint256 i; i < r && _taskStatus(taskId) == TaskStatus.Committing; ++i) {
                if ((kind >> (200 + i)) & 3 == 0) _commitRoot(seed >> i, taskId, kind >> (8 * i));
                else _commit(seed, taskId, kind >> (8 * i));
            }
        } else if (status == TaskStatus.Revealing) {
            for (uint256 i; i < r && _taskStatus(taskId) == TaskStatus.Revealing; ++i) {
                _reveal(seed, taskId);
            }
        } else {
            _attest(seed, taskId);
        }
    }

    function finalize(uint256 seed, uint256 delay) external step("finalize") {
        seed = _mix(seed);
        uint256 taskId = _pickTask(seed, _isValidating);
        if (taskId == 0) return;
        _passDeadline(taskId, delay);
        network.finalize(taskId);
    }

    /// @dev Expires a late slot: a missed precommit (reassigned), a vacant slot (the task fails) or a withheld
    /// reveal (slashed).
    function expire(uint256 seed, uint256 delay) external step("expire") {
        seed = _mix(seed);
        uint256 taskId = _pickTask(seed, _isExpirable);
        if (taskId == 0) return;
        _passDeadline(taskId, delay);
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

    /// @dev Lets time pass without any action (deadlines, cooldowns, jail terms).
    function wait(uint256 seconds_) external step("wait") {
        _warp(block.timestamp + _bound(seconds_, 1, 120));
        _timeOnly = true;
    }

    // ================================================================== ADVERSARY
    /// @dev Calls a live task's functions as somebody who may not: outsiders, miners of other slots, non-validators,
    /// a router that is not the session's active router, a second commit / reveal / attestation, a wrong salt,
    /// early expiry / finalize, unauthorized submitters and session administration by non-owners.
    function wrongCaller(uint256 seed) external step("wrongCaller") {
        seed = _mix(seed);
        uint256 taskId = _pickTask(seed, _isAny);
        if (taskId == 0) return;
        TaskView memory t = network.getTask(taskId);
        Session memory s = network.getSession(t.sessionId);
        address outsider = _outsiders[seed % _outsiders.length];
        uint8 slot = uint8((seed >> 8) % t.miners.length);
        uint256 k = (seed >> 16) % 8;
        if (k == 0) {
            _tryCommit(outsider, taskId, slot, keccak256(abi.encode(seed)), "commit by an outsider");
            uint32 other = t.miners[(slot + 1) % t.miners.length];
            if (other != 0 && other != t.miners[slot]) {
                _tryCommit(_accountOf(other), taskId, slot, keccak256(abi.encode(seed)), "commit on another slot");
            }
        } else if (k == 1) {
            Work memory w = _work[taskId][slot];
            _tryReveal(outsider, taskId, slot, w.resultHash, _salt(taskId, slot), w.tokens, "reveal by an outsider");
            if (t.miners[slot] != 0) {
                address miner = _accountOf(t.miners[slot]);
                // A wrong salt or another token count does not open the commitment; a second reveal is refused.
                _tryReveal(miner, taskId, slot, w.resultHash, keccak256("wrong"), w.tokens, "reveal with a wrong salt");
                _tryReveal(miner, taskId, slot, w.resultHash, _salt(taskId, slot), w.tokens + 1, "reveal other tokens");
                if (t.revealedMask & (1 << slot) != 0 || t.droppedMask & (1 << slot) != 0) {
                    _tryReveal(miner, taskId, slot, w.resultHash, _salt(taskId, slot), w.tokens, "reveal twice");
                }
            }
            if (_batchOf[taskId][slot] != 0) {
                // The same through the slot's root batch: another account, salt, token count or result does not
                // rebuild the committed root (or name a committed batch); a second reveal is refused.
                bytes32 salt = _salt(taskId, slot);
                _tryRevealRootWith(outsider, taskId, slot, w.resultHash, salt, w.tokens, "root reveal by an outsider");
                _tryRevealRootWith(address(0), taskId, slot, w.resultHash, keccak256("wrong"), w.tokens, "root salt");
                _tryRevealRootWith(address(0), taskId, slot, w.resultHash, salt, w.tokens + 1, "root tokens");
                _tryRevealRootWith(address(0), taskId, slot, keccak256("other"), salt, w.tokens, "root result");
                if (t.revealedMask & (1 << slot) != 0 || t.droppedMask & (1 << slot) != 0) {
                    _tryRevealRoot(taskId, slot, "root reveal twice");
                }
            }
        } else if (k == 2) {
            // A miner attests (not a validator); a validator attests twice.
            uint32 miner = t.miners[slot];
            if (miner != 0 && network.nodeIdOf(_accountOf(miner)) == miner) {
                _tryAttest(_accountOf(miner), taskId, new uint16[](t.miners.length), "attest by a miner");
            }
            _tryAttest(outsider, taskId, new uint16[](t.miners.length), "attest by an outsider");
            for (uint256 i; i < t.attestations; ++i) {
                (uint32 v,) = network.getAttestation(taskId, i);
                _tryAttest(_accountOf(v), taskId, new uint16[](t.miners.length), "attest twice");
            }
        } else if (k == 3) {
            _wrongAssigner(seed, taskId, t, s, outsider);
        } else if (k == 4) {
            // Too early: the deadline has not passed (or the phase has none to expire / finalize).
            if (block.timestamp <= t.deadline) {
                _tryExpire(taskId, slot, "expire before the deadline");
                _tryFinalize(taskId, "finalize before the deadline");
            }
            _tryExpire(taskId, uint8(t.miners.length), "expire an invalid slot");
            if (t.status != TaskStatus.Validating) _tryFinalize(taskId, "finalize outside Validating");
        } else if (k == 5) {
            // A second commit by the same miner.
            if (t.miners[slot] != 0 && t.committedMask & (1 << slot) != 0) {
                _tryCommit(_accountOf(t.miners[slot]), taskId, slot, keccak256("again"), "commit twice");
            }
            // A node already on the task claims it again, or a validator claims it.
            if (s.assignment == AssignmentMode.Claim && t.miners[slot] != 0) {
                _tryClaim(_accountOf(t.miners[slot]), taskId, "claim twice");
            }
            uint32 v = _pickNode(seed, _isValidator);
            if (v != 0) _tryClaim(_accountOf(v), taskId, "claim by a validator");
        } else if (k == 6) {
            if (!network.isSubmitter(t.sessionId, outsider)) {
                vm.prank(outsider);
                try network.submitTask(t.sessionId, keccak256("p"), "bafkreiprompt", 1) {
                    _violation("adversary", "submit by an unauthorized account", taskId, 0);
                } catch {
                    _dropRevertedLogs();
                    ++refused["wrongCaller"];
                }
            }
        } else {
            _wrongSessionAdmin(t.sessionId, outsider);
        }
    }

    /// @dev Calls a live task's phase function after its deadline: claim, commit, reveal, attest must all revert.
    function lateCall(uint256 seed, uint256 delay) external step("lateCall") {
        seed = _mix(seed);
        uint256 taskId = _pickTask(seed, _isAny);
        if (taskId == 0) return;
        TaskView memory t = network.getTask(taskId);
        (uint8 slot, address miner) = t.status == TaskStatus.Revealing
            ? _slotWhere(taskId, t, seed >> 128, _canRevealAny)
            : _slotWhere(taskId, t, seed >> 128, _canCommit);
        uint32 v = _pickNode(seed, _isActiveValidator);
        _passDeadline(taskId, delay);
        if (t.status == TaskStatus.Revealing && miner != address(0)) {
            Work memory w = _work[taskId][slot];
            if (_batchOf[taskId][slot] != 0) {
                _tryRevealRoot(taskId, slot, "reveal after the deadline");
            } else {
                _tryReveal(
                    miner, taskId, slot, w.resultHash, _salt(taskId, slot), w.tokens, "reveal after the deadline"
                );
            }
        } else if (t.status == TaskStatus.Queued || t.status == TaskStatus.Committing) {
            if (miner != address(0)) {
                bytes32 c = _commitment(taskId, miner, keccak256(abi.encode("result", taskId)), 1, _salt(taskId, slot));
                _tryCommit(miner, taskId, slot, c, "commit after the deadline");
            }
            if (network.getSession(t.sessionId).assignment == AssignmentMode.Claim) {
                uint32 id = _pickEligible(seed, taskId, t, AssignmentMode.Claim);
                if (id != 0) _tryClaim(_accountOf(id), taskId, "claim after the deadline");
            }
        } else if (t.status == TaskStatus.Validating && v != 0 && !_attestedBy[taskId][v]) {
            uint16[] memory scores = new uint16[](t.miners.length);
            _tryAttest(_accountOf(v), taskId, scores, "attest after the deadline");
        }
    }

    /// @dev Calls every task function on a Finalized or Failed task, past its last deadline: all must revert.
    function terminalCall(uint256 seed, uint256 delay) external step("terminalCall") {
        seed = _mix(seed);
        uint256 n = _done.length;
        if (n == 0) return;
        uint256 taskId = _done[seed % n];
        TaskView memory t = network.getTask(taskId);
        _passDeadline(taskId, delay);
        uint256 r = t.miners.length;
        for (uint8 slot; slot < r; ++slot) {
            _tryExpire(taskId, slot, "expire on a terminal task");
        }
        _tryFinalize(taskId, "finalize on a terminal task");
        uint8 s = uint8((seed >> 8) % r);
        if (t.miners[s] != 0) {
            address miner = _accountOf(t.miners[s]);
            Work memory w = _work[taskId][s];
            _tryCommit(miner, taskId, s, keccak256(abi.encode(seed)), "commit on a terminal task");
            _tryReveal(miner, taskId, s, w.resultHash, _salt(taskId, s), w.tokens, "reveal on a terminal task");
            if (_batchOf[taskId][s] != 0) _tryRevealRoot(taskId, s, "reveal on a terminal task");
        }
        uint32 v = _pickNode(seed, _isActiveValidator);
        if (v != 0) _tryAttest(_accountOf(v), taskId, new uint16[](r), "attest on a terminal task");
        Session memory session = network.getSession(t.sessionId);
        if (session.assignment == AssignmentMode.Router) {
            uint32 id = _pickEligible(seed, taskId, t, AssignmentMode.Router);
            if (id != 0) {
                uint32[] memory ids = new uint32[](1);
                ids[0] = id;
                vm.prank(session.owner);
                try network.assignTask(taskId, ids) {
                    _violation("adversary", "assign on a terminal task", taskId, id);
                } catch {
                    _dropRevertedLogs();
                    ++refused["terminalCall"];
                }
            }
        } else if (session.assignment == AssignmentMode.Claim) {
            uint32 id = _pickEligible(seed, taskId, t, AssignmentMode.Claim);
            if (id != 0) _tryClaim(_accountOf(id), taskId, "claim on a terminal task");
        }
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
            if (!_eligible(taskId, t, s, id, AssignmentMode.Router) || _contains(t.miners, id) || _contains(ids, id)) {
                continue;
            }
            ids[k++] = id;
        }
        if (k < vacant) return;
        address caller = s.owner;
        if (s.routerId != 0 && (seed >> 128) & 1 == 1) {
            Node memory router = network.getNode(s.routerId);
            if (router.status == NodeStatus.Active && network.nodeIdOf(router.account) == s.routerId) {
                caller = router.account;
            }
        }
        vm.prank(caller);
        network.assignTask(taskId, ids);
    }

    function _claim(uint256 seed, uint256 taskId) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        uint32 id = _pickEligible(seed, taskId, t, AssignmentMode.Claim);
        if (id == 0) return;
        vm.prank(_accountOf(id));
        network.claimTask(taskId);
    }

    /// @dev Commits a result chosen by `kind` (see _chooseWork).
    function _commit(uint256 seed, uint256 taskId, uint256 kind) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        (uint8 slot, address miner) = _slotWhere(taskId, t, seed >> 128, _canCommit);
        if (miner == address(0)) return;
        Work memory w = _chooseWork(seed, taskId, t.maxTokens, kind);
        _work[taskId][slot] = w;
        vm.prank(miner);
        network.commit(taskId, slot, _commitment(taskId, miner, w.resultHash, w.tokens, _salt(taskId, slot)));
    }

    /// @dev Mostly the honest result, else the honest result with an inflated token count, the garbage every
    /// dishonest miner of the task agrees on (a sybil ring), a garbage of its own, or the honest result it will
    /// never reveal.
    function _chooseWork(uint256 seed, uint256 taskId, uint24 maxTokens, uint256 kind)
        internal
        pure
        returns (Work memory w)
    {
        w = Work(_honestHash(taskId), _honestTokens(taskId, maxTokens), false);
        kind %= 12;
        if (kind == 6) w.tokens = w.tokens == maxTokens ? w.tokens - 1 : w.tokens + 1;
        else if (kind == 7) w.resultHash = keccak256(abi.encode("ring", taskId));
        else if (kind == 8) (w.resultHash, w.tokens) = (keccak256(abi.encode(seed)), uint32(seed % (maxTokens + 1)));
        else if (kind == 9) w.withhold = true;
    }

    /// @dev The miner of a committable slot of `taskId` commits it and its committable slots of up to 3 other live
    /// tasks under one root (commitRoot), each entry's result chosen by its own byte of `kind`.
    function _commitRoot(uint256 seed, uint256 taskId, uint256 kind) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        (uint8 slot, address miner) = _slotWhere(taskId, t, seed >> 128, _canCommit);
        if (miner == address(0)) return;
        RootBatch storage b = _batches.push();
        b.miner = miner;
        _rootEntries(b, seed, taskId, slot);
        uint256 n = b.taskIds.length;
        b.leaves = new bytes32[](n);
        for (uint256 k; k < n; ++k) {
            (uint256 id, uint8 s) = (b.taskIds[k], b.slots[k]);
            Work memory w = _chooseWork(seed >> k, id, network.getTask(id).maxTokens, kind >> (8 * k));
            _work[id][s] = w;
            _batchOf[id][s] = _batches.length;
            b.leaves[k] = _commitment(id, miner, w.resultHash, w.tokens, _salt(id, s));
        }
        b.root = _rootOf(b.leaves);
        vm.prank(miner);
        network.commitRoot(b.taskIds, b.slots, b.root);
    }

    /// @dev The batch's list: (taskId, slot) first, then the committer's committable slot of up to 3 other tasks.
    function _rootEntries(RootBatch storage b, uint256 seed, uint256 taskId, uint8 slot) internal {
        b.taskIds.push(taskId);
        b.slots.push(slot);
        uint32 nodeId = network.nodeIdOf(b.miner);
        uint256 live = _live.length;
        for (uint256 j; j < live && b.taskIds.length < 4; ++j) {
            uint256 other = _live[_at(seed >> 64, j, live)];
            if (other == taskId || !_isCommitting(other, _taskWord(other))) continue;
            TaskView memory o = network.getTask(other);
            for (uint8 i; i < o.miners.length; ++i) {
                if (o.miners[i] == nodeId && _canCommit(other, o, i)) {
                    b.taskIds.push(other);
                    b.slots.push(i);
                    break;
                }
            }
        }
    }

    /// @dev Reveals the entries of batch `index` that the honest path may reveal now and that `mask` selects.
    function _revealBatch(uint256 index, uint256 mask) internal {
        RootBatch storage b = _batches[index];
        uint256 n = b.taskIds.length;
        bytes32[] memory leaves = new bytes32[](n);
        RootReveal[] memory reveals = new RootReveal[](n);
        uint256 m;
        for (uint256 k; k < n; ++k) {
            if (mask & (1 << k) == 0 || !_revealableNow(b, k)) {
                leaves[k] = b.leaves[k];
                continue;
            }
            Work memory w = _work[b.taskIds[k]][b.slots[k]];
            reveals[m++] = RootReveal(w.resultHash, _salt(b.taskIds[k], b.slots[k]), w.tokens, "bafkreiresult");
        }
        if (m == 0) return;
        assembly ("memory-safe") {
            mstore(reveals, m)
        }
        vm.prank(b.miner);
        network.revealRoot(b.root, b.taskIds, b.slots, leaves, reveals);
    }

    /// @dev Entry k can be revealed by the honest path now: Revealing, in time, committed and not revealed,
    /// dropped or withheld on purpose, by the current registration of its miner.
    function _revealableNow(RootBatch storage b, uint256 k) internal view returns (bool) {
        (uint256 taskId, uint8 slot) = (b.taskIds[k], b.slots[k]);
        TaskView memory t = network.getTask(taskId);
        return t.status == TaskStatus.Revealing && block.timestamp <= t.deadline && _canReveal(taskId, t, slot)
            && network.nodeIdOf(b.miner) == t.miners[slot];
    }

    /// @dev commitRoot's tree: positional, zero leaves up to a power of two, node = keccak256(left ‖ right).
    function _rootOf(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 size = 1;
        while (size < leaves.length) size <<= 1;
        bytes32[] memory level = new bytes32[](size);
        for (uint256 k; k < leaves.length; ++k) {
            level[k] = leaves[k];
        }
        for (; size > 1; size >>= 1) {
            for (uint256 i; i < size / 2; ++i) {
                level[i] = keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1]));
            }
        }
        return level[0];
    }

    /// @dev The index of (taskId, slot) in its batch.
    function _entryOf(RootBatch storage b, uint256 taskId, uint8 slot) internal view returns (uint256 k) {
        while (b.taskIds[k] != taskId || b.slots[k] != slot) ++k;
    }

    function _reveal(uint256 seed, uint256 taskId) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        (uint8 slot, address miner) = _slotWhere(taskId, t, seed >> 128, _canReveal);
        if (miner == address(0)) return;
        uint256 batch = _batchOf[taskId][slot];
        if (batch != 0) {
            // A root-committed slot: revealRoot of this entry alone, the other leaves given.
            _revealBatch(batch - 1, 1 << _entryOf(_batches[batch - 1], taskId, slot));
            return;
        }
        Work memory w = _work[taskId][slot];
        vm.prank(miner);
        network.reveal(taskId, slot, w.resultHash, _salt(taskId, slot), w.tokens, "bafkreiresult");
    }

    /// @dev An Active validator attests. Mostly honest: 10000 for the honest result, 0 for anything else. Else it
    /// deviates: its own arbitrary score per distinct result (the same score for identical results).
    function _attest(uint256 seed, uint256 taskId) internal {
        TaskView memory t = network.getTask(taskId);
        if (block.timestamp > t.deadline) return;
        uint256 count = network.nodeCount();
        bool honest = (seed >> 160) % 4 != 0;
        for (uint256 j; j < count; ++j) {
            uint32 id = uint32(1 + _at(seed, j, count));
            if (!_isActiveValidator(id) || _attestedBy[taskId][id]) continue;
            uint16[] memory scores = new uint16[](t.miners.length);
            for (uint256 i; i < scores.length; ++i) {
                if (t.revealedMask & (1 << i) == 0) continue;
                bool good = t.hashes[i] == _honestHash(taskId) && t.tokens[i] == _honestTokens(taskId, t.maxTokens);
                scores[i] = honest
                    ? (good ? 10_000 : 0)
                    : uint16(uint256(keccak256(abi.encode(seed, t.hashes[i], t.tokens[i]))) % (BPS + 1));
            }
            vm.prank(_accountOf(id));
            network.attest(taskId, scores);
            return;
        }
    }

    function _wrongAssigner(uint256 seed, uint256 taskId, TaskView memory t, Session memory s, address outsider)
        internal
    {
        uint32 id = _pickEligible(seed, taskId, t, AssignmentMode.Router);
        uint32[] memory ids = new uint32[](1);
        ids[0] = id;
        vm.prank(outsider);
        try network.assignTask(taskId, ids) {
            _violation("adversary", "assign by an outsider", taskId, id);
        } catch {
            _dropRevertedLogs();
            ++refused["wrongCaller"];
        }
        // A router that is not the session's, or the session's router while jailed or exiting.
        uint32 router = _pickRouter(seed >> 64);
        if (router == 0) return;
        Node memory n = network.getNode(router);
        if (network.nodeIdOf(n.account) != router) return;
        if (router == s.routerId && n.status == NodeStatus.Active) return;
        vm.prank(n.account);
        try network.assignTask(taskId, ids) {
            _violation("adversary", "assign by a router that is not the session's active router", taskId, router);
        } catch {
            _dropRevertedLogs();
            ++refused["wrongCaller"];
        }
    }

    function _wrongSessionAdmin(uint32 sessionId, address outsider) internal {
        vm.startPrank(outsider);
        try network.withdrawDeposit(sessionId, 1) {
            _violation("adversary", "withdrawDeposit by a non-owner", 0, 0);
        } catch {
            _dropRevertedLogs();
            ++refused["wrongCaller"];
        }
        try network.closeSession(sessionId) {
            _violation("adversary", "closeSession by a non-owner", 0, 0);
        } catch {
            _dropRevertedLogs();
            ++refused["wrongCaller"];
        }
        try network.authorizeSubmitter(sessionId, outsider, true) {
            _violation("adversary", "authorizeSubmitter by a non-owner", 0, 0);
        } catch {
            _dropRevertedLogs();
            ++refused["wrongCaller"];
        }
        try network.setSessionRouter(sessionId, 0) {
            _violation("adversary", "setSessionRouter by a non-owner", 0, 0);
        } catch {
            _dropRevertedLogs();
            ++refused["wrongCaller"];
        }
        vm.stopPrank();
        // The owner may only pick a router node.
        uint32 miner = _pickNode(uint256(uint160(outsider)), _isMiner);
        if (miner == 0) return;
        vm.prank(network.getSession(sessionId).owner);
        try network.setSessionRouter(sessionId, miner) {
            _violation("adversary", "setSessionRouter to a miner", 0, miner);
        } catch {
            _dropRevertedLogs();
            ++refused["wrongCaller"];
        }
    }

    // ------------------------------------------------------------------ attempts that must revert
    function _tryCommit(address caller, uint256 taskId, uint8 slot, bytes32 c, string memory what) internal {
        vm.prank(caller);
        try network.commit(taskId, slot, c) {
            _violation("adversary", what, taskId, slot);
        } catch {
            _dropRevertedLogs();
            ++refused[_currentAction(what)];
        }
    }

    function _tryReveal(
        address caller,
        uint256 taskId,
        uint8 slot,
        bytes32 resultHash,
        bytes32 salt,
        uint32 tokens,
        string memory what
    ) internal {
        vm.prank(caller);
        try network.reveal(taskId, slot, resultHash, salt, tokens, "bafkreiresult") {
            _violation("adversary", what, taskId, slot);
        } catch {
            _dropRevertedLogs();
            ++refused[_currentAction(what)];
        }
    }

    /// @dev revealRoot of one root-committed entry as committed, by its miner, the batch's other leaves given: must
    /// revert.
    function _tryRevealRoot(uint256 taskId, uint8 slot, string memory what) internal {
        Work memory w = _work[taskId][slot];
        _tryRevealRootWith(address(0), taskId, slot, w.resultHash, _salt(taskId, slot), w.tokens, what);
    }

    /// @dev revealRoot of one root-committed entry with the given fields, by `caller` (0: the batch's miner): must
    /// revert.
    function _tryRevealRootWith(
        address caller,
        uint256 taskId,
        uint8 slot,
        bytes32 resultHash,
        bytes32 salt,
        uint32 tokens,
        string memory what
    ) internal {
        RootBatch storage b = _batches[_batchOf[taskId][slot] - 1];
        bytes32[] memory leaves = b.leaves;
        leaves[_entryOf(b, taskId, slot)] = 0;
        RootReveal[] memory reveals = new RootReveal[](1);
        reveals[0] = RootReveal(resultHash, salt, tokens, "bafkreiresult");
        vm.prank(caller == address(0) ? b.miner : caller);
        try network.revealRoot(b.root, b.taskIds, b.slots, leaves, reveals) {
            _violation("adversary", what, taskId, slot);
        } catch {
            _dropRevertedLogs();
            ++refused[_currentAction(what)];
        }
    }

    function _tryAttest(address caller, uint256 taskId, uint16[] memory scores, string memory what) internal {
        vm.prank(caller);
        try network.attest(taskId, scores) {
            _violation("adversary", what, taskId, 0);
        } catch {
            _dropRevertedLogs();
            ++refused[_currentAction(what)];
        }
    }

    function _tryClaim(address caller, uint256 taskId, string memory what) internal {
        vm.prank(caller);
        try network.claimTask(taskId) {
            _violation("adversary", what, taskId, 0);
        } catch {
            _dropRevertedLogs();
            ++refused[_currentAction(what)];
        }
    }

    function _tryExpire(uint256 taskId, uint8 slot, string memory what) internal {
        try network.expire(taskId, slot) {
            _violation("adversary", what, taskId, slot);
        } catch {
            _dropRevertedLogs();
            ++refused[_currentAction(what)];
        }
    }

    function _tryFinalize(uint256 taskId, string memory what) internal {
        try network.finalize(taskId) {
            _violation("adversary", what, taskId, 0);
        } catch {
            _dropRevertedLogs();
            ++refused[_currentAction(what)];
        }
    }

    /// @dev Which summary line a refused attempt belongs to, from its description.
    function _currentAction(string memory what) internal pure returns (bytes32) {
        bytes memory b = bytes(what);
        bytes memory terminal = bytes("terminal task");
        bytes memory late = bytes("after the deadline");
        if (_endsWith(b, terminal)) return "terminalCall";
        if (_endsWith(b, late)) return "lateCall";
        return "wrongCaller";
    }

    /// @dev vm.recordLogs keeps the events a call emitted before it reverted: an attempt that was refused must not
    /// count as something that happened. Adversarial actions make no other network call before their attempts.
    function _dropRevertedLogs() internal {
        vm.getRecordedLogs();
    }

    // ================================================================== INTERNAL: ghost
    /// @dev Reads the network's events of one action into the ghost state and the tally.
    function _absorb(Vm.Log[] memory logs, Tally memory tally) internal {
        tally.finalized = new uint256[](logs.length);
        tally.winner = new uint256[](logs.length);
        tally.unverified = new uint256[](logs.length);
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(network) || log.topics.length == 0) continue;
            tally.changed = true;
            bytes32 sig = log.topics[0];
            // Task events carry the task id (>= 2^32) first: nothing may happen to a task once it settled.
            if (log.topics.length > 1 && _topic(log, 1) >> 32 != 0 && ghostTerminal[_topic(log, 1)] != TaskStatus.None)
            {
                _violation("terminal", "an event on a settled task", _topic(log, 1), 0);
            }
            if (sig == ITaskManager.WorkSettled.selector) _onWorkSettled(log, tally);
            else if (sig == INodeRegistry.NodeSlashed.selector) _onSlashed(log, tally);
            else if (sig == ITaskManager.TaskFinalized.selector) _onFinalized(log, tally);
            else if (sig == ITaskManager.TaskFailed.selector) _onFailed(log, tally);
            else if (sig == ITaskManager.SlotExpired.selector) _onExpired(log, tally);
            else if (sig == ITaskManager.RouterFeePaid.selector) _onRouterFee(log);
            else if (sig == INodeRegistry.RewardsWithdrawn.selector) _onRewardsWithdrawn(log);
            else if (sig == INodeRegistry.NodeRegistered.selector) _onRegistered(log);
            else if (sig == INodeRegistry.StakeAdded.selector) _onStakeAdded(log);
            else if (sig == INodeRegistry.NodeUnregistered.selector) _onUnregistered(log);
            else if (sig == ITaskManager.TaskCommitted.selector) _committedBy[_topic(log, 1)][_node(log, 2)] = true;
            else if (sig == ITaskManager.TaskRevealed.selector) _revealedBy[_topic(log, 1)][_node(log, 2)] = true;
            else if (sig == ITaskManager.Attested.selector) _onAttested(log);
            else if (sig == ITaskManager.TaskPhaseChanged.selector) _onPhase(log);
        }
    }

    function _onWorkSettled(Vm.Log memory log, Tally memory tally) internal {
        uint256 taskId = _topic(log, 1);
        uint32 nodeId = _node(log, 2);
        (uint8 slot, Outcome outcome,, uint96 payout,,) =
            abi.decode(log.data, (uint8, Outcome, uint32, uint96, uint16, uint16));
        ghostRewards[nodeId] += payout;
        if (slot == 255) {
            if (outcome == Outcome.Rejected) ++tally.deviated;
            return;
        }
        if (outcome == Outcome.Rejected) ++tally.rejected;
        if (outcome == Outcome.Unverified) _see("paid:Unverified");
        if (outcome == Outcome.Accepted || outcome == Outcome.Unverified) {
            uint256 paid = ++ghostPaidCount[taskId][nodeId];
            if (paid > ghostMaxPaidPerTask) ghostMaxPaidPerTask = paid;
            if (paid > 1) _violation("paidOnce", "a miner paid twice for one task", taskId, nodeId);
        }
    }

    function _onSlashed(Vm.Log memory log, Tally memory tally) internal {
        uint32 nodeId = _node(log, 1);
        uint256 taskId = _topic(log, 2);
        (SlashReason reason, uint96 amount, uint96 stake,) =
            abi.decode(log.data, (SlashReason, uint96, uint96, NodeStatus));
        if (amount > ghostStake[nodeId]) _violation("stakeLedger", "slashed more than the stake held", taskId, nodeId);
        else ghostStake[nodeId] -= amount;
        ++ghostSlashes[taskId][nodeId];
        _see(
            reason == SlashReason.Rejected
                ? bytes32("slashed:Rejected")
                : reason == SlashReason.Withheld ? bytes32("slashed:Withheld") : bytes32("slashed:Deviated")
        );
        Params memory p = network.params();
        uint256 bps;
        bool fault;
        if (reason == SlashReason.Rejected) {
            (bps, fault) = (p.rejectSlashBps, _revealedBy[taskId][nodeId]);
            ++tally.rejectSlashes;
            ++_verdictSlashes[taskId];
        } else if (reason == SlashReason.Withheld) {
            (bps, fault) = (p.withholdSlashBps, _committedBy[taskId][nodeId] && !_revealedBy[taskId][nodeId]);
            ++tally.withholdSlashes;
        } else {
            (bps, fault) = (p.validatorSlashBps, _attestedBy[taskId][nodeId]);
            ++tally.deviateSlashes;
            ++_verdictSlashes[taskId];
        }
        if (!fault) _violation("slashForFault", "slashed without a provable fault", taskId, nodeId);
        if (amount != (uint256(stake) + amount) * bps / BPS) {
            _violation("slashForFault", "slash amount is not the parameter's share of the stake", taskId, nodeId);
        }
    }

    function _see(bytes32 what) internal {
        if (seen[what]++ == 0) _seenNames.push(what);
    }

    function _onFinalized(Vm.Log memory log, Tally memory tally) internal {
        _see("finalized");
        uint256 taskId = _topic(log, 1);
        (uint8 winnerSlot,,, uint112 paid) = abi.decode(log.data, (uint8, uint32, bytes32, uint112));
        _settled(taskId, TaskStatus.Finalized);
        ghostPaid[uint32(_topic(log, 2))] += paid;
        tally.finalized[tally.nFinalized] = taskId;
        tally.winner[tally.nFinalized++] = winnerSlot;
    }

    function _onFailed(Vm.Log memory log, Tally memory tally) internal {
        uint256 taskId = _topic(log, 1);
        (FailReason reason, uint112 paid) = abi.decode(log.data, (FailReason, uint112));
        bytes32[6] memory names = [
            bytes32("failed:NoMiners"),
            "failed:RetriesExhausted",
            "failed:NoResults",
            "failed:NoMajority",
            "failed:NoQuorum",
            "failed:AllRejected"
        ];
        _see(names[uint8(reason)]);
        _settled(taskId, TaskStatus.Failed);
        ghostPaid[uint32(_topic(log, 2))] += paid;
        if (reason == FailReason.NoMajority || reason == FailReason.NoQuorum) {
            tally.unverified[tally.nUnverified++] = taskId;
        }
    }

    function _onExpired(Vm.Log memory log, Tally memory tally) internal {
        (, TaskStatus phase) = abi.decode(log.data, (uint8, TaskStatus));
        if (phase == TaskStatus.Revealing) ++tally.withheld;
        else _timedOutOn[_topic(log, 1)][_node(log, 2)] = true;
    }

    /// @dev The router fee goes to the router that assigned the task, and only while it is Active.
    function _onAttested(Vm.Log memory log) internal {
        _attestedBy[_topic(log, 1)][_node(log, 2)] = true;
        _see("attested");
    }

    function _onPhase(Vm.Log memory log) internal {
        (TaskStatus status,) = abi.decode(log.data, (TaskStatus, uint40));
        if (status == TaskStatus.Validating) _see("toValidating");
    }

    function _onRouterFee(Vm.Log memory log) internal {
        _see("routerFeePaid");
        uint256 taskId = _topic(log, 1);
        uint32 routerId = _node(log, 2);
        ghostRewards[routerId] += abi.decode(log.data, (uint96));
        if (uint32(_taskWord(taskId).miners >> 224) != routerId) {
            _violation("paidOnce", "router fee to a router that did not assign the task", taskId, routerId);
        }
        if (_nodeWord(routerId).status != NodeStatus.Active) {
            _violation("paidOnce", "router fee to a router that is not active", taskId, routerId);
        }
    }

    function _onRewardsWithdrawn(Vm.Log memory log) internal {
        uint32 nodeId = _node(log, 1);
        uint96 amount = abi.decode(log.data, (uint96));
        if (amount > ghostRewards[nodeId]) _violation("paidOnce", "withdrew more rewards than credited", 0, nodeId);
        else ghostRewards[nodeId] -= amount;
    }

    function _onRegistered(Vm.Log memory log) internal {
        (, uint96 stake) = abi.decode(log.data, (Role, uint96));
        ghostStake[_node(log, 1)] = stake;
    }

    function _onStakeAdded(Vm.Log memory log) internal {
        (uint96 amount,) = abi.decode(log.data, (uint96, uint96));
        ghostStake[_node(log, 1)] += amount;
    }

    function _onUnregistered(Vm.Log memory log) internal {
        uint32 nodeId = _node(log, 1);
        if (abi.decode(log.data, (uint96)) != ghostStake[nodeId]) {
            _violation("stakeLedger", "withdrawn stake is not the stake held", 0, nodeId);
        }
        ghostStake[nodeId] = 0;
    }

    function _settled(uint256 taskId, TaskStatus status) internal {
        if (ghostTerminal[taskId] != TaskStatus.None) {
            _violation("terminal", "a task settled twice", taskId, 0);
            return;
        }
        ghostTerminal[taskId] = status;
        _done.push(taskId);
        uint256 n = _live.length;
        for (uint256 i; i < n; ++i) {
            if (_live[i] != taskId) continue;
            _live[i] = _live[n - 1];
            _live.pop();
            return;
        }
    }

    /// @dev After an action: every provable fault was slashed the parameter's share and nothing else was; a result
    /// equal to the accepted one was paid once and never slashed; a task without a verdict slashed nobody for its
    /// result and paid every revealed result.
    function _check(Tally memory tally) internal {
        Params memory p = network.params();
        if (tally.rejectSlashes != (p.rejectSlashBps == 0 ? 0 : tally.rejected)) {
            _violation("slashForFault", "a rejected result was not slashed", 0, 0);
        }
        if (tally.withholdSlashes != (p.withholdSlashBps == 0 ? 0 : tally.withheld)) {
            _violation("slashForFault", "a withheld reveal was not slashed", 0, 0);
        }
        if (tally.deviateSlashes != (p.validatorSlashBps == 0 ? 0 : tally.deviated)) {
            _violation("slashForFault", "a deviating attestation was not slashed", 0, 0);
        }
        for (uint256 i; i < tally.nFinalized; ++i) {
            _checkAccepted(tally.finalized[i], uint8(tally.winner[i]));
        }
        for (uint256 i; i < tally.nUnverified; ++i) {
            _checkUnverified(tally.unverified[i]);
        }
    }

    function _checkAccepted(uint256 taskId, uint8 winner) internal {
        TaskView memory t = network.getTask(taskId);
        for (uint256 i; i < t.miners.length; ++i) {
            if (t.revealedMask & (1 << i) == 0) continue;
            if (t.hashes[i] != t.hashes[winner] || t.tokens[i] != t.tokens[winner]) continue;
            uint32 id = t.miners[i];
            if (ghostSlashes[taskId][id] != 0) {
                _violation("acceptedNeverSlashed", "revealed the accepted result", taskId, id);
            }
            if (ghostPaidCount[taskId][id] != 1) {
                _violation("acceptedNeverSlashed", "accepted result unpaid", taskId, id);
            }
        }
    }

    function _checkUnverified(uint256 taskId) internal {
        TaskView memory t = network.getTask(taskId);
        if (_verdictSlashes[taskId] != 0) _violation("acceptedNeverSlashed", "slash without a verdict", taskId, 0);
        for (uint256 i; i < t.miners.length; ++i) {
            if (t.revealedMask & (1 << i) == 0) continue;
            uint32 id = t.miners[i];
            if (ghostPaidCount[taskId][id] != 1) {
                _violation("acceptedNeverSlashed", "revealed result unpaid", taskId, id);
            }
        }
    }

    function _violation(bytes32 property, string memory what, uint256 taskId, uint256 id) internal {
        ++violationCount;
        if (_violations[property]++ != 0) return;
        _violated.push(property);
        _firstWhat[property] = string.concat(what, " (task ", vm.toString(taskId), ", node/slot ", vm.toString(id), ")");
    }

    // ================================================================== INTERNAL: picking
    function _fund(address account, uint256 amount) internal {
        token.transfer(account, amount);
        vm.prank(account);
        token.approve(address(network), type(uint256).max);
    }

    /// @dev Moves time (and the block, whose hash seeds the fast-path audit).
    function _warp(uint256 timestamp) internal {
        vm.warp(timestamp);
        vm.roll(block.number + 1);
    }

    function _passDeadline(uint256 taskId, uint256 delay) internal {
        uint40 deadline = _taskWord(taskId).deadline;
        if (block.timestamp <= deadline) _warp(uint256(deadline) + 1 + _bound(delay, 0, 100));
    }

    /// @dev The fuzzer favours small numbers (dictionary values): decisions read high bits of a hashed seed.
    function _mix(uint256 seed) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed)));
    }

    /// @dev The j-th candidate after a random start, wrapping around n.
    function _at(uint256 seed, uint256 j, uint256 n) internal pure returns (uint256) {
        return (seed % n + j) % n;
    }

    function _salt(uint256 taskId, uint8 slot) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", taskId, slot));
    }

    function _commitment(uint256 taskId, address miner, bytes32 resultHash, uint32 tokens, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, miner, resultHash, tokens, salt));
    }

    function _honestHash(uint256 taskId) internal pure returns (bytes32) {
        return keccak256(abi.encode("result", taskId));
    }

    function _honestTokens(uint256 taskId, uint24 maxTokens) internal pure returns (uint32) {
        return uint32(1 + uint256(keccak256(abi.encode("tokens", taskId))) % maxTokens);
    }

    function _sessionOf(uint256 taskId) internal pure returns (uint32) {
        return uint32(taskId >> 32);
    }

    function _accountOf(uint32 id) internal view returns (address) {
        return network.getNode(id).account;
    }

    function _minStake(Role role) internal view returns (uint96) {
        Params memory p = network.params();
        if (role == Role.Miner) return p.minStakeMiner;
        if (role == Role.Router) return p.minStakeRouter;
        return p.minStakeValidator;
    }

    function _offer(uint256 seed) internal pure returns (Offer memory o) {
        uint96[5] memory prices = [uint96(0), 1e9, 1e11, 1e12, 1e13];
        uint16[6] memory capacities = [uint16(0), 1, 2, 3, 5, 1_000];
        o.minPrice = prices[seed % 5];
        o.capacity = capacities[(seed >> 8) % 6];
        o.modes = (seed >> 16) % 2 == 0 ? 7 : uint8(seed >> 24) & 7;
    }

    /// @dev Parameters within every bound of setParams.
    function _randomParams(uint256 seed) internal view returns (Params memory p) {
        p = network.params();
        uint256 x = uint256(keccak256(abi.encode(seed)));
        p.minStakeMiner = uint96(_bound(x, 50 ether, 300 ether));
        p.minStakeRouter = uint96(_bound(x >> 8, 50 ether, 300 ether));
        p.minStakeValidator = uint96(_bound(x >> 16, 50 ether, 300 ether));
        p.unstakeCooldown = uint32(_bound(x >> 24, 0, 600));
        p.protocolFeeBps = uint16(_bound(x >> 40, 1, 1_000));
        p.validatorFeeBps = uint16(_bound(x >> 56, 0, 1_000));
        p.routerFeeBps = uint16(_bound(x >> 72, 0, 500));
        p.rejectSlashBps = uint16(_bound(x >> 88, 0, 5_000));
        p.withholdSlashBps = uint16(_bound(x >> 104, p.rejectSlashBps, 5_000));
        p.validatorSlashBps = uint16(_bound(x >> 120, 0, 5_000));
        p.attestDeviationBps = uint16(_bound(x >> 136, 0, 3_000));
        uint16[3] memory audits = [uint16(0), 5_000, 10_000];
        p.auditBps = audits[(x >> 152) % 3];
        p.embeddingBarBps = uint16(_bound(x >> 160, 5_000, 10_000));
        p.replayBarBps = uint16(_bound(x >> 176, 5_000, 10_000));
        p.minPricePerToken = uint96(_bound(x >> 192, 1, 1e10));
        p.reputationFeeUnit = uint96(_bound(x >> 200, 0, 20 ether));
        p.minQuorum = (x >> 240) % 3 == 0 ? 3 : 1;
        p.maxRetryLimit = uint8(_bound(x >> 248, 0, 7));
    }

    function _pickAccount(uint256 seed) internal view returns (address) {
        uint256 n = _accounts.length;
        for (uint256 j; j < n; ++j) {
            address a = _accounts[_at(seed, j, n)];
            if (network.nodeIdOf(a) == 0) return a;
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

    /// @dev A node with the router role (in any status).
    function _pickRouter(uint256 seed) internal view returns (uint32) {
        return _pickNode(seed, _isRouter);
    }

    function _pickSession(uint256 seed, bool open) internal view returns (uint32) {
        uint256 n = _sessions.length;
        for (uint256 j; j < n; ++j) {
            uint32 id = _sessions[_at(seed, j, n)];
            if (!open || network.getSession(id).status == SessionStatus.Open) return id;
        }
        return 0;
    }

    function _pickTask(uint256 seed, function(uint256, TaskWord memory) view returns (bool) ok)
        internal
        view
        returns (uint256)
    {
        uint256 n = _live.length;
        for (uint256 j; j < n; ++j) {
            uint256 id = _live[_at(seed, j, n)];
            if (ok(id, _taskWord(id))) return id;
        }
        return 0;
    }

    /// @dev A miner that _take would accept for `mode` and that is not on the task yet.
    function _pickEligible(uint256 seed, uint256 taskId, TaskView memory t, AssignmentMode mode)
        internal
        view
        returns (uint32)
    {
        Session memory s = network.getSession(t.sessionId);
        uint256 count = network.nodeCount();
        for (uint256 j; j < count; ++j) {
            uint32 id = uint32(1 + _at(seed, j, count));
            if (_eligible(taskId, t, s, id, mode) && !_contains(t.miners, id)) return id;
        }
        return 0;
    }

    /// @dev A slot satisfying `ok`, and the account of its miner's current registration (zero if none).
    function _slotWhere(
        uint256 taskId,
        TaskView memory t,
        uint256 seed,
        function(uint256, TaskView memory, uint8) view returns (bool) ok
    ) internal view returns (uint8 slot, address miner) {
        uint256 r = t.miners.length;
        for (uint256 j; j < r; ++j) {
            slot = uint8(_at(seed, j, r));
            uint32 id = t.miners[slot];
            if (id == 0 || !ok(taskId, t, slot)) continue;
            address account = network.getNode(id).account;
            if (network.nodeIdOf(account) == id) return (slot, account);
        }
        return (0, address(0));
    }

    function _dedicated(uint256 seed, uint8 r) internal view returns (uint32[] memory ids) {
        uint256 n = network.nodeCount();
        uint256 want = _bound(seed, r, r + 2);
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

    /// @dev How many of the session's dedicated miners _assignDedicated would take at submit.
    function _eligibleDedicated(Session memory s) internal view returns (uint256 count) {
        TaskView memory none;
        for (uint256 i; i < 7; ++i) {
            uint32 id = uint32(s.dedicated >> (32 * i));
            if (id == 0) break;
            if (_eligible(0, none, s, id, AssignmentMode.Dedicated)) ++count;
        }
    }

    /// @dev Mirror of CorNetwork._take: Active, serving the model, reputation, offer (price, mode, capacity), and
    /// not timed out on this task before (once the task has been retried).
    function _eligible(uint256 taskId, TaskView memory t, Session memory s, uint32 id, AssignmentMode mode)
        internal
        view
        returns (bool)
    {
        if (id == 0) return false;
        Node memory n = network.getNode(id);
        return n.status == NodeStatus.Active && network.servesModel(id, s.modelId) && n.score >= s.minReputation
            && s.pricePerToken >= n.offer.minPrice && n.offer.modes & (1 << uint8(mode)) != 0
            && n.open < n.offer.capacity && !(t.retries != 0 && _timedOutOn[taskId][id]);
    }

    function _contains(uint32[] memory ids, uint32 id) internal pure returns (bool) {
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == id) return true;
        }
        return false;
    }

    function _topic(Vm.Log memory log, uint256 i) internal pure returns (uint256) {
        return uint256(log.topics[i]);
    }

    function _node(Vm.Log memory log, uint256 i) internal pure returns (uint32) {
        return uint32(uint256(log.topics[i]));
    }

    function _str(bytes32 name) internal pure returns (string memory) {
        uint256 len;
        while (len < 32 && name[len] != 0) ++len;
        bytes memory b = new bytes(len);
        for (uint256 i; i < len; ++i) {
            b[i] = name[i];
        }
        return string(b);
    }

    function _pad(string memory s, uint256 width) internal pure returns (string memory) {
        bytes memory b = bytes(s);
        if (b.length >= width) return s;
        bytes memory out = new bytes(width);
        for (uint256 i; i < width; ++i) {
            out[i] = i < b.length ? b[i] : bytes1(" ");
        }
        return string(out);
    }

    function _endsWith(bytes memory b, bytes memory suffix) internal pure returns (bool) {
        if (b.length < suffix.length) return false;
        uint256 offset = b.length - suffix.length;
        for (uint256 i; i < suffix.length; ++i) {
            if (b[offset + i] != suffix[i]) return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ predicates
    function _canExit(uint32 id) internal view returns (bool) {
        NodeStatus status = network.getNode(id).status;
        return status == NodeStatus.Active || status == NodeStatus.Jailed;
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

    function _isCurrentNode(uint32 id) internal view returns (bool) {
        return network.getNode(id).status != NodeStatus.Unregistered;
    }

    function _isRouter(uint32 id) internal view returns (bool) {
        return network.getNode(id).role == Role.Router;
    }

    function _isMiner(uint32 id) internal view returns (bool) {
        return network.getNode(id).role == Role.Miner;
    }

    function _isValidator(uint32 id) internal view returns (bool) {
        Node memory n = network.getNode(id);
        return n.role == Role.Validator && n.status != NodeStatus.Unregistered;
    }

    function _isActiveValidator(uint32 id) internal view returns (bool) {
        Node memory n = network.getNode(id);
        return n.role == Role.Validator && n.status == NodeStatus.Active;
    }

    function _isAny(uint256, TaskWord memory) internal pure returns (bool) {
        return true;
    }

    function _isRouterQueued(uint256 taskId, TaskWord memory t) internal view returns (bool) {
        return t.status == TaskStatus.Queued && _sessionMode(_sessionOf(taskId)) == uint8(AssignmentMode.Router);
    }

    function _isClaimable(uint256 taskId, TaskWord memory t) internal view returns (bool) {
        return t.status == TaskStatus.Queued && block.timestamp <= t.deadline
            && _sessionMode(_sessionOf(taskId)) == uint8(AssignmentMode.Claim);
    }

    function _isCommitting(uint256, TaskWord memory t) internal view returns (bool) {
        return (t.status == TaskStatus.Queued || t.status == TaskStatus.Committing) && block.timestamp <= t.deadline;
    }

    function _isRevealing(uint256, TaskWord memory t) internal view returns (bool) {
        return t.status == TaskStatus.Revealing && block.timestamp <= t.deadline;
    }

    function _isAttestable(uint256, TaskWord memory t) internal view returns (bool) {
        return t.status == TaskStatus.Validating && block.timestamp <= t.deadline;
    }

    function _isAdvanceable(uint256 taskId, TaskWord memory t) internal view returns (bool) {
        return block.timestamp <= t.deadline
            || (t.status == TaskStatus.Queued && _sessionMode(_sessionOf(taskId)) == uint8(AssignmentMode.Router));
    }

    function _isValidating(uint256, TaskWord memory t) internal pure returns (bool) {
        return t.status == TaskStatus.Validating;
    }

    function _isExpirable(uint256, TaskWord memory t) internal pure returns (bool) {
        return t.status == TaskStatus.Queued || t.status == TaskStatus.Committing || t.status == TaskStatus.Revealing;
    }

    function _canCommit(uint256, TaskView memory t, uint8 slot) internal pure returns (bool) {
        return t.committedMask & (1 << slot) == 0;
    }

    /// @dev Revealable by the honest path: committed, not revealed, not dropped, not withheld on purpose.
    function _canReveal(uint256 taskId, TaskView memory t, uint8 slot) internal view returns (bool) {
        return _canRevealAny(taskId, t, slot) && !_work[taskId][slot].withhold;
    }

    function _canRevealAny(uint256, TaskView memory t, uint8 slot) internal pure returns (bool) {
        return (t.committedMask & ~(t.revealedMask | t.droppedMask)) & (1 << slot) != 0;
    }
}
