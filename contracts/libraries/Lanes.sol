// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Lanes
/// @notice Fixed-width lanes packed in one word: up to seven 32-bit values (node ids, token counts) per storage
/// slot, so a task with R ≤ 7 miners keeps its slot table in one SSTORE.
library Lanes {
    uint256 internal constant MASK32 = 0xffffffff;

    function get32(uint256 word, uint256 i) internal pure returns (uint32) {
        return uint32(word >> (i << 5));
    }

    function set32(uint256 word, uint256 i, uint32 value) internal pure returns (uint256) {
        uint256 shift = i << 5;
        return (word & ~(MASK32 << shift)) | (uint256(value) << shift);
    }

    function get8(uint256 word, uint256 i) internal pure returns (uint8) {
        return uint8(word >> (i << 3));
    }

    function set8(uint256 word, uint256 i, uint8 value) internal pure returns (uint256) {
        uint256 shift = i << 3;
        return (word & ~(uint256(0xff) << shift)) | (uint256(value) << shift);
    }

    /// @notice Whether any of the first `n` 32-bit lanes equals `value`.
    function contains32(uint256 word, uint256 n, uint32 value) internal pure returns (bool) {
        for (uint256 i; i < n; ++i) {
            if (uint32(word >> (i << 5)) == value) return true;
        }
        return false;
    }
}
