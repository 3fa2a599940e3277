// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {Params, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice L-1 A miner that sees it is in the minority withheld its reveal and lost 2% instead of 10%. Withholding
/// a committed result now costs at least as much as being rejected.
contract WithholdRevealAttack is AttackBase {
    function test_attack_withholdReveal_costsAtLeastRejection() public {
        uint256 taskId = _assignedTask(3, ValidationMode.ExactMatch);
        _commit(taskId, 0, keccak256("good"), 40);
        _commit(taskId, 1, keccak256("good"), 40);
        _commit(taskId, 2, keccak256("garbage"), 40);
        vm.roll(block.number + 1);
        _reveal(taskId, 0, keccak256("good"), 40);
        _reveal(taskId, 1, keccak256("good"), 40);
        // The minority miner sees two matching results and withholds.
        vm.warp(block.timestamp + 61);
        network.expire(taskId, 2);
        uint96 withheldLoss = STAKE - _stake(minerIds[2]);
        assertEq(withheldLoss, STAKE * params.withholdSlashBps / 10_000);
        assertGe(withheldLoss, STAKE * params.rejectSlashBps / 10_000, "withholding is never cheaper");
        assertEq(_rewards(minerIds[2]), 0);
    }

    function test_attack_withholdReveal_paramsCannotMakeItCheaper() public {
        Params memory p = params;
        p.withholdSlashBps = p.rejectSlashBps - 1;
        vm.prank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(
                INodeRegistry.ParamOutOfRange.selector, "withholdSlashBps", p.withholdSlashBps, p.rejectSlashBps
            )
        );
        network.setParams(p);
    }
}
