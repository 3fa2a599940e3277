// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {CorRegistry} from "../contracts/CorRegistry.sol";
import {INodeRegistry} from "../contracts/interfaces/INodeRegistry.sol";
import {AssignmentMode, Node, NodeStatus, Params, Role, ValidationMode} from "../contracts/types/Types.sol";
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
        return network.register(role, stake, models, KEY, "http://alice:8080");
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
        emit INodeRegistry.NodeRegistered(12, alice, Role.Miner, STAKE, _models(MODEL), KEY, "http://alice:8080", 5_000);
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
        assertEq(token.balanceOf(address(network)), before + STAKE);
        _assertConserved();
    }

    function test_register_validatorWithoutModels() public {
        uint32 id = _registerAlice(Role.Validator, 100 ether, new bytes32[](0));
        assertEq(uint8(_node(id).role), uint8(Role.Validator));
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

    function test_setParams_timeoutSlashCap_reverts() public {
        Params memory p = params;
        p.timeoutSlashBps = 5_001;
        _expectParamRevert(p, "timeoutSlashBps", 5_001, 5_000);
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

    // ================================================================== direct calls
    function test_registry_directCall_reverts() public {
        CorRegistry registry = CorRegistry(network.registry());
        vm.expectRevert(CorRegistry.DirectCall.selector);
        vm.prank(alice);
        registry.register(Role.Miner, STAKE, _models(MODEL), KEY, "x");
    }

    function test_registry_directGovernanceCall_reverts() public {
        CorRegistry registry = CorRegistry(network.registry());
        vm.expectRevert(CorRegistry.DirectCall.selector);
        registry.setParams(params);
    }
}
