// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISessionManager} from "../contracts/interfaces/ISessionManager.sol";
import {ITaskManager} from "../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    Offer,
    Params,
    SessionConfig,
    TaskStatus,
    TaskView,
    ValidationMode
} from "../contracts/types/Types.sol";
import {BaseTest} from "./utils/BaseTest.sol";

/// @notice Property tests over random configurations: escrow, conservation of COR through settlement, commitment
/// binding, majority and median settlement. Inputs are bounded, never assumed.
contract CorNetworkFuzzTest is BaseTest {
    function _fees(uint256 protocolFee, uint256 validatorFee, uint256 routerFee) internal returns (Params memory p) {
        p = params;
        p.protocolFeeBps = uint16(bound(protocolFee, 1, 1_000)); // every settled task pays a protocol fee
        p.routerFeeBps = uint16(bound(routerFee, 0, 1_000));
        uint256 room = 2_500 - uint256(p.protocolFeeBps) - p.routerFeeBps;
        p.validatorFeeBps = uint16(bound(validatorFee, 0, room < 1_000 ? room : 1_000));
        _setParams(p);
    }

    /// @dev A Router-mode session of R miners at `price`, funded with exactly one task's escrow plus `extra`.
    function _pricedTask(uint8 r, uint96 price, uint24 maxTokens, ValidationMode mode, uint256 extra)
        internal
        returns (uint256 taskId, uint256 escrow)
    {
        SessionConfig memory c = _config(r, mode, AssignmentMode.Router);
        c.pricePerToken = price;
        c.maxTokens = maxTokens;
        c.quorum = 3;
        escrow = uint256(r) * maxTokens * price;
        uint32 sessionId = _openSession(c, uint112(escrow + extra));
        vm.prank(client);
        taskId = network.submitTask(sessionId, keccak256("prompt"), "cid", maxTokens);
        _assign(taskId, _firstMiners(r));
    }

    // ================================================================== escrow
    function testFuzz_submit_escrowsExactly(uint8 r, uint96 price, uint24 sessionMax, uint24 maxTokens, uint256 extra)
        public
    {
        r = uint8(bound(r, 1, 7));
        price = uint96(bound(price, params.minPricePerToken, 1e17)); // escrow ≤ 7 × 2^20 × 1e17 < the client's 1e24
        sessionMax = uint24(bound(sessionMax, 1, 1 << 20));
        maxTokens = uint24(bound(maxTokens, 1, sessionMax));
        extra = bound(extra, 0, 1_000 ether);
        SessionConfig memory c = _config(r, ValidationMode.ExactMatch, AssignmentMode.Claim);
        (c.pricePerToken, c.maxTokens) = (price, sessionMax);
        uint256 escrow = uint256(r) * maxTokens * price;
        uint32 sessionId = _openSession(c, uint112(escrow + extra));

        vm.prank(client);
        uint256 taskId = network.submitTask(sessionId, keccak256("p"), "cid", maxTokens);

        assertEq(network.getTask(taskId).escrow, escrow);
        assertEq(_sessionOf(sessionId).escrowed, escrow);
        assertEq(_sessionOf(sessionId).deposit, extra);
        _assertConserved();
    }

    function testFuzz_submit_insufficientDeposit_reverts(uint8 r, uint96 price, uint256 short) public {
        r = uint8(bound(r, 1, 7));
        price = uint96(bound(price, params.minPricePerToken, 1e18));
        SessionConfig memory c = _config(r, ValidationMode.ExactMatch, AssignmentMode.Claim);
        c.pricePerToken = price;
        uint256 escrow = uint256(r) * MAX_TOKENS * price;
        short = bound(short, 1, escrow);
        uint32 sessionId = _openSession(c, uint112(escrow - short));
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.InsufficientDeposit.selector, escrow - short, escrow));
        vm.prank(client);
        network.submitTask(sessionId, keccak256("p"), "cid", MAX_TOKENS);
    }

    function testFuzz_createSession_priceFloor(uint96 price, uint96 floor) public {
        floor = uint96(bound(floor, 1, 1e18));
        price = uint96(bound(price, 0, 2e18));
        Params memory p = params;
        p.minPricePerToken = floor;
        _setParams(p);
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Claim);
        c.pricePerToken = price;
        if (price < floor) {
            vm.expectRevert(abi.encodeWithSelector(ISessionManager.PriceBelowFloor.selector, price, floor));
        }
        vm.prank(client);
        network.createSession(c, 0);
    }

    // ================================================================== consent
    /// @dev A miner is assignable iff its offer's price is at most the session's, with capacity left.
    function testFuzz_assign_onlyWithinOffer(uint96 minPrice, uint16 capacity, uint8 open) public {
        minPrice = uint96(bound(minPrice, 0, 2 * PRICE));
        capacity = uint16(bound(capacity, 0, 4));
        open = uint8(bound(open, 0, 4));
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 assigned;
        // Fill `open` tasks first under a generous offer, then switch to the fuzzed one.
        for (uint256 k; k < open; ++k) {
            _assign(_submit(sessionId), _ids(minerIds[0]));
        }
        vm.prank(minerAccounts[0]);
        network.updateOffer(Offer({minPrice: minPrice, capacity: capacity, modes: 7}));
        uint256 taskId = _submit(sessionId);
        bool covered = minPrice <= PRICE && open < capacity;
        if (!covered) vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        _assign(taskId, _ids(minerIds[0]));
        assigned = open + (covered ? 1 : 0);
        assertEq(network.getNode(minerIds[0]).open, assigned);
    }

    // ================================================================== settlement conserves COR
    /// @dev No validation: every revealed result is accepted and paid its own (committed) token count.
    function testFuzz_settle_conservesTokens(
        uint8 r,
        uint32[7] memory tokens,
        uint96 price,
        uint16 protocolFee,
        uint16 routerFee
    ) public {
        r = uint8(bound(r, 1, 7));
        price = uint96(bound(price, params.minPricePerToken, 1e18));
        Params memory p = _fees(protocolFee, 0, routerFee);
        (uint256 taskId, uint256 escrow) = _pricedTask(r, price, MAX_TOKENS, ValidationMode.None, 1 ether);
        uint256 paid;
        for (uint8 i; i < r; ++i) {
            tokens[i] = uint32(bound(tokens[i], 0, MAX_TOKENS));
            paid += uint256(tokens[i]) * price;
            _commit(taskId, i, keccak256("same"), tokens[i]);
        }
        for (uint8 i; i < r; ++i) {
            _reveal(taskId, i, keccak256("same"), tokens[i]);
        }

        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        uint256 credited = network.protocolFees() + network.getNode(routerId).rewards;
        for (uint256 i; i < r; ++i) {
            uint256 net = uint256(tokens[i]) * price * (10_000 - p.protocolFeeBps - p.routerFeeBps) / 10_000;
            assertEq(network.getNode(minerIds[i]).rewards, net);
            assertEq(network.getNode(minerIds[i]).open, 0);
            credited += net;
        }
        assertEq(credited, paid, "fees + rewards == paid");
        uint32 sessionId = uint32(taskId >> 32);
        assertEq(_sessionOf(sessionId).deposit, escrow - paid + 1 ether, "refund");
        assertEq(_sessionOf(sessionId).escrowed, 0);
        _assertConserved();
    }

    function testFuzz_embedding_conservesTokens(
        uint16[9] memory scores,
        uint32[3] memory tokens,
        uint16 protocolFee,
        uint16 validatorFee,
        uint16 routerFee
    ) public {
        _fees(protocolFee, validatorFee, routerFee);
        (uint256 taskId,) = _pricedTask(3, PRICE, MAX_TOKENS, ValidationMode.Embedding, 0);
        bytes32[] memory hashes = _hashes3(keccak256("a"), keccak256("b"), keccak256("a"));
        for (uint8 i; i < 3; ++i) {
            tokens[i] = uint32(bound(tokens[i], 0, MAX_TOKENS));
            _commit(taskId, i, hashes[i], tokens[i]);
        }
        for (uint8 i; i < 3; ++i) {
            _reveal(taskId, i, hashes[i], tokens[i]);
        }
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Validating));
        for (uint256 v; v < 3; ++v) {
            uint16[] memory s = new uint16[](3);
            for (uint256 i; i < 3; ++i) {
                s[i] = uint16(bound(scores[v * 3 + i], 0, 10_000));
            }
            // Slots 0 and 2 revealed the same hash: with the same token count they are one result, one score.
            if (tokens[0] == tokens[2]) s[2] = s[0];
            _attest(v, taskId, s);
        }
        TaskStatus status = _status(taskId);
        assertTrue(status == TaskStatus.Finalized || status == TaskStatus.Failed);
        assertEq(_sessionOf(uint32(taskId >> 32)).escrowed, 0);
        for (uint256 k; k < 3; ++k) {
            assertEq(network.getNode(validatorIds[k]).open, 0, "attestation released");
            assertEq(network.getNode(minerIds[k]).open, 0, "assignment released");
        }
        _assertConserved();
    }

    // ================================================================== commitment binding
    struct Opening {
        bytes32 resultHash;
        bytes32 salt;
        uint32 tokens;
    }

    /// @dev Changing any one of miner, hash, token count or salt breaks the commitment; a copied commitment is
    /// useless.
    function testFuzz_commit_bindsMinerHashTokensAndSalt(
        bytes32 resultHash,
        bytes32 salt,
        bytes32 other,
        uint32 tokens,
        uint32 otherTokens,
        uint8 which
    ) public {
        other = other == resultHash || other == salt ? keccak256(abi.encode(other)) : other;
        Opening memory honest = Opening(resultHash, salt, uint32(bound(tokens, 0, MAX_TOKENS)));
        otherTokens = uint32(bound(otherTokens, 0, MAX_TOKENS - 1));
        if (otherTokens >= honest.tokens) ++otherTokens; // any other count, still within maxTokens
        which = uint8(bound(which, 0, 2));
        Opening memory forged = Opening(
            which == 0 ? other : resultHash, which == 1 ? other : salt, which == 2 ? otherTokens : honest.tokens
        );
        uint256 taskId = _assignedTask(2, ValidationMode.ExactMatch);
        bytes32 c = _commitment(taskId, minerAccounts[0], honest.resultHash, honest.tokens, honest.salt);
        vm.prank(minerAccounts[0]);
        network.commit(taskId, 0, c);
        // miner1 copies miner0's commitment into its own slot.
        vm.prank(minerAccounts[1]);
        network.commit(taskId, 1, c);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Revealing));

        // The copier cannot open it: its own address is part of what is hashed.
        _expectMismatch(taskId, 1, honest);
        // The committer cannot open it with another hash, another token count or another salt.
        _expectMismatch(taskId, 0, forged);

        vm.prank(minerAccounts[0]);
        network.reveal(taskId, 0, honest.resultHash, honest.salt, honest.tokens, "cid");
        assertEq(network.getTask(taskId).hashes[0], honest.resultHash);
        assertEq(network.getTask(taskId).tokens[0], honest.tokens);
    }

    function _expectMismatch(uint256 taskId, uint8 slot, Opening memory o) internal {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.CommitmentMismatch.selector, taskId, slot));
        vm.prank(minerAccounts[slot]);
        network.reveal(taskId, slot, o.resultHash, o.salt, o.tokens, "cid");
    }

    // ================================================================== ExactMatch majority
    /// @dev Each slot reveals one of two results; a strict majority wins and only the minority is slashed. Without
    /// one, every revealed result is paid and nobody is slashed.
    function testFuzz_exactMatch_strictMajority(uint8 r, uint8 pattern) public {
        r = uint8(bound(r, 1, 7));
        uint256 taskId = _assignedTask(r, ValidationMode.ExactMatch);
        bytes32[] memory hashes = new bytes32[](r);
        uint256 ones;
        for (uint256 i; i < r; ++i) {
            bool one = (pattern >> i) & 1 == 1;
            hashes[i] = one ? keccak256("one") : keccak256("zero");
            if (one) ++ones;
        }
        _commitRevealAll(taskId, hashes, 10);

        TaskView memory v = network.getTask(taskId);
        uint256 zeros = r - ones;
        if (ones * 2 > r || zeros * 2 > r) {
            bytes32 majority = ones > zeros ? keccak256("one") : keccak256("zero");
            assertEq(uint8(v.status), uint8(TaskStatus.Finalized));
            assertEq(v.resultHash, majority);
            for (uint256 i; i < r; ++i) {
                bool inMajority = hashes[i] == majority;
                assertEq(network.getNode(minerIds[i]).accepted, inMajority ? 1 : 0);
                assertEq(network.getNode(minerIds[i]).rejected, inMajority ? 0 : 1);
                assertEq(v.hashes[i], hashes[i]);
                assertEq(v.tokens[i], 10);
            }
        } else {
            assertEq(uint8(v.status), uint8(TaskStatus.Failed));
            for (uint256 i; i < r; ++i) {
                assertEq(network.getNode(minerIds[i]).rewards, _net(10, params.protocolFeeBps));
                assertEq(network.getNode(minerIds[i]).rejected, 0);
                assertEq(network.getNode(minerIds[i]).stake, STAKE);
            }
        }
        for (uint256 i; i < r; ++i) {
            assertEq(network.getNode(minerIds[i]).open, 0);
        }
        _assertConserved();
    }

    // ================================================================== timeouts
    function testFuzz_expire_retriesThenFullRefund(uint8 retryLimit) public {
        retryLimit = uint8(bound(retryLimit, 0, params.maxRetryLimit));
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.retryLimit = retryLimit;
        uint32 sessionId = _openSession(c, DEPOSIT);
        uint256 taskId = _submit(sessionId);
        for (uint256 k; k <= retryLimit; ++k) {
            _assign(taskId, _ids(minerIds[k]));
            vm.warp(block.timestamp + 61);
            network.expire(taskId, 0);
        }
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        assertEq(network.getTask(taskId).retries, retryLimit);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT);
        for (uint256 k; k <= retryLimit; ++k) {
            // A missed precommit costs reputation, never stake.
            assertEq(network.getNode(minerIds[k]).timedOut, 1);
            assertEq(network.getNode(minerIds[k]).stake, STAKE);
            assertEq(network.getNode(minerIds[k]).open, 0);
        }
        _assertConserved();
    }

    function testFuzz_createSession_retryLimitCapped(uint8 retryLimit) public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        c.retryLimit = retryLimit;
        if (retryLimit > params.maxRetryLimit) {
            vm.expectRevert(
                abi.encodeWithSelector(ISessionManager.InvalidRetryLimit.selector, retryLimit, params.maxRetryLimit)
            );
        }
        vm.prank(client);
        network.createSession(c, 0);
    }
}
