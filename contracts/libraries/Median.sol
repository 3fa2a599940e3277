// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Median
/// @notice Median of a small array (n ≤ 7 validator scores): insertion sort in memory.
library Median {
    /// @dev Sorts `values` in place. For even n the median is the floor of the mean of the two middle values.
    function median(uint256[] memory values) internal pure returns (uint256) {
        uint256 n = values.length;
        for (uint256 i = 1; i < n; ++i) {
            uint256 v = values[i];
            uint256 j = i;
            while (j > 0 && values[j - 1] > v) {
                values[j] = values[j - 1];
                --j;
            }
            values[j] = v;
        }
        if (n & 1 == 1) return values[n >> 1];
        return (values[(n >> 1) - 1] + values[n >> 1]) >> 1;
    }
}
