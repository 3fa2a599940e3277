// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title COR token
/// @notice Fixed-supply ERC20 with EIP-2612 permit. The whole supply is minted once to `holder`.
contract CORToken is ERC20, ERC20Permit {
    constructor(address holder, uint256 supply) ERC20("COR", "COR") ERC20Permit("COR") {
        _mint(holder, supply);
    }
}
