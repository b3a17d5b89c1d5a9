// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {StakeTree} from "../libraries/StakeTree.sol";

/// @title StakeTreeHarness
/// @notice Test-only: exposes {StakeTree} for tests and gas measurement. Never deployed.
contract StakeTreeHarness {
    using StakeTree for StakeTree.Tree;

    /// @notice First address `populate` fabricates; member i is `FABRICATED_BASE + i`.
    uint160 public constant FABRICATED_BASE = uint160(0x5374616b6554726565) << 88;

    StakeTree.Tree private _tree;

    /// @notice {StakeTree.set}.
    function set(address member, uint256 weight) external {
        _tree.set(member, weight);
    }

    /// @notice {StakeTree.set} for each pair, in order.
    function setMany(address[] calldata members, uint256[] calldata weights) external {
        for (uint256 i; i < members.length; ++i) {
            _tree.set(members[i], weights[i]);
        }
    }

    /// @notice Sets members `FABRICATED_BASE + first` … `FABRICATED_BASE + first + n − 1` to `weight`.
    function populate(uint256 first, uint256 n, uint256 weight) external {
        for (uint256 i = first; i < first + n; ++i) {
            _tree.set(address(FABRICATED_BASE + uint160(i)), weight);
        }
    }

    /// @notice {StakeTree.set}, returning the gas the library used (call it with eth_call).
    function measureSet(address member, uint256 weight) external returns (uint256 gasUsed) {
        gasUsed = gasleft();
        _tree.set(member, weight);
        gasUsed -= gasleft();
    }

    /// @notice {StakeTree.weightOf}.
    function weightOf(address member) external view returns (uint256) {
        return _tree.weightOf(member);
    }

    /// @notice {StakeTree.weightOf} for each member.
    function weightsOf(address[] calldata members) external view returns (uint256[] memory weights) {
        weights = new uint256[](members.length);
        for (uint256 i; i < members.length; ++i) {
            weights[i] = _tree.weightOf(members[i]);
        }
    }

    /// @notice {StakeTree.total}.
    function total() external view returns (uint256) {
        return _tree.total();
    }

    /// @notice {StakeTree.count}.
    function count() external view returns (uint256) {
        return _tree.count();
    }

    /// @notice {StakeTree.draw}.
    function draw(uint256 seed) external view returns (address) {
        return _tree.draw(seed);
    }

    /// @notice {StakeTree.draw} for each seed.
    function drawMany(uint256[] calldata seeds) external view returns (address[] memory members) {
        members = new address[](seeds.length);
        for (uint256 i; i < seeds.length; ++i) {
            members[i] = _tree.draw(seeds[i]);
        }
    }

    /// @notice {StakeTree.draw}, with the gas the library used.
    function measureDraw(uint256 seed) external view returns (address member, uint256 gasUsed) {
        gasUsed = gasleft();
        member = _tree.draw(seed);
        gasUsed -= gasleft();
    }

    /// @notice {StakeTree.sample}.
    function sample(uint256 seed, uint256 k, address[] calldata exclude) external view returns (address[] memory) {
        return _tree.sample(seed, k, exclude);
    }

    /// @notice {StakeTree.sample}, with the gas the library used.
    function measureSample(uint256 seed, uint256 k, address[] calldata exclude)
        external
        view
        returns (address[] memory members, uint256 gasUsed)
    {
        gasUsed = gasleft();
        members = _tree.sample(seed, k, exclude);
        gasUsed -= gasleft();
    }
}
