// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INodeRegistry} from "../contracts/interfaces/INodeRegistry.sol";
import {ISessionManager} from "../contracts/interfaces/ISessionManager.sol";
import {ITaskManager} from "../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    Params,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
    TaskStatus,
    ValidationMode
} from "../contracts/types/Types.sol";
import {BaseTest} from "./utils/BaseTest.sol";

/// @notice Sessions: configuration checks, deposit accounting, closing, submitters and routers.
contract SessionsTest is BaseTest {
    address internal stranger = makeAddr("stranger");

    function _routerConfig() internal view returns (SessionConfig memory) {
        return _config(3, ValidationMode.ExactMatch, AssignmentMode.Router);
    }

    function _expectCreateRevert(SessionConfig memory c, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(client);
        network.createSession(c, DEPOSIT);
    }

    // ================================================================== createSession
    function test_createSession_storesConfigAndPullsDeposit() public {
        SessionConfig memory c = _routerConfig();
        uint256 before = token.balanceOf(client);
        vm.expectEmit(address(network));
        emit ISessionManager.SessionCreated(1, client, MODEL, c, DEPOSIT);
        uint32 sessionId = _openSession(c, DEPOSIT);

        assertEq(sessionId, 1);
        assertEq(network.sessionCount(), 1);
        Session memory s = _sessionOf(sessionId);
        assertEq(s.owner, client);
        assertEq(uint8(s.status), uint8(SessionStatus.Open));
        assertEq(s.redundancy, 3);
        assertEq(uint8(s.validation), uint8(ValidationMode.ExactMatch));
        assertEq(uint8(s.assignment), uint8(AssignmentMode.Router));
        assertEq(s.quorum, 1);
        assertEq(s.retryLimit, 2);
        assertFalse(s.encrypted);
        assertEq(s.temperature, 0);
        assertEq(s.topK, 0);
        assertEq(s.topP, 0);
        assertEq(s.routerId, routerId);
        assertEq(s.deposit, DEPOSIT);
        assertEq(s.escrowed, 0);
        assertEq(s.pricePerToken, PRICE);
        assertEq(s.maxTokens, MAX_TOKENS);
        assertEq(s.precommitWindow, 60);
        assertEq(s.modelId, MODEL);
        assertEq(token.balanceOf(client), before - DEPOSIT);
        assertTrue(network.isSubmitter(sessionId, client));
        _assertConserved();
    }

    function test_createSession_dedicatedStoresMiners() public {
        SessionConfig memory c = _config(2, ValidationMode.None, AssignmentMode.Dedicated);
        uint32 sessionId = _openSession(c, DEPOSIT);
        uint256 dedicated = _sessionOf(sessionId).dedicated;
        assertEq(uint32(dedicated), minerIds[0]);
        assertEq(uint32(dedicated >> 32), minerIds[1]);
        assertEq(dedicated >> 64, 0);
    }

    function test_createSession_storesSamplingAndEncryption() public {
        SessionConfig memory c = _routerConfig();
        (c.temperature, c.topK, c.topP, c.encrypted) = (700, 40, 9_000, true);
        vm.expectEmit(address(network));
        emit ISessionManager.SessionCreated(1, client, MODEL, c, DEPOSIT);
        Session memory s = _sessionOf(_openSession(c, DEPOSIT));
        assertEq(s.temperature, 700);
        assertEq(s.topK, 40);
        assertEq(s.topP, 9_000);
        assertTrue(s.encrypted);
    }

    function test_createSession_samplingAtBounds_succeeds() public {
        SessionConfig memory c = _routerConfig();
        (c.temperature, c.topP) = (2_000, 10_000);
        Session memory s = _sessionOf(_openSession(c, DEPOSIT));
        assertEq(s.temperature, 2_000);
        assertEq(s.topP, 10_000);
    }

    function test_createSession_temperatureAboveMax_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.temperature = 2_001;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidSampling.selector));
    }

    function test_createSession_topPAboveBps_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.topP = 10_001;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidSampling.selector));
    }

    function test_createSession_priceBelowFloor_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.pricePerToken = params.minPricePerToken - 1;
        _expectCreateRevert(
            c,
            abi.encodeWithSelector(
                ISessionManager.PriceBelowFloor.selector, params.minPricePerToken - 1, params.minPricePerToken
            )
        );
        c.pricePerToken = 0;
        _expectCreateRevert(
            c, abi.encodeWithSelector(ISessionManager.PriceBelowFloor.selector, 0, params.minPricePerToken)
        );
    }

    function test_createSession_priceAtFloor_succeeds() public {
        SessionConfig memory c = _routerConfig();
        c.pricePerToken = params.minPricePerToken;
        assertEq(_sessionOf(_openSession(c, DEPOSIT)).pricePerToken, params.minPricePerToken);
    }

    /// @dev The floor is governance's: raising it closes sessions below it to new creation.
    function test_createSession_priceFloorFollowsParams() public {
        Params memory p = params;
        p.minPricePerToken = PRICE + 1;
        _setParams(p);
        _expectCreateRevert(
            _routerConfig(), abi.encodeWithSelector(ISessionManager.PriceBelowFloor.selector, PRICE, PRICE + 1)
        );
    }

    function test_createSession_retryLimitAboveMax_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.retryLimit = params.maxRetryLimit + 1;
        _expectCreateRevert(
            c,
            abi.encodeWithSelector(
                ISessionManager.InvalidRetryLimit.selector, params.maxRetryLimit + 1, params.maxRetryLimit
            )
        );
    }

    function test_createSession_retryLimitAtMax_succeeds() public {
        SessionConfig memory c = _routerConfig();
        c.retryLimit = params.maxRetryLimit;
        assertEq(_sessionOf(_openSession(c, DEPOSIT)).retryLimit, params.maxRetryLimit);
    }

    function test_createSession_zeroDeposit() public {
        uint32 sessionId = _openSession(_routerConfig(), 0);
        assertEq(_sessionOf(sessionId).deposit, 0);
    }

    function test_createSession_unknownModel_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.modelId = keccak256("unknown");
        _expectCreateRevert(c, abi.encodeWithSelector(INodeRegistry.UnknownModel.selector, c.modelId));
    }

    function test_createSession_zeroRedundancy_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.redundancy = 0;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidRedundancy.selector, 0));
    }

    function test_createSession_redundancyAboveSeven_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.redundancy = 8;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidRedundancy.selector, 8));
    }

    /// @dev Without validators the quorum is unused: only its range is checked.
    function test_createSession_exactMatchZeroQuorum_succeeds() public {
        SessionConfig memory c = _routerConfig();
        c.quorum = 0;
        assertEq(_sessionOf(_openSession(c, DEPOSIT)).quorum, 0);
    }

    function _validatedConfig(ValidationMode mode, uint8 quorum) internal view returns (SessionConfig memory c) {
        c = _config(3, mode, AssignmentMode.Router);
        c.quorum = quorum;
    }

    function test_createSession_embeddingZeroQuorum_reverts() public {
        _expectCreateRevert(
            _validatedConfig(ValidationMode.Embedding, 0),
            abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 0)
        );
    }

    function test_createSession_embeddingEvenQuorum_reverts() public {
        _expectCreateRevert(
            _validatedConfig(ValidationMode.Embedding, 2),
            abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 2)
        );
    }

    function test_createSession_replayEvenQuorum_reverts() public {
        _expectCreateRevert(
            _validatedConfig(ValidationMode.Replay, 4),
            abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 4)
        );
    }

    function test_createSession_embeddingQuorumBelowMin_reverts() public {
        Params memory p = params;
        p.minQuorum = 3;
        _setParams(p);
        _expectCreateRevert(
            _validatedConfig(ValidationMode.Embedding, 1),
            abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 1)
        );
        assertEq(_sessionOf(_openSession(_validatedConfig(ValidationMode.Embedding, 3), DEPOSIT)).quorum, 3);
    }

    function test_createSession_replayQuorumBelowMin_reverts() public {
        Params memory p = params;
        p.minQuorum = 5;
        _setParams(p);
        _expectCreateRevert(
            _validatedConfig(ValidationMode.Replay, 3),
            abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 3)
        );
        assertEq(_sessionOf(_openSession(_validatedConfig(ValidationMode.Replay, 5), DEPOSIT)).quorum, 5);
    }

    function test_createSession_embeddingQuorumAboveSeven_reverts() public {
        _expectCreateRevert(
            _validatedConfig(ValidationMode.Embedding, 9),
            abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 9)
        );
    }

    function test_createSession_replayStoresMode() public {
        uint32 sessionId = _openSession(_validatedConfig(ValidationMode.Replay, 3), DEPOSIT);
        assertEq(uint8(_sessionOf(sessionId).validation), uint8(ValidationMode.Replay));
    }

    function test_createSession_quorumAboveSeven_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.quorum = 8;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidQuorum.selector, 8));
    }

    function test_createSession_minReputationAboveBps_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.minReputation = 10_002;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidThreshold.selector, 10_002));
    }

    function test_createSession_zeroMaxTokens_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.maxTokens = 0;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidMaxTokens.selector, 0));
    }

    function test_createSession_maxTokensAboveCap_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.maxTokens = (1 << 20) + 1;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidMaxTokens.selector, (1 << 20) + 1));
    }

    function test_createSession_escrowAboveUint96_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.pricePerToken = type(uint96).max;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidMaxTokens.selector, MAX_TOKENS));
    }

    function test_createSession_zeroPrecommitWindow_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.precommitWindow = 0;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidWindow.selector));
    }

    function test_createSession_zeroRevealWindow_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.revealWindow = 0;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidWindow.selector));
    }

    function test_createSession_zeroAttestWindow_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.attestWindow = 0;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidWindow.selector));
    }

    function test_createSession_precommitWindowAboveCap_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.precommitWindow = 7 days + 1;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidWindow.selector));
    }

    function test_createSession_revealWindowAboveCap_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.revealWindow = 7 days + 1;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidWindow.selector));
    }

    function test_createSession_attestWindowAboveCap_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.attestWindow = 7 days + 1;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidWindow.selector));
    }

    function test_createSession_routerNotRouter_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.routerId = minerIds[0];
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidRouter.selector, minerIds[0]));
    }

    function test_createSession_dedicatedTooFew_reverts() public {
        SessionConfig memory c = _config(3, ValidationMode.None, AssignmentMode.Dedicated);
        c.dedicatedMiners = _firstMiners(2);
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidDedicatedMiners.selector));
    }

    function test_createSession_dedicatedTooMany_reverts() public {
        SessionConfig memory c = _config(3, ValidationMode.None, AssignmentMode.Dedicated);
        c.dedicatedMiners = new uint32[](8);
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidDedicatedMiners.selector));
    }

    function test_createSession_dedicatedZeroId_reverts() public {
        SessionConfig memory c = _config(2, ValidationMode.None, AssignmentMode.Dedicated);
        c.dedicatedMiners[1] = 0;
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidDedicatedMiners.selector));
    }

    function test_createSession_dedicatedNotMiner_reverts() public {
        SessionConfig memory c = _config(2, ValidationMode.None, AssignmentMode.Dedicated);
        c.dedicatedMiners[1] = validatorIds[0];
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidDedicatedMiners.selector));
    }

    function test_createSession_dedicatedDuplicate_reverts() public {
        SessionConfig memory c = _config(2, ValidationMode.None, AssignmentMode.Dedicated);
        c.dedicatedMiners[1] = c.dedicatedMiners[0];
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidDedicatedMiners.selector));
    }

    function test_createSession_minersWithoutDedicatedMode_reverts() public {
        SessionConfig memory c = _routerConfig();
        c.dedicatedMiners = _firstMiners(3);
        _expectCreateRevert(c, abi.encodeWithSelector(ISessionManager.InvalidDedicatedMiners.selector));
    }

    // ================================================================== deposit
    function test_deposit_anyoneTopsUp() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        _fund(stranger, 10 ether);
        vm.expectEmit(address(network));
        emit ISessionManager.SessionDeposited(sessionId, stranger, 10 ether, DEPOSIT + 10 ether);
        vm.prank(stranger);
        network.deposit(sessionId, 10 ether);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT + 10 ether);
        _assertConserved();
    }

    function test_deposit_zero_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(INodeRegistry.ZeroAmount.selector);
        vm.prank(client);
        network.deposit(sessionId, 0);
    }

    function test_deposit_unknownSession_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.UnknownSession.selector, 9));
        vm.prank(client);
        network.deposit(9, 1 ether);
    }

    function test_deposit_closedSession_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.prank(client);
        network.closeSession(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.SessionNotOpen.selector, sessionId));
        vm.prank(client);
        network.deposit(sessionId, 1 ether);
    }

    // ================================================================== withdrawDeposit
    function test_withdrawDeposit_returnsFreeBalance() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        uint256 before = token.balanceOf(client);
        vm.expectEmit(address(network));
        emit ISessionManager.SessionWithdrawn(sessionId, 400 ether, DEPOSIT - 400 ether);
        vm.prank(client);
        network.withdrawDeposit(sessionId, 400 ether);
        assertEq(token.balanceOf(client), before + 400 ether);
        assertEq(_sessionOf(sessionId).deposit, DEPOSIT - 400 ether);
        _assertConserved();
    }

    function test_withdrawDeposit_zero_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(INodeRegistry.ZeroAmount.selector);
        vm.prank(client);
        network.withdrawDeposit(sessionId, 0);
    }

    function test_withdrawDeposit_unknownSession_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.UnknownSession.selector, 5));
        vm.prank(client);
        network.withdrawDeposit(5, 1);
    }

    function test_withdrawDeposit_notOwner_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.NotSessionOwner.selector, sessionId, stranger));
        vm.prank(stranger);
        network.withdrawDeposit(sessionId, 1);
    }

    function test_withdrawDeposit_moreThanFree_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        _submit(sessionId); // escrows 256 tokens at PRICE
        uint256 free = DEPOSIT - uint256(MAX_TOKENS) * PRICE;
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.InsufficientDeposit.selector, free, DEPOSIT));
        vm.prank(client);
        network.withdrawDeposit(sessionId, DEPOSIT);
    }

    // ================================================================== closeSession
    function test_closeSession_refundsFreeBalance_escrowReturnsOnSettle() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        uint112 escrow = uint112(MAX_TOKENS) * PRICE;
        uint256 before = token.balanceOf(client);

        vm.expectEmit(address(network));
        emit ISessionManager.SessionClosed(sessionId, DEPOSIT - escrow);
        vm.prank(client);
        assertEq(network.closeSession(sessionId), DEPOSIT - escrow);
        assertEq(token.balanceOf(client), before + DEPOSIT - escrow);
        Session memory s = _sessionOf(sessionId);
        assertEq(uint8(s.status), uint8(SessionStatus.Closed));
        assertEq(s.deposit, 0);
        assertEq(s.escrowed, escrow);
        _assertConserved();

        // No new task, but the open one still runs and its unused escrow becomes withdrawable.
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.SessionNotOpen.selector, sessionId));
        vm.prank(client);
        network.submitTask(sessionId, keccak256("p"), "cid", 1);
        _assign(taskId, _ids(minerIds[0]));
        _commitRevealAll(taskId, _same(1, keccak256("r")), 100);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        s = _sessionOf(sessionId);
        assertEq(s.escrowed, 0);
        assertEq(s.deposit, escrow - 100 * PRICE);
        vm.prank(client);
        network.withdrawDeposit(sessionId, s.deposit);
        _assertConserved();
    }

    function test_closeSession_notOwner_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.NotSessionOwner.selector, sessionId, stranger));
        vm.prank(stranger);
        network.closeSession(sessionId);
    }

    function test_closeSession_twice_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.startPrank(client);
        network.closeSession(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.SessionNotOpen.selector, sessionId));
        network.closeSession(sessionId);
        vm.stopPrank();
    }

    function test_closeSession_unknown_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.UnknownSession.selector, 3));
        vm.prank(client);
        network.closeSession(3);
    }

    // ================================================================== authorizeSubmitter
    function test_authorizeSubmitter_allowsThenRevokes() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectEmit(address(network));
        emit ISessionManager.SubmitterAuthorized(sessionId, routerAccount, true);
        vm.prank(client);
        network.authorizeSubmitter(sessionId, routerAccount, true);
        assertTrue(network.isSubmitter(sessionId, routerAccount));
        vm.prank(routerAccount);
        network.submitTask(sessionId, keccak256("p"), "cid", 1);

        vm.prank(client);
        network.authorizeSubmitter(sessionId, routerAccount, false);
        assertFalse(network.isSubmitter(sessionId, routerAccount));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotAuthorizedSubmitter.selector, sessionId, routerAccount));
        vm.prank(routerAccount);
        network.submitTask(sessionId, keccak256("p"), "cid", 1);
    }

    function test_authorizeSubmitter_notOwner_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.NotSessionOwner.selector, sessionId, stranger));
        vm.prank(stranger);
        network.authorizeSubmitter(sessionId, stranger, true);
    }

    function test_authorizeSubmitter_unknownSession_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.UnknownSession.selector, 4));
        vm.prank(client);
        network.authorizeSubmitter(4, stranger, true);
    }

    // ================================================================== setSessionRouter
    function test_setSessionRouter_changesRouter() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectEmit(address(network));
        emit ISessionManager.SessionRouterChanged(sessionId, 0);
        vm.prank(client);
        network.setSessionRouter(sessionId, 0);
        assertEq(_sessionOf(sessionId).routerId, 0);

        // Without a router only the owner assigns.
        uint256 taskId = _submit(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, sessionId, routerAccount));
        vm.prank(routerAccount);
        network.assignTask(taskId, _ids(minerIds[0]));
    }

    function test_setSessionRouter_newRouterAssigns_oldOneCannot() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        address other = makeAddr("router2");
        _fund(other, 10_000 ether);
        uint32 otherId = _register(other, Role.Router);
        vm.prank(client);
        network.setSessionRouter(sessionId, otherId);

        uint256 taskId = _submit(sessionId);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.NotSessionRouter.selector, sessionId, routerAccount));
        vm.prank(routerAccount);
        network.assignTask(taskId, _ids(minerIds[0]));
        vm.prank(other);
        network.assignTask(taskId, _ids(minerIds[0]));
        assertEq(network.getTask(taskId).assignerId, otherId);
    }

    function test_setSessionRouter_notRouterNode_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.InvalidRouter.selector, validatorIds[0]));
        vm.prank(client);
        network.setSessionRouter(sessionId, validatorIds[0]);
    }

    function test_setSessionRouter_notOwner_reverts() public {
        uint32 sessionId = _session(1, ValidationMode.None, AssignmentMode.Router);
        vm.expectRevert(abi.encodeWithSelector(ISessionManager.NotSessionOwner.selector, sessionId, stranger));
        vm.prank(stranger);
        network.setSessionRouter(sessionId, routerId);
    }
}
