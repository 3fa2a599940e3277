// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NodeLedger, TaskState} from "../types/Types.sol";

/// @title Packing
/// @notice One-SLOAD / one-SSTORE access to the two single-slot structs of the hot path, NodeLedger and TaskState.
/// Solidity's legacy code generator reads a packed slot once per field read and writes it once per field
/// assignment; these helpers decode the whole word into a memory struct and encode it back, so a transaction pays
/// for each slot once.
/// @dev The bit offsets are Solidity's own packing of the structs (fields from the low-order bits, in declaration
/// order), so views and cold paths that use plain field access see the same values; test/Packing.t.sol checks the
/// round trip both ways. A memory struct holds one 32-byte word per field, in declaration order. Every field is
/// masked to its width on the way in and out, so dirty high bits can never leak into a neighbouring field.
library Packing {
    // ------------------------------------------------------------------ NodeLedger
    // status 8 @0 | score 16 @8 | speed 16 @24 | accepted 24 @40 | rejected 24 @64 | timedOut 24 @88 | open 16 @112
    // | tokensServed 32 @128 | rewards 96 @160

    function load(NodeLedger storage p) internal view returns (NodeLedger memory l) {
        assembly ("memory-safe") {
            let w := sload(p.slot)
            mstore(l, and(w, 0xff))
            mstore(add(l, 0x20), and(shr(8, w), 0xffff))
            mstore(add(l, 0x40), and(shr(24, w), 0xffff))
            mstore(add(l, 0x60), and(shr(40, w), 0xffffff))
            mstore(add(l, 0x80), and(shr(64, w), 0xffffff))
            mstore(add(l, 0xa0), and(shr(88, w), 0xffffff))
            mstore(add(l, 0xc0), and(shr(112, w), 0xffff))
            mstore(add(l, 0xe0), and(shr(128, w), 0xffffffff))
            mstore(add(l, 0x100), shr(160, w))
        }
    }

    function store(NodeLedger storage p, NodeLedger memory l) internal {
        assembly ("memory-safe") {
            let w := and(mload(l), 0xff)
            w := or(w, shl(8, and(mload(add(l, 0x20)), 0xffff)))
            w := or(w, shl(24, and(mload(add(l, 0x40)), 0xffff)))
            w := or(w, shl(40, and(mload(add(l, 0x60)), 0xffffff)))
            w := or(w, shl(64, and(mload(add(l, 0x80)), 0xffffff)))
            w := or(w, shl(88, and(mload(add(l, 0xa0)), 0xffffff)))
            w := or(w, shl(112, and(mload(add(l, 0xc0)), 0xffff)))
            w := or(w, shl(128, and(mload(add(l, 0xe0)), 0xffffffff)))
            w := or(w, shl(160, and(mload(add(l, 0x100)), 0xffffffffffffffffffffffff)))
            sstore(p.slot, w)
        }
    }

    // ------------------------------------------------------------------ TaskState
    // status 8 @0 | committedMask 8 @8 | revealedMask 8 @16 | droppedMask 8 @24 | matchedMask 8 @32 | lead 8 @40
    // | winner 8 @48 | retries 8 @56 | attestations 8 @64 | redundancy 8 @72 | maxTokens 24 @80
    // | leadTokens 24 @104 | deadline 40 @128 | assignedAt 32 @168 | commitDelays 56 @200

    function load(TaskState storage p) internal view returns (TaskState memory t) {
        assembly ("memory-safe") {
            let w := sload(p.slot)
            mstore(t, and(w, 0xff))
            mstore(add(t, 0x20), and(shr(8, w), 0xff))
            mstore(add(t, 0x40), and(shr(16, w), 0xff))
            mstore(add(t, 0x60), and(shr(24, w), 0xff))
            mstore(add(t, 0x80), and(shr(32, w), 0xff))
            mstore(add(t, 0xa0), and(shr(40, w), 0xff))
            mstore(add(t, 0xc0), and(shr(48, w), 0xff))
            mstore(add(t, 0xe0), and(shr(56, w), 0xff))
            mstore(add(t, 0x100), and(shr(64, w), 0xff))
            mstore(add(t, 0x120), and(shr(72, w), 0xff))
            mstore(add(t, 0x140), and(shr(80, w), 0xffffff))
            mstore(add(t, 0x160), and(shr(104, w), 0xffffff))
            mstore(add(t, 0x180), and(shr(128, w), 0xffffffffff))
            mstore(add(t, 0x1a0), and(shr(168, w), 0xffffffff))
            mstore(add(t, 0x1c0), shr(200, w))
        }
    }

    function store(TaskState storage p, TaskState memory t) internal {
        assembly ("memory-safe") {
            let w := and(mload(t), 0xff)
            w := or(w, shl(8, and(mload(add(t, 0x20)), 0xff)))
            w := or(w, shl(16, and(mload(add(t, 0x40)), 0xff)))
            w := or(w, shl(24, and(mload(add(t, 0x60)), 0xff)))
            w := or(w, shl(32, and(mload(add(t, 0x80)), 0xff)))
            w := or(w, shl(40, and(mload(add(t, 0xa0)), 0xff)))
            w := or(w, shl(48, and(mload(add(t, 0xc0)), 0xff)))
            w := or(w, shl(56, and(mload(add(t, 0xe0)), 0xff)))
            w := or(w, shl(64, and(mload(add(t, 0x100)), 0xff)))
            w := or(w, shl(72, and(mload(add(t, 0x120)), 0xff)))
            w := or(w, shl(80, and(mload(add(t, 0x140)), 0xffffff)))
            w := or(w, shl(104, and(mload(add(t, 0x160)), 0xffffff)))
            w := or(w, shl(128, and(mload(add(t, 0x180)), 0xffffffffff)))
            w := or(w, shl(168, and(mload(add(t, 0x1a0)), 0xffffffff)))
            w := or(w, shl(200, and(mload(add(t, 0x1c0)), 0xffffffffffffff)))
            sstore(p.slot, w)
        }
    }
}
