// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AssignmentMode, SessionConfig, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice H-2 Owner rejects all: the session owner used to set the acceptance threshold to 10000 so that honest
/// results scored 9900 were rejected and slashed and the escrow came back. The bar is now a protocol parameter.
contract OwnerRejectsAllAttack is AttackBase {
    function test_attack_ownerRejectsAll_barIsAProtocolParameter() public {
        SessionConfig memory c = _config(3, ValidationMode.Embedding, AssignmentMode.Router);
        // Nothing in the config lets the owner raise the bar: the closest knob left is the quorum.
        uint32 sessionId = _openAs(attacker, c, 1_000 ether);
        uint256 taskId = _submitAs(attacker, sessionId);
        _assign(taskId, _firstMiners(3));
        uint96[3] memory stakes = [_stake(minerIds[0]), _stake(minerIds[1]), _stake(minerIds[2])];
        // Honest but non-identical results (sampling) → Validating; an honest validator scores 9900 each.
        _play(taskId, _hashes3(keccak256("a"), keccak256("b"), keccak256("c")), 50);
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Validating));
        _attest(0, taskId, _scores(9_900, 9_900, 9_900));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized), "accepted against the protocol bar");
        for (uint256 i; i < 3; ++i) {
            assertEq(_stake(minerIds[i]), stakes[i], "honest miner not slashed");
            assertGt(_rewards(minerIds[i]), 0, "honest miner paid");
        }
    }
}
