// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {AssignmentMode, Offer, Role, SessionConfig, TaskStatus, ValidationMode} from "../../contracts/types/Types.sol";
import {Deploy} from "../../script/lib/Deploy.sol";
import {AttackBase} from "./AttackBase.sol";

/// @notice M-5 Sybil rings: one operator claims every slot (Claim mode) or a router assigns its own sybils; identical
/// garbage used to be accepted on the fast path with no validator. In Embedding / Replay sessions the fast path is
/// now sampled for validation (params.auditBps) with a seed no committer can know, and an audited ring of garbage is
/// rejected and slashed in every slot.
contract SybilRingAttack is AttackBase {
    uint32[3] internal ring;
    address[3] internal ringAccounts;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 3; ++i) {
            (ringAccounts[i], ring[i]) = _sybil(
                string.concat("ring", vm.toString(i)), Role.Miner, Offer({minPrice: 0, capacity: 1_000, modes: 7})
            );
        }
    }

    function _claimAll(uint256 taskId) internal {
        for (uint256 i; i < 3; ++i) {
            vm.prank(ringAccounts[i]);
            network.claimTask(taskId);
        }
    }

    /// @dev The ring commits identical garbage, waits one block, reveals. Returns the final status.
    function _ringTask(uint32 sessionId) internal returns (uint256 taskId, TaskStatus status) {
        taskId = _submit(sessionId);
        _claimAll(taskId);
        _play(taskId, _same(3, keccak256(abi.encode("garbage", taskId))), 100);
        status = _status(taskId);
    }

    function test_attack_sybilRing_auditedRingIsRejectedAndSlashed() public {
        params.auditBps = 10_000; // every fast-path result audited: the mechanism, deterministically
        _setParams(params);
        uint32 sessionId = _openSession(_config(3, ValidationMode.Replay, AssignmentMode.Claim), DEPOSIT);
        (uint256 taskId, TaskStatus status) = _ringTask(sessionId);
        assertEq(uint8(status), uint8(TaskStatus.Validating), "agreeing garbage goes to validators");
        _attest(0, taskId, _scores(0, 0, 0));
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Failed));
        for (uint256 i; i < 3; ++i) {
            assertEq(_rewards(ring[i]), 0, "ring unpaid");
            assertEq(_stake(ring[i]), STAKE - STAKE * params.rejectSlashBps / 10_000, "ring slashed");
        }
    }

    function test_attack_sybilRing_sameBlockRevealIsAlwaysAudited() public {
        params.auditBps = 1; // almost never by the draw
        _setParams(params);
        uint32 sessionId = _openSession(_config(3, ValidationMode.Replay, AssignmentMode.Claim), DEPOSIT);
        uint256 taskId = _submit(sessionId);
        _claimAll(taskId);
        bytes32 h = keccak256("garbage");
        for (uint8 i; i < 3; ++i) {
            _commit(taskId, i, h, 100);
        }
        // Revealing in the block of the last commit would let the ring know the seed: it is audited instead.
        for (uint8 i; i < 3; ++i) {
            _reveal(taskId, i, h, 100);
        }
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Validating));
    }

    function test_attack_sybilRing_sampleRateAndExpectedLoss() public {
        // Default audit rate: count audited ring tasks over many trials and print the ring's expected balance.
        params.auditBps = Deploy.defaultParams().auditBps;
        _setParams(params);
        SessionConfig memory c = _config(3, ValidationMode.Replay, AssignmentMode.Claim);
        uint32 sessionId = _openSession(c, 1_000_000 ether);
        uint256 audited;
        uint256 topups;
        uint256 trials = 300;
        for (uint256 k; k < trials; ++k) {
            (uint256 taskId, TaskStatus status) = _ringTask(sessionId);
            if (status == TaskStatus.Validating) {
                ++audited;
                _attest(0, taskId, _scores(0, 0, 0));
            }
            // Ring members that fell below the minimum stake are jailed: top up and unjail to keep playing.
            for (uint256 i; i < 3; ++i) {
                if (_stake(ring[i]) < params.minStakeMiner) {
                    vm.startPrank(ringAccounts[i]);
                    network.addStake(params.minStakeMiner);
                    topups += params.minStakeMiner;
                    network.unjail();
                    vm.stopPrank();
                }
            }
        }
        uint256 gain;
        uint256 slashed = topups;
        for (uint256 i; i < 3; ++i) {
            gain += _rewards(ring[i]);
            slashed += STAKE - _stake(ring[i]);
        }
        console.log("audited ring tasks:", audited, "of", trials);
        console.log("ring rewards for garbage (wei):", gain);
        console.log("ring stake slashed (wei):", slashed);
        assertGt(audited, trials * 5 / 100, "audit rate not below half the parameter");
        assertLt(audited, trials * 20 / 100, "audit rate not above twice the parameter");
    }
}
