// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {CorRegistry} from "../contracts/CorRegistry.sol";
import {INodeRegistry} from "../contracts/interfaces/INodeRegistry.sol";
import {ITaskManager} from "../contracts/interfaces/ITaskManager.sol";
import {
    AssignmentMode,
    Node,
    NodeStatus,
    Offer,
    Params,
    Role,
    SessionConfig,
    ValidationMode
} from "../contracts/types/Types.sol";
import {BaseTest} from "./utils/BaseTest.sol";

/// @notice Node lifecycle, models, rewards and governance (CorRegistry through CorNetwork's fallback).
contract NodeRegistryTest is BaseTest {
    address internal alice = makeAddr("alice");
    bytes32 internal constant KEY = keccak256("x25519");

    function setUp() public override {
        super.setUp();
        _fund(alice, 10_000 ether);
    }

    function _models(bytes32 a) internal pure returns (bytes32[] memory models) {
        models = new bytes32[](1);
        models[0] = a;
    }

    function _registerAlice(Role role, uint96 stake, bytes32[] memory models) internal returns (uint32) {
        vm.prank(alice);
        return network.register(role, stake, models, KEY, "http://alice:8080", _aliceOffer());
    }

    function _aliceOffer() internal pure returns (Offer memory) {
        return Offer({minPrice: 5e11, capacity: 3, modes: uint8(1 << uint8(AssignmentMode.Claim))});
    }

    function _assertOffer(Offer memory a, Offer memory b) internal pure {
        assertEq(a.minPrice, b.minPrice, "minPrice");
        assertEq(a.capacity, b.capacity, "capacity");
        assertEq(a.modes, b.modes, "modes");
    }

    // ================================================================== registerModel
    function test_registerModel_emitsAndRegisters() public {
        bytes32 id = keccak256("tinyllama");
        vm.expectEmit(address(network));
        emit INodeRegistry.ModelRegistered(id, "tinyllama", "hf:x");
        vm.prank(owner);
        network.registerModel(id, "tinyllama", "hf:x");
        assertTrue(network.modelRegistered(id));
    }

    function test_registerModel_notOwner_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        network.registerModel(keccak256("m"), "m", "u");
    }

    function test_registerModel_twice_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.ModelAlreadyRegistered.selector, MODEL));
        vm.prank(owner);
        network.registerModel(MODEL, "again", "u");
    }

    // ================================================================== register
    function test_register_storesNodeAndPullsStake() public {
        uint256 before = token.balanceOf(address(network));
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeRegistered(
            12, alice, Role.Miner, STAKE, _models(MODEL), KEY, "http://alice:8080", 5_000, _aliceOffer()
        );
        uint32 id = _registerAlice(Role.Miner, STAKE, _models(MODEL));

        assertEq(id, 12);
        assertEq(network.nodeIdOf(alice), 12);
        assertEq(network.nodeCount(), 12);
        assertTrue(network.servesModel(id, MODEL));
        Node memory n = _node(id);
        assertEq(n.account, alice);
        assertEq(uint8(n.role), uint8(Role.Miner));
        assertEq(uint8(n.status), uint8(NodeStatus.Active));
        assertEq(n.score, 5_000);
        assertEq(n.stake, STAKE);
        assertEq(n.encryptionKey, KEY);
        assertEq(n.rewards, 0);
        assertEq(n.open, 0);
        _assertOffer(n.offer, _aliceOffer());
        assertEq(token.balanceOf(address(network)), before + STAKE);
        _assertConserved();
    }

    function test_register_validatorWithoutModels() public {
        uint32 id = _registerAlice(Role.Validator, 100 ether, new bytes32[](0));
        assertEq(uint8(_node(id).role), uint8(Role.Validator));
        // The offer means nothing for a validator: stored as given.
        _assertOffer(_node(id).offer, _aliceOffer());
    }

    function test_register_twice_reverts() public {
        uint32 id = _registerAlice(Role.Miner, STAKE, _models(MODEL));
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.AlreadyRegistered.selector, alice, id));
        _registerAlice(Role.Miner, STAKE, _models(MODEL));
    }

    function test_register_roleNone_reverts() public {
        vm.expectRevert(INodeRegistry.InvalidRole.selector);
        _registerAlice(Role.None, STAKE, _models(MODEL));
    }

    function test_register_stakeBelowMinimum_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeBelowMinimum.selector, 99 ether, 100 ether));
        _registerAlice(Role.Router, 99 ether, new bytes32[](0));
    }

    function test_register_minerWithoutModels_reverts() public {
        vm.expectRevert(INodeRegistry.NoModels.selector);
        _registerAlice(Role.Miner, STAKE, new bytes32[](0));
    }

    function test_register_nonMinerWithModels_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.TooManyModels.selector, 1, 0));
        _registerAlice(Role.Validator, STAKE, _models(MODEL));
    }

    function test_register_tooManyModels_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.TooManyModels.selector, 17, 16));
        _registerAlice(Role.Miner, STAKE, new bytes32[](17));
    }

    function test_register_unknownModel_reverts() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.UnknownModel.selector, unknown));
        _registerAlice(Role.Miner, STAKE, _models(unknown));
    }

    // ================================================================== addStake
    function test_addStake_increasesStake() public {
        vm.expectEmit(address(network));
        emit INodeRegistry.StakeAdded(minerIds[0], 5 ether, STAKE + 5 ether);
        vm.prank(minerAccounts[0]);
        network.addStake(5 ether);
        assertEq(_node(minerIds[0]).stake, STAKE + 5 ether);
        _assertConserved();
    }

    function test_addStake_zero_reverts() public {
        vm.expectRevert(INodeRegistry.ZeroAmount.selector);
        vm.prank(minerAccounts[0]);
        network.addStake(0);
    }

    function test_addStake_notRegistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        network.addStake(1 ether);
    }

    function test_addStake_exiting_reverts() public {
        vm.prank(minerAccounts[0]);
        network.requestExit();
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.WrongNodeStatus.selector, minerIds[0], NodeStatus.Exiting));
        vm.prank(minerAccounts[0]);
        network.addStake(1 ether);
    }

    // ================================================================== updateModels / updateNode
    function test_updateModels_addsAndRemoves() public {
        bytes32 other = keccak256("other");
        vm.prank(owner);
        network.registerModel(other, "other", "u");
        vm.expectEmit(address(network));
        emit INodeRegistry.ModelsUpdated(minerIds[0], _models(other), _models(MODEL));
        vm.prank(minerAccounts[0]);
        network.updateModels(_models(other), _models(MODEL));
        assertTrue(network.servesModel(minerIds[0], other));
        assertFalse(network.servesModel(minerIds[0], MODEL));
    }

    function test_updateModels_notRegistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        network.updateModels(_models(MODEL), new bytes32[](0));
    }

    function test_updateModels_notMiner_reverts() public {
        vm.expectRevert(INodeRegistry.InvalidRole.selector);
        vm.prank(validatorAccounts[0]);
        network.updateModels(_models(MODEL), new bytes32[](0));
    }

    function test_updateModels_tooMany_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.TooManyModels.selector, 17, 16));
        vm.prank(minerAccounts[0]);
        network.updateModels(new bytes32[](17), new bytes32[](0));
    }

    function test_updateModels_unknownModel_reverts() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.UnknownModel.selector, unknown));
        vm.prank(minerAccounts[0]);
        network.updateModels(_models(unknown), new bytes32[](0));
    }

    function test_updateNode_setsKeyAndEmitsEndpoint() public {
        bytes32 key = keccak256("new key");
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeUpdated(minerIds[0], key, "https://m0");
        vm.prank(minerAccounts[0]);
        network.updateNode(key, "https://m0");
        assertEq(_node(minerIds[0]).encryptionKey, key);
    }

    function test_updateNode_notRegistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        network.updateNode(KEY, "x");
    }

    // ================================================================== updateOffer
    function test_updateOffer_replacesOfferAndEmits() public {
        Offer memory offer = Offer({minPrice: 2e12, capacity: 9, modes: uint8(1 << uint8(AssignmentMode.Dedicated))});
        vm.expectEmit(address(network));
        emit INodeRegistry.OfferUpdated(minerIds[0], offer);
        vm.prank(minerAccounts[0]);
        network.updateOffer(offer);
        _assertOffer(_node(minerIds[0]).offer, offer);
    }

    /// @dev The new offer applies to the next assignment: a price above the session's makes the miner unassignable.
    function test_updateOffer_appliesToNextAssignment() public {
        uint256 first = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        _assign(first, _ids(minerIds[0]));
        vm.prank(minerAccounts[0]);
        network.updateOffer(Offer({minPrice: PRICE + 1, capacity: 1_000, modes: 7}));
        // Open assignments keep their terms.
        assertEq(network.getTask(first).miners[0], minerIds[0]);
        uint256 second = _submit(_session(1, ValidationMode.ExactMatch, AssignmentMode.Router));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.OfferNotCovered.selector, minerIds[0]));
        _assign(second, _ids(minerIds[0]));
    }

    function test_updateOffer_notMiner_reverts() public {
        vm.expectRevert(INodeRegistry.InvalidRole.selector);
        vm.prank(validatorAccounts[0]);
        network.updateOffer(_offer());
        vm.expectRevert(INodeRegistry.InvalidRole.selector);
        vm.prank(routerAccount);
        network.updateOffer(_offer());
    }

    function test_updateOffer_notRegistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        network.updateOffer(_offer());
    }

    // ================================================================== requestExit / withdrawStake
    function test_requestExit_startsCooldown() public {
        uint40 until = uint40(block.timestamp + params.unstakeCooldown);
        vm.expectEmit(address(network));
        emit INodeRegistry.ExitRequested(minerIds[0], until);
        vm.prank(minerAccounts[0]);
        network.requestExit();
        Node memory n = _node(minerIds[0]);
        assertEq(uint8(n.status), uint8(NodeStatus.Exiting));
        assertEq(n.until, until);
    }

    function test_requestExit_jailed_keepsLongerJailTerm() public {
        vm.prank(owner);
        network.jail(minerIds[0], 2 days);
        vm.prank(minerAccounts[0]);
        network.requestExit();
        assertEq(_node(minerIds[0]).until, uint40(block.timestamp + 2 days));
    }

    function test_requestExit_notRegistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        network.requestExit();
    }

    function test_requestExit_twice_reverts() public {
        vm.startPrank(minerAccounts[0]);
        network.requestExit();
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.WrongNodeStatus.selector, minerIds[0], NodeStatus.Exiting));
        network.requestExit();
        vm.stopPrank();
    }

    function test_withdrawStake_afterCooldown_returnsStakeAndUnregisters() public {
        address miner = minerAccounts[0];
        vm.prank(miner);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        uint256 before = token.balanceOf(miner);
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeUnregistered(minerIds[0], miner, STAKE);
        vm.prank(miner);
        network.withdrawStake();

        assertEq(token.balanceOf(miner), before + STAKE);
        assertEq(network.nodeIdOf(miner), 0);
        Node memory n = _node(minerIds[0]);
        assertEq(uint8(n.status), uint8(NodeStatus.Unregistered));
        assertEq(n.stake, 0);
        _assertConserved();

        // A new registration is a new node id.
        _register(miner, Role.Miner);
        assertEq(network.nodeIdOf(miner), 12);
    }

    function test_withdrawStake_minerWithOpenAssignment_reverts() public {
        SessionConfig memory c = _config(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        (c.precommitWindow, c.revealWindow) = (7 days, 7 days);
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _ids(minerIds[0]));
        address miner = minerAccounts[0];
        assertEq(_node(minerIds[0]).open, 1);
        vm.prank(miner);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeLocked.selector, minerIds[0], 1));
        vm.prank(miner);
        network.withdrawStake();

        // Once the assignment settles (an exiting miner may still deliver) the stake is free.
        _commitRevealAll(taskId, _same(1, keccak256("r")), 10);
        assertEq(_node(minerIds[0]).open, 0);
        uint256 before = token.balanceOf(miner);
        vm.prank(miner);
        network.withdrawStake();
        assertEq(token.balanceOf(miner), before + STAKE);
        _assertConserved();
    }

    function test_withdrawStake_validatorWithOpenAttestation_reverts() public {
        SessionConfig memory c = _config(3, ValidationMode.Embedding, AssignmentMode.Router);
        c.quorum = 3;
        uint256 taskId = _submit(_openSession(c, DEPOSIT));
        _assign(taskId, _firstMiners(3));
        _commitRevealAll(taskId, _hashes3(keccak256("a"), keccak256("a"), keccak256("b")), 10);
        _attest(0, taskId, _scores(9_000, 9_000, 1_000));
        assertEq(_node(validatorIds[0]).open, 1);

        address validator = validatorAccounts[0];
        vm.prank(validator);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeLocked.selector, validatorIds[0], 1));
        vm.prank(validator);
        network.withdrawStake();

        // The attestation is released when the task closes (here below quorum, after the attest deadline).
        network.finalize(taskId);
        assertEq(_node(validatorIds[0]).open, 0);
        vm.prank(validator);
        network.withdrawStake();
        assertEq(uint8(_node(validatorIds[0]).status), uint8(NodeStatus.Unregistered));
        _assertConserved();
    }

    function test_withdrawStake_notRegistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        network.withdrawStake();
    }

    function test_withdrawStake_notExiting_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.WrongNodeStatus.selector, minerIds[0], NodeStatus.Active));
        vm.prank(minerAccounts[0]);
        network.withdrawStake();
    }

    function test_withdrawStake_duringCooldown_reverts() public {
        vm.prank(minerAccounts[0]);
        network.requestExit();
        uint40 until = uint40(block.timestamp + params.unstakeCooldown);
        vm.warp(until - 1);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.CooldownActive.selector, until));
        vm.prank(minerAccounts[0]);
        network.withdrawStake();
    }

    // ================================================================== jail / unjail
    function test_jail_setsJailedUntil() public {
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeJailed(minerIds[0], uint40(block.timestamp + 1 days));
        vm.prank(owner);
        network.jail(minerIds[0], 1 days);
        Node memory n = _node(minerIds[0]);
        assertEq(uint8(n.status), uint8(NodeStatus.Jailed));
        assertEq(n.until, uint40(block.timestamp + 1 days));
    }

    function test_jail_notOwner_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        network.jail(minerIds[0], 1);
    }

    function test_jail_unregistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.WrongNodeStatus.selector, 99, NodeStatus.Unregistered));
        vm.prank(owner);
        network.jail(99, 1);
    }

    function test_jail_exiting_reverts() public {
        vm.prank(minerAccounts[0]);
        network.requestExit();
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.WrongNodeStatus.selector, minerIds[0], NodeStatus.Exiting));
        vm.prank(owner);
        network.jail(minerIds[0], 1);
    }

    function test_jail_durationTooLong_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(INodeRegistry.ParamOutOfRange.selector, "duration", 30 days + 1, 30 days)
        );
        vm.prank(owner);
        network.jail(minerIds[0], 30 days + 1);
    }

    function test_unjail_afterTerm_reactivates() public {
        vm.prank(owner);
        network.jail(minerIds[0], 1 days);
        vm.warp(block.timestamp + 1 days);
        vm.expectEmit(address(network));
        emit INodeRegistry.NodeUnjailed(minerIds[0]);
        vm.prank(minerAccounts[0]);
        network.unjail();
        assertEq(uint8(_node(minerIds[0]).status), uint8(NodeStatus.Active));
    }

    function test_unjail_notJailed_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.WrongNodeStatus.selector, minerIds[0], NodeStatus.Active));
        vm.prank(minerAccounts[0]);
        network.unjail();
    }

    function test_unjail_notRegistered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotRegistered.selector, alice));
        vm.prank(alice);
        network.unjail();
    }

    function test_unjail_duringTerm_reverts() public {
        vm.prank(owner);
        network.jail(minerIds[0], 1 days);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.CooldownActive.selector, uint40(block.timestamp + 1 days)));
        vm.prank(minerAccounts[0]);
        network.unjail();
    }

    function test_unjail_stakeBelowMinimum_reverts() public {
        Params memory p = params;
        p.minStakeMiner = STAKE + 1;
        _setParams(p);
        vm.prank(owner);
        network.jail(minerIds[0], 0);
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.StakeBelowMinimum.selector, STAKE, STAKE + 1));
        vm.prank(minerAccounts[0]);
        network.unjail();
    }

    // ================================================================== withdrawRewards
    function test_withdrawRewards_paysAccount() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        _assign(taskId, _ids(minerIds[0]));
        _commitRevealAll(taskId, _same(1, keccak256("r")), 100);
        uint96 reward = uint96(_net(100, params.protocolFeeBps + params.routerFeeBps));
        assertEq(_node(minerIds[0]).rewards, reward);

        address miner = minerAccounts[0];
        uint256 before = token.balanceOf(miner);
        vm.expectEmit(address(network));
        emit INodeRegistry.RewardsWithdrawn(minerIds[0], miner, reward);
        vm.prank(miner);
        assertEq(network.withdrawRewards(minerIds[0]), reward);
        assertEq(token.balanceOf(miner), before + reward);
        assertEq(_node(minerIds[0]).rewards, 0);
        _assertConserved();
    }

    function test_withdrawRewards_afterUnregistering_stillPaysOldAccount() public {
        uint32 sessionId = _session(1, ValidationMode.ExactMatch, AssignmentMode.Router);
        uint256 taskId = _submit(sessionId);
        _assign(taskId, _ids(minerIds[0]));
        _commitRevealAll(taskId, _same(1, keccak256("r")), 100);
        address miner = minerAccounts[0];
        vm.prank(miner);
        network.requestExit();
        vm.warp(block.timestamp + params.unstakeCooldown);
        vm.prank(miner);
        network.withdrawStake();
        vm.prank(miner);
        assertGt(network.withdrawRewards(minerIds[0]), 0);
    }

    function test_withdrawRewards_notAccount_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.NotNodeAccount.selector, minerIds[0], alice));
        vm.prank(alice);
        network.withdrawRewards(minerIds[0]);
    }

    function test_withdrawRewards_nothing_reverts() public {
        vm.expectRevert(INodeRegistry.NothingToWithdraw.selector);
        vm.prank(minerAccounts[0]);
        network.withdrawRewards(minerIds[0]);
    }

    // ================================================================== setParams
    function test_setParams_updatesAndEmits() public {
        Params memory p = params;
        p.protocolFeeBps = 1_000;
        p.unstakeCooldown = 2 hours;
        vm.expectEmit(address(network));
        emit INodeRegistry.ParamsUpdated(p);
        _setParams(p);
        assertEq(network.params().protocolFeeBps, 1_000);
        assertEq(network.params().unstakeCooldown, 2 hours);
    }

    function test_setParams_notOwner_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        network.setParams(params);
    }

    function _expectParamRevert(Params memory p, string memory name, uint256 value, uint256 cap) internal {
        vm.expectRevert(abi.encodeWithSelector(INodeRegistry.ParamOutOfRange.selector, name, value, cap));
        vm.prank(owner);
        network.setParams(p);
    }

    function test_setParams_minStakeMinerZero_reverts() public {
        Params memory p = params;
        p.minStakeMiner = 0;
        _expectParamRevert(p, "minStakeMiner", 0, 1);
    }

    function test_setParams_minStakeRouterZero_reverts() public {
        Params memory p = params;
        p.minStakeRouter = 0;
        _expectParamRevert(p, "minStakeRouter", 0, 1);
    }

    function test_setParams_minStakeValidatorZero_reverts() public {
        Params memory p = params;
        p.minStakeValidator = 0;
        _expectParamRevert(p, "minStakeValidator", 0, 1);
    }

    function test_setParams_cooldownCap_reverts() public {
        Params memory p = params;
        p.unstakeCooldown = 30 days + 1;
        _expectParamRevert(p, "unstakeCooldown", 30 days + 1, 30 days);
    }

    function test_setParams_protocolFeeCap_reverts() public {
        Params memory p = params;
        p.protocolFeeBps = 1_001;
        _expectParamRevert(p, "protocolFeeBps", 1_001, 1_000);
    }

    function test_setParams_validatorFeeCap_reverts() public {
        Params memory p = params;
        p.validatorFeeBps = 1_001;
        _expectParamRevert(p, "validatorFeeBps", 1_001, 1_000);
    }

    function test_setParams_routerFeeCap_reverts() public {
        Params memory p = params;
        p.routerFeeBps = 1_001;
        _expectParamRevert(p, "routerFeeBps", 1_001, 1_000);
    }

    function test_setParams_totalFeeCap_reverts() public {
        Params memory p = params;
        (p.protocolFeeBps, p.validatorFeeBps, p.routerFeeBps) = (1_000, 1_000, 501);
        _expectParamRevert(p, "totalFeeBps", 2_501, 2_500);
    }

    function test_setParams_rejectSlashCap_reverts() public {
        Params memory p = params;
        p.rejectSlashBps = 5_001;
        _expectParamRevert(p, "rejectSlashBps", 5_001, 5_000);
    }

    function test_setParams_withholdSlashCap_reverts() public {
        Params memory p = params;
        p.withholdSlashBps = 5_001;
        _expectParamRevert(p, "withholdSlashBps", 5_001, 5_000);
    }

    /// @dev Withholding a reveal must never be cheaper than revealing a result that gets rejected.
    function test_setParams_withholdBelowReject_reverts() public {
        Params memory p = params;
        (p.rejectSlashBps, p.withholdSlashBps) = (2_000, 1_999);
        _expectParamRevert(p, "withholdSlashBps", 1_999, 2_000);
    }

    function test_setParams_withholdEqualsReject_succeeds() public {
        Params memory p = params;
        (p.rejectSlashBps, p.withholdSlashBps) = (2_000, 2_000);
        _setParams(p);
        assertEq(network.params().withholdSlashBps, 2_000);
    }

    function test_setParams_validatorSlashCap_reverts() public {
        Params memory p = params;
        p.validatorSlashBps = 5_001;
        _expectParamRevert(p, "validatorSlashBps", 5_001, 5_000);
    }

    function test_setParams_zeroProtocolFee_reverts() public {
        Params memory p = params;
        p.protocolFeeBps = 0;
        _expectParamRevert(p, "protocolFeeBps", 0, 1);
    }

    function test_setParams_zeroMinPrice_reverts() public {
        Params memory p = params;
        p.minPricePerToken = 0;
        _expectParamRevert(p, "minPricePerToken", 0, 1);
    }

    function test_setParams_zeroMinQuorum_reverts() public {
        Params memory p = params;
        p.minQuorum = 0;
        _expectParamRevert(p, "minQuorum", 0, 7);
    }

    function test_setParams_evenMinQuorum_reverts() public {
        Params memory p = params;
        p.minQuorum = 2;
        _expectParamRevert(p, "minQuorum", 2, 7);
    }

    function test_setParams_minQuorumAboveMax_reverts() public {
        Params memory p = params;
        p.minQuorum = 9;
        _expectParamRevert(p, "minQuorum", 9, 7);
    }

    function test_setParams_maxRetryLimitCap_reverts() public {
        Params memory p = params;
        p.maxRetryLimit = 8;
        _expectParamRevert(p, "maxRetryLimit", 8, 7);
    }

    function test_setParams_auditCap_reverts() public {
        Params memory p = params;
        p.auditBps = 10_001;
        _expectParamRevert(p, "auditBps", 10_001, 10_000);
    }

    function test_setParams_embeddingBarCap_reverts() public {
        Params memory p = params;
        p.embeddingBarBps = 10_001;
        _expectParamRevert(p, "embeddingBarBps", 10_001, 10_000);
    }

    function test_setParams_replayBarCap_reverts() public {
        Params memory p = params;
        p.replayBarBps = 10_001;
        _expectParamRevert(p, "replayBarBps", 10_001, 10_000);
    }

    function test_setParams_newFieldsAtBounds_succeed() public {
        Params memory p = params;
        (p.minQuorum, p.maxRetryLimit, p.auditBps, p.minPricePerToken) = (7, 7, 10_000, 1);
        (p.embeddingBarBps, p.replayBarBps, p.reputationFeeUnit) = (10_000, 10_000, 0);
        vm.expectEmit(address(network));
        emit INodeRegistry.ParamsUpdated(p);
        _setParams(p);
        assertEq(network.params().minQuorum, 7);
        assertEq(network.params().maxRetryLimit, 7);
        assertEq(network.params().auditBps, 10_000);
        assertEq(network.params().minPricePerToken, 1);
    }

    function test_setParams_attestDeviationCap_reverts() public {
        Params memory p = params;
        p.attestDeviationBps = 10_001;
        _expectParamRevert(p, "attestDeviationBps", 10_001, 10_000);
    }

    // ================================================================== withdrawProtocolFees
    function test_withdrawProtocolFees_paysOwnerChoice() public {
        uint256 taskId = _assignedTask(1, ValidationMode.ExactMatch);
        _commitRevealAll(taskId, _same(1, keccak256("r")), 100);
        uint256 fees = network.protocolFees();
        assertEq(fees, 100 * PRICE * params.protocolFeeBps / 10_000);

        vm.expectEmit(address(network));
        emit INodeRegistry.ProtocolFeesWithdrawn(alice, fees);
        vm.prank(owner);
        assertEq(network.withdrawProtocolFees(alice), fees);
        assertEq(token.balanceOf(alice), 10_000 ether + fees);
        assertEq(network.protocolFees(), 0);
        _assertConserved();
    }

    function test_withdrawProtocolFees_notOwner_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        network.withdrawProtocolFees(alice);
    }

    function test_withdrawProtocolFees_nothing_reverts() public {
        vm.expectRevert(INodeRegistry.NothingToWithdraw.selector);
        vm.prank(owner);
        network.withdrawProtocolFees(owner);
    }

    // ================================================================== ownership
    function test_renounceOwnership_reverts() public {
        vm.expectRevert(INodeRegistry.RenounceDisabled.selector);
        vm.prank(owner);
        Ownable2Step(address(network)).renounceOwnership();
        assertEq(Ownable2Step(address(network)).owner(), owner);
    }

    function test_renounceOwnership_notOwner_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        Ownable2Step(address(network)).renounceOwnership();
    }

    function test_transferOwnership_twoStep() public {
        Ownable2Step o = Ownable2Step(address(network));
        vm.prank(owner);
        o.transferOwnership(alice);
        assertEq(o.owner(), owner); // nothing changes until the new owner accepts
        assertEq(o.pendingOwner(), alice);
        vm.prank(alice);
        o.acceptOwnership();
        assertEq(o.owner(), alice);
        _expectParamRevertAs(owner);
    }

    function _expectParamRevertAs(address caller) internal {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        vm.prank(caller);
        network.setParams(params);
    }

    // ================================================================== direct calls
    function test_registry_directCall_reverts() public {
        CorRegistry registry = CorRegistry(network.registry());
        vm.expectRevert(CorRegistry.DirectCall.selector);
        vm.prank(alice);
        registry.register(Role.Miner, STAKE, _models(MODEL), KEY, "x", _offer());
    }

    function test_registry_directGovernanceCall_reverts() public {
        CorRegistry registry = CorRegistry(network.registry());
        vm.expectRevert(CorRegistry.DirectCall.selector);
        registry.setParams(params);
    }
}
