// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

// Test-only tokens and targets for policy conditions (docs/conditions.md). Anyone may mint and
// burn: tests move balances across a condition's threshold. Never deployed outside tests and
// the devnet.

/// @notice An ERC-20 anyone can mint and burn.
contract ConditionTestERC20 is ERC20 {
    constructor() ERC20("Condition Test Token", "CTT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function burn(address from, uint256 amount) external {
        _burn(from, amount);
    }
}

/// @notice An ERC-721 anyone can mint and burn.
contract ConditionTestERC721 is ERC721 {
    constructor() ERC721("Condition Test NFT", "CTN") {}

    function mint(address to, uint256 id) external {
        _mint(to, id);
    }

    function burn(uint256 id) external {
        _burn(id);
    }
}

/// @notice An ERC-1155 anyone can mint and burn.
contract ConditionTestERC1155 is ERC1155 {
    constructor() ERC1155("") {}

    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }

    function burn(address from, uint256 id, uint256 amount) external {
        _burn(from, id, amount);
    }
}

/// @notice A target whose views misbehave in the ways a condition must survive: revert, burn
/// all gas given, return too little, return a malformed bool or address, return huge data. And
/// two honest views to call with the reader as an argument.
contract ConditionTestTarget {
    mapping(address account => uint256) public score;

    error ConditionTestTargetRefused();

    function setScore(address account, uint256 value) external {
        score[account] = value;
    }

    function isMember(address account) external view returns (bool) {
        return score[account] != 0;
    }

    function reverts(address) external pure returns (uint256) {
        revert ConditionTestTargetRefused();
    }

    /// @dev Loops until the call's gas is gone.
    function burnsGas(address) external view returns (uint256 spent) {
        while (true) {
            spent += gasleft();
        }
    }

    function returnsShort() external pure {
        assembly {
            mstore(0, 1)
            return(0, 16)
        }
    }

    function returnsWord(uint256 word) external pure returns (uint256) {
        return word;
    }

    /// @dev 16 KiB of return data, first word 7: the caller reads the word and copies no more.
    function returnsHuge() external pure {
        assembly {
            mstore(0, 7)
            return(0, 0x4000)
        }
    }
}
