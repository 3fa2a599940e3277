// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {AssignmentMode, Reveal, RootReveal, TaskStatus, ValidationMode} from "../contracts/types/Types.sol";
import {BaseTest} from "./utils/BaseTest.sol";

/// @notice Gas of a full task lifecycle (submit → assign → commit×R → reveal×R → settle), per transaction,
/// excluding the 21,000 intrinsic gas of each transaction. Run with --isolate so every call is its own
/// transaction (cold storage, real refunds): `npm run gas`. Snapshots live in snapshots/ and CI checks them.
///
/// Steady state: a warm-up task runs first, so the miners' reward ledgers are non-zero, as on a live network.
///
/// Without --isolate (a plain `forge test`) the lifecycles still run and are checked, but nothing is measured or
/// written: in-process calls share warm storage and have no intrinsic cost, so their figures would be meaningless.
contract CorNetworkGasTest is BaseTest {
    uint256 internal constant INTRINSIC = 21_000;
    uint256 internal total;
    bool internal isolated;

    function setUp() public override {
        super.setUp();
        // Under --isolate every call is a transaction and pays the 21,000 intrinsic gas; in-process, repeating a
        // no-op approve costs a few hundred gas.
        token.approve(address(network), 1);
        token.approve(address(network), 1);
        isolated = vm.lastCallGas().gasTotalUsed >= INTRINSIC;
    }

    function _measure(string memory label) internal {
        if (!isolated) return;
        uint256 used = vm.lastCallGas().gasTotalUsed - INTRINSIC;
        total += used;
        vm.snapshotValue("lifecycle", label, used);
    }

    function _lifecycle(uint8 r, bool differ, string memory name) internal {
        ValidationMode mode = differ ? ValidationMode.Embedding : ValidationMode.ExactMatch;
        uint32 sessionId = _openSession(_config(r, mode, AssignmentMode.Router), 10_000 ether);
        // Warm-up task: every miner and the router get a non-zero reward ledger.
        uint256 warm = _submit(sessionId);
        _assign(warm, _firstMiners(r));
        _commitRevealAll(warm, _same(r, keccak256("warm")), 10);

        total = 0;
        vm.prank(client);
        uint256 taskId = network.submitTask(
            sessionId, keccak256("prompt"), "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", MAX_TOKENS
        );
        _measure(string.concat(name, "_submit"));
        vm.prank(routerAccount);
        network.assignTask(taskId, _firstMiners(r));
        _measure(string.concat(name, "_assign"));
        bytes32[] memory hashes = _same(r, keccak256("result"));
        if (differ) hashes[r - 1] = keccak256("garbage");
        for (uint8 i; i < r; ++i) {
            address miner = minerAccounts[i];
            bytes32 c = _commitment(taskId, miner, hashes[i], 200, _salt(taskId, i));
            vm.prank(miner);
            network.commit(taskId, i, c);
            _measure(string.concat(name, "_commit", vm.toString(i)));
        }
        for (uint8 i; i < r; ++i) {
            vm.prank(minerAccounts[i]);
            network.reveal(
                taskId,
                i,
                hashes[i],
                _salt(taskId, i),
                200,
                "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
            );
            _measure(string.concat(name, "_reveal", vm.toString(i)));
        }
        if (differ) {
            uint16[] memory scores = new uint16[](r);
            for (uint256 i; i < r; ++i) {
                scores[i] = i == r - 1 ? 3_000 : 9_900;
            }
            vm.prank(validatorAccounts[0]);
            network.attest(taskId, scores);
            _measure(string.concat(name, "_attest"));
        }
        assertEq(uint8(_status(taskId)), uint8(TaskStatus.Finalized));
        if (!isolated) return;
        vm.snapshotValue("lifecycle", string.concat(name, "_total"), total);
        console.log("%s total gas (excl. 21k/tx): %d", name, total);
    }

    function test_gas_fastPath_r1() public {
        _lifecycle(1, false, "fast_r1");
    }

    function test_gas_fastPath_r3() public {
        _lifecycle(3, false, "fast_r3");
    }

    function test_gas_fastPath_r5() public {
        _lifecycle(5, false, "fast_r5");
    }

    function test_gas_embedding_r3() public {
        _lifecycle(3, true, "embedding_r3");
    }

    function test_gas_embedding_r5() public {
        _lifecycle(5, true, "embedding_r5");
    }

    /// @dev Batched lifecycle of `n` R=3 fast-path tasks: submitMany (client), assignMany (router), then per miner one
    /// commit batch and one reveal batch: commitMany / revealMany (`rooted` false) or commitRoot / revealRoot (one
    /// Merkle root per miner per batch). Measures gas per task all-in: execution plus the 21,000 intrinsic gas of
    /// each of the 8 transactions, divided by `n`.
    function _batchedLifecycle(uint256 n, bool rooted, string memory name) internal {
        uint8 r = 3;
        uint32 sessionId = _openSession(_config(r, ValidationMode.ExactMatch, AssignmentMode.Router), 100_000 ether);
        uint256 warm = _submit(sessionId);
        _assign(warm, _firstMiners(r));
        _commitRevealAll(warm, _same(r, keccak256("warm")), 10);

        total = 0;
        bytes32[] memory prompts = new bytes32[](n);
        string[] memory cids = new string[](n);
        uint24[] memory maxTokens = new uint24[](n);
        uint256[] memory taskIds = new uint256[](n);
        uint32[][] memory assignments = new uint32[][](n);
        for (uint256 k; k < n; ++k) {
            prompts[k] = keccak256(abi.encode("prompt", k));
            cids[k] = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
            maxTokens[k] = MAX_TOKENS;
            assignments[k] = _firstMiners(r);
        }
        vm.prank(client);
        uint256 first = network.submitMany(sessionId, prompts, cids, maxTokens);
        _measureAllIn();
        for (uint256 k; k < n; ++k) {
            taskIds[k] = first + k;
        }
        vm.prank(routerAccount);
        network.assignMany(taskIds, assignments);
        _measureAllIn();
        for (uint8 i; i < r; ++i) {
            uint8[] memory slots = new uint8[](n);
            bytes32[] memory commitments = new bytes32[](n);
            for (uint256 k; k < n; ++k) {
                slots[k] = i;
                commitments[k] = _commitment(
                    taskIds[k], minerAccounts[i], keccak256(abi.encode("result", k)), 200, _salt(taskIds[k], i)
                );
            }
            vm.prank(minerAccounts[i]);
            if (rooted) network.commitRoot(taskIds, slots, _rootOf(commitments));
            else network.commitMany(taskIds, slots, commitments);
            _measureAllIn();
        }
        for (uint8 i; i < r; ++i) {
            if (rooted) {
                _revealRoot(i, taskIds);
            } else {
                vm.prank(minerAccounts[i]);
                network.revealMany(_reveals(i, taskIds));
            }
            _measureAllIn();
        }
        for (uint256 k; k < n; ++k) {
            assertEq(uint8(_status(taskIds[k])), uint8(TaskStatus.Finalized));
        }
        if (!isolated) return;
        vm.snapshotValue("lifecycle", string.concat(name, "_per_task_all_in"), total / n);
        console.log("%s gas per task, all in (incl. 21k/tx): %d", name, total / n);
    }

    function _reveals(uint8 slot, uint256[] memory taskIds) internal pure returns (Reveal[] memory reveals) {
        reveals = new Reveal[](taskIds.length);
        for (uint256 k; k < taskIds.length; ++k) {
            reveals[k] = Reveal({
                taskId: taskIds[k],
                slot: slot,
                resultHash: keccak256(abi.encode("result", k)),
                salt: _salt(taskIds[k], slot),
                tokens: 200,
                resultCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
            });
        }
    }

    /// @dev Every entry of the batch at once: no leaves to pass (the contract rebuilds the whole tree).
    function _revealRoot(uint8 slot, uint256[] memory taskIds) internal {
        uint256 n = taskIds.length;
        uint8[] memory slots = new uint8[](n);
        bytes32[] memory commitments = new bytes32[](n);
        RootReveal[] memory reveals = new RootReveal[](n);
        for (uint256 k; k < n; ++k) {
            slots[k] = slot;
            bytes32 h = keccak256(abi.encode("result", k));
            commitments[k] = _commitment(taskIds[k], minerAccounts[slot], h, 200, _salt(taskIds[k], slot));
            reveals[k] = RootReveal({
                resultHash: h,
                salt: _salt(taskIds[k], slot),
                tokens: 200,
                resultCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
            });
        }
        bytes32 root = _rootOf(commitments);
        vm.prank(minerAccounts[slot]);
        network.revealRoot(root, taskIds, slots, new bytes32[](0), reveals);
    }

    function _measureAllIn() internal {
        if (!isolated) return;
        total += vm.lastCallGas().gasTotalUsed;
        console.log("  batch tx gas (incl. 21k):", vm.lastCallGas().gasTotalUsed);
    }

    function test_gas_batched8_fastPath_r3() public {
        _batchedLifecycle(8, false, "batched8_fast_r3");
    }

    function test_gas_batched8_root_fastPath_r3() public {
        _batchedLifecycle(8, true, "batched8_root_fast_r3");
    }

    function test_gas_single_fastPath_r3_allIn() public {
        // The unbatched reference in the same units: the R=3 lifecycle plus 8 transactions' intrinsic gas.
        _lifecycle(3, false, "single_fast_r3");
        if (isolated) vm.snapshotValue("lifecycle", "single_fast_r3_per_task_all_in", total + 8 * INTRINSIC);
    }
}
