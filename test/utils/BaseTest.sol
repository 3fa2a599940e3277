// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {CORToken} from "../../contracts/CORToken.sol";
import {ICorNetwork} from "../../contracts/interfaces/ICorNetwork.sol";
import {
    AssignmentMode,
    Node,
    Offer,
    Params,
    Role,
    RootReveal,
    Session,
    SessionConfig,
    TaskStatus,
    TaskView,
    ValidationMode
} from "../../contracts/types/Types.sol";
import {Deploy} from "../../script/lib/Deploy.sol";

/// @notice Deploys everything through the same Deploy library as the scripts, funds actors and offers
/// lifecycle helpers. Every test contract inherits it.
abstract contract BaseTest is Test {
    bytes32 internal constant MODEL = keccak256("stories260K");
    uint96 internal constant STAKE = 1_000 ether;
    uint96 internal constant PRICE = 1e12; // COR wei per output token
    uint24 internal constant MAX_TOKENS = 256;

    CORToken internal token;
    ICorNetwork internal network;
    Params internal params;

    address internal owner = makeAddr("owner");
    address internal client = makeAddr("client");
    address internal routerAccount = makeAddr("router");
    address[] internal minerAccounts;
    address[] internal validatorAccounts;
    uint32[] internal minerIds;
    uint32[] internal validatorIds;
    uint32 internal routerId;

    function setUp() public virtual {
        params = Deploy.defaultParams();
        // Unit tests settle agreeing results on the fast path deterministically; the audit sample is tested in
        // test/attacks/SybilRing.t.sol.
        params.auditBps = 0;
        (token, network) = Deploy.deploy(owner, address(this), params);
        vm.prank(owner);
        network.registerModel(MODEL, "stories260K", "hf:ggml-org/models/tinyllamas/stories260K.gguf");

        _fund(client, 1_000_000 ether);
        for (uint256 i; i < 7; ++i) {
            address miner = makeAddr(string.concat("miner", vm.toString(i)));
            minerAccounts.push(miner);
            _fund(miner, 10_000 ether);
            minerIds.push(_register(miner, Role.Miner));
        }
        for (uint256 i; i < 3; ++i) {
            address validator = makeAddr(string.concat("validator", vm.toString(i)));
            validatorAccounts.push(validator);
            _fund(validator, 10_000 ether);
            validatorIds.push(_register(validator, Role.Validator));
        }
        _fund(routerAccount, 10_000 ether);
        routerId = _register(routerAccount, Role.Router);
    }

    // ------------------------------------------------------------------ setup helpers
    function _fund(address account, uint256 amount) internal {
        token.transfer(account, amount);
        vm.prank(account);
        token.approve(address(network), type(uint256).max);
    }

    function _register(address account, Role role) internal returns (uint32 nodeId) {
        bytes32[] memory models = new bytes32[](role == Role.Miner ? 1 : 0);
        if (role == Role.Miner) models[0] = MODEL;
        vm.prank(account);
        nodeId = network.register(role, STAKE, models, keccak256(abi.encode(account)), "http://127.0.0.1:0", _offer());
    }

    /// @dev An offer that covers every session of the tests: any price, every mode, room for many tasks.
    function _offer() internal pure returns (Offer memory) {
        return Offer({minPrice: 0, capacity: 1_000, modes: 7});
    }

    function _config(uint8 r, ValidationMode validation, AssignmentMode assignment)
        internal
        view
        returns (SessionConfig memory c)
    {
        c.modelId = MODEL;
        c.redundancy = r;
        c.validation = validation;
        c.assignment = assignment;
        c.pricePerToken = PRICE;
        c.maxTokens = MAX_TOKENS;
        c.quorum = 1;
        c.retryLimit = 2;
        c.precommitWindow = 60;
        c.revealWindow = 60;
        c.attestWindow = 60;
        c.routerId = assignment == AssignmentMode.Router ? routerId : 0;
        if (assignment == AssignmentMode.Dedicated) {
            c.dedicatedMiners = new uint32[](r);
            for (uint256 i; i < r; ++i) {
                c.dedicatedMiners[i] = minerIds[i];
            }
        }
    }

    function _openSession(SessionConfig memory c, uint112 amount) internal returns (uint32 sessionId) {
        vm.prank(client);
        sessionId = network.createSession(c, amount);
    }

    function _submit(uint32 sessionId) internal returns (uint256 taskId) {
        vm.prank(client);
        taskId = network.submitTask(sessionId, keccak256("prompt"), "bafkreiprompt", MAX_TOKENS);
    }

    function _firstMiners(uint256 r) internal view returns (uint32[] memory ids) {
        ids = new uint32[](r);
        for (uint256 i; i < r; ++i) {
            ids[i] = minerIds[i];
        }
    }

    function _assign(uint256 taskId, uint32[] memory ids) internal {
        vm.prank(routerAccount);
        network.assignTask(taskId, ids);
    }

    function _accountOf(uint32 nodeId) internal view returns (address) {
        return network.getNode(nodeId).account;
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

    /// @dev Root of commitRoot's tree: positional binary tree over `leaves`, padded with zero leaves to a power of
    /// two, node = keccak256(left ‖ right). Written independently of the contract (plain recursion on halves).
    function _rootOf(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 size = 1;
        while (size < leaves.length) size <<= 1;
        return _subRoot(leaves, 0, size);
    }

    function _subRoot(bytes32[] memory leaves, uint256 from, uint256 width) private pure returns (bytes32) {
        if (width == 1) return from < leaves.length ? leaves[from] : bytes32(0);
        return
            keccak256(
                abi.encodePacked(_subRoot(leaves, from, width / 2), _subRoot(leaves, from + width / 2, width / 2))
            );
    }

    /// @dev Commitments of `miner` for entries (taskIds[k], slots[k]) with result `results[k]` and `tokens`.
    function _rootLeaves(
        address miner,
        uint256[] memory taskIds,
        uint8[] memory slots,
        bytes32[] memory results,
        uint32 tokens
    ) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](taskIds.length);
        for (uint256 k; k < taskIds.length; ++k) {
            leaves[k] = _commitment(taskIds[k], miner, results[k], tokens, _salt(taskIds[k], slots[k]));
        }
    }

    /// @dev commitRoot by `miner` over the entries; returns the root.
    function _commitRoot(
        address miner,
        uint256[] memory taskIds,
        uint8[] memory slots,
        bytes32[] memory results,
        uint32 tokens
    ) internal returns (bytes32 root) {
        root = _rootOf(_rootLeaves(miner, taskIds, slots, results, tokens));
        vm.prank(miner);
        network.commitRoot(taskIds, slots, root);
    }

    /// @dev The reveals of the entries whose bit is set in `mask`, in list order, and the leaves argument for them
    /// (empty when `mask` covers every entry).
    function _rootReveals(
        address miner,
        uint256[] memory taskIds,
        uint8[] memory slots,
        bytes32[] memory results,
        uint32 tokens,
        uint256 mask
    ) internal pure returns (bytes32[] memory leaves, RootReveal[] memory reveals) {
        uint256 n = taskIds.length;
        bool all = mask & ((1 << n) - 1) == (1 << n) - 1;
        bytes32[] memory commitments = _rootLeaves(miner, taskIds, slots, results, tokens);
        leaves = new bytes32[](all ? 0 : n);
        uint256 m;
        for (uint256 k; k < n; ++k) {
            if (mask & (1 << k) != 0) ++m;
        }
        reveals = new RootReveal[](m);
        m = 0;
        for (uint256 k; k < n; ++k) {
            if (mask & (1 << k) == 0) {
                leaves[k] = commitments[k];
                continue;
            }
            reveals[m++] = RootReveal(results[k], _salt(taskIds[k], slots[k]), tokens, "bafkreiresult");
        }
    }

    /// @dev revealRoot by `miner` of the entries in `mask`, against the root of the same entries.
    function _revealRoot(
        address miner,
        uint256[] memory taskIds,
        uint8[] memory slots,
        bytes32[] memory results,
        uint32 tokens,
        uint256 mask
    ) internal {
        bytes32 root = _rootOf(_rootLeaves(miner, taskIds, slots, results, tokens));
        (bytes32[] memory leaves, RootReveal[] memory reveals) =
            _rootReveals(miner, taskIds, slots, results, tokens, mask);
        vm.prank(miner);
        network.revealRoot(root, taskIds, slots, leaves, reveals);
    }

    function _fill8(uint256 n, uint8 v) internal pure returns (uint8[] memory a) {
        a = new uint8[](n);
        for (uint256 k; k < n; ++k) {
            a[k] = v;
        }
    }

    function _fill32(uint256 n, bytes32 v) internal pure returns (bytes32[] memory a) {
        a = new bytes32[](n);
        for (uint256 k; k < n; ++k) {
            a[k] = v;
        }
    }

    /// @dev Commits `resultHash` with `tokens` output tokens for `slot`.
    function _commit(uint256 taskId, uint8 slot, bytes32 resultHash, uint32 tokens) internal {
        address miner = _accountOf(network.getTask(taskId).miners[slot]);
        vm.prank(miner);
        network.commit(taskId, slot, _commitment(taskId, miner, resultHash, tokens, _salt(taskId, slot)));
    }

    function _reveal(uint256 taskId, uint8 slot, bytes32 resultHash, uint32 tokens) internal {
        address miner = _accountOf(network.getTask(taskId).miners[slot]);
        vm.prank(miner);
        network.reveal(taskId, slot, resultHash, _salt(taskId, slot), tokens, "bafkreiresult");
    }

    /// @dev Reveal by `minerAccounts[slot]` without any view call first (safe right after vm.expectRevert).
    function _revealFirst(uint256 taskId, uint8 slot, bytes32 resultHash, uint32 tokens) internal {
        vm.prank(minerAccounts[slot]);
        network.reveal(taskId, slot, resultHash, _salt(taskId, slot), tokens, "bafkreiresult");
    }

    /// @dev Commits and reveals `hashes[i]` with `tokens` for every slot.
    function _commitRevealAll(uint256 taskId, bytes32[] memory hashes, uint32 tokens) internal {
        for (uint8 i; i < hashes.length; ++i) {
            _commit(taskId, i, hashes[i], tokens);
        }
        for (uint8 i; i < hashes.length; ++i) {
            _reveal(taskId, i, hashes[i], tokens);
        }
    }

    function _same(uint256 r, bytes32 h) internal pure returns (bytes32[] memory hashes) {
        hashes = new bytes32[](r);
        for (uint256 i; i < r; ++i) {
            hashes[i] = h;
        }
    }

    function _status(uint256 taskId) internal view returns (TaskStatus) {
        return network.getTask(taskId).status;
    }

    // ------------------------------------------------------------------ lifecycle helpers
    uint112 internal constant DEPOSIT = 1_000 ether;

    /// @dev Opens a session of the client with DEPOSIT.
    function _session(uint8 r, ValidationMode validation, AssignmentMode assignment) internal returns (uint32) {
        return _openSession(_config(r, validation, assignment), DEPOSIT);
    }

    /// @dev A Router-mode task of a fresh session, assigned to the first `r` miners (status Committing).
    function _assignedTask(uint8 r, ValidationMode validation) internal returns (uint256 taskId) {
        taskId = _submit(_session(r, validation, AssignmentMode.Router));
        _assign(taskId, _firstMiners(r));
    }

    /// @dev An assigned task whose every slot committed `hashes[i]` with `tokens` (status Revealing).
    function _revealingTask(bytes32[] memory hashes, ValidationMode validation, uint32 tokens)
        internal
        returns (uint256 taskId)
    {
        taskId = _assignedTask(uint8(hashes.length), validation);
        for (uint8 i; i < hashes.length; ++i) {
            _commit(taskId, i, hashes[i], tokens);
        }
    }

    function _attest(uint256 validator, uint256 taskId, uint16[] memory scores) internal {
        vm.prank(validatorAccounts[validator]);
        network.attest(taskId, scores);
    }

    function _scores(uint16 a, uint16 b, uint16 c) internal pure returns (uint16[] memory scores) {
        scores = new uint16[](3);
        (scores[0], scores[1], scores[2]) = (a, b, c);
    }

    function _hashes3(bytes32 a, bytes32 b, bytes32 c) internal pure returns (bytes32[] memory hashes) {
        hashes = new bytes32[](3);
        (hashes[0], hashes[1], hashes[2]) = (a, b, c);
    }

    function _ids(uint32 a) internal pure returns (uint32[] memory ids) {
        ids = new uint32[](1);
        ids[0] = a;
    }

    function _node(uint32 nodeId) internal view returns (Node memory) {
        return network.getNode(nodeId);
    }

    function _sessionOf(uint32 sessionId) internal view returns (Session memory) {
        return network.getSession(sessionId);
    }

    function _setParams(Params memory p) internal {
        vm.prank(owner);
        network.setParams(p);
    }

    /// @dev What an accepted miner is credited for `tokens` at PRICE with `feeBps` of fees.
    function _net(uint256 tokens, uint256 feeBps) internal pure returns (uint256) {
        return tokens * PRICE * (10_000 - feeBps) / 10_000;
    }

    function _assertConserved() internal view {
        assertEq(token.balanceOf(address(network)), _owed(network.sessionCount(), network.nodeCount()), "conserved");
    }

    /// @dev COR the protocol owes: must always equal token.balanceOf(network).
    function _owed(uint32 sessions, uint32 nodes) internal view returns (uint256 total) {
        for (uint32 s = 1; s <= sessions; ++s) {
            Session memory session = network.getSession(s);
            total += uint256(session.deposit) + session.escrowed;
        }
        for (uint32 n = 1; n <= nodes; ++n) {
            Node memory node = network.getNode(n);
            total += uint256(node.stake) + node.rewards;
        }
        total += network.protocolFees();
    }
}
