// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title StakeToken
/// @notice Mintable ERC-20 used as the staking token on development networks. Production
/// deployments point the ValidatorRegistry at an existing ERC-20 instead.
contract StakeToken is ERC20, Ownable {
    constructor(address initialOwner) ERC20("dekmesh Stake", "DEKS") Ownable(initialOwner) {}

    /// @notice Mints `amount` tokens to `to`. Only the owner (the deployer on devnets) can mint.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
