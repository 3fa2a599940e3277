// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {AssignmentMode, TaskStatus, ValidationMode} from "../contracts/types/Types.sol";
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
}
