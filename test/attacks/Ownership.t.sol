// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice L-6 renounceOwnership froze parameters and locked protocol fees forever.
contract OwnershipAttack is AttackBase {
    function test_attack_renounceOwnership_reverts() public {
        vm.prank(owner);
        vm.expectRevert(INodeRegistry.RenounceDisabled.selector);
        Ownable2Step(address(network)).renounceOwnership();
        assertEq(Ownable2Step(address(network)).owner(), owner);
    }

    function test_attack_ownershipTransfer_isTwoStep() public {
        Ownable2Step o = Ownable2Step(address(network));
        vm.prank(owner);
        o.transferOwnership(attacker);
        assertEq(o.owner(), owner, "nothing changes until accepted");
        vm.prank(attacker);
        o.acceptOwnership();
        assertEq(o.owner(), attacker);
    }
}
