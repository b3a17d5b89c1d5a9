// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IContentRegistry} from "../interfaces/IContentRegistry.sol";

/// @title ThresholdShares
/// @notice What the content registry checks of a `Threshold` registration without doing any
/// elliptic-curve arithmetic: the draw's seed, the shape of the Feldman commitments, and that
/// every sealed share is addressed to the member drawn for its slot (docs/threshold.md). The
/// members check the shares themselves against the commitments before they confirm.
library ThresholdShares {
    /// @dev Blocks back the publisher may pick its draw block from (its only grinding freedom).
    uint256 internal constant DRAW_WINDOW = 64;
    uint256 internal constant COMMITMENT_BYTES = 33;
    /// @dev version 1 + uint16 index 2 + member 20 + KID 8 + ephemeral key 33 + AES-GCM(share) 48
    /// (node/crypto/threshold/sealedShare.ts).
    uint256 internal constant SEALED_SHARE_BYTES = 112;
    uint8 internal constant SEALED_SHARE_VERSION = 1;

    /// @dev keccak256(blockhash(drawBlock), contentId) for a block among the last 64.
    function drawSeed(uint256 drawBlock, bytes32 contentId) internal view returns (uint256) {
        if (drawBlock >= block.number || drawBlock + DRAW_WINDOW < block.number) {
            revert IContentRegistry.ContentRegistryInvalidDrawBlock(drawBlock);
        }
        return uint256(keccak256(abi.encode(blockhash(drawBlock), contentId)));
    }

    /// @dev m compressed points (prefix 02 or 03); whether they lie on P-256 the members check.
    function checkCommitments(bytes calldata commitments, uint256 m) internal pure {
        if (commitments.length != m * COMMITMENT_BYTES) revert IContentRegistry.ContentRegistryInvalidCommitments();
        for (uint256 offset; offset < commitments.length; offset += COMMITMENT_BYTES) {
            bytes1 prefix = commitments[offset];
            if (prefix != 0x02 && prefix != 0x03) revert IContentRegistry.ContentRegistryInvalidCommitments();
        }
    }

    /// @dev Sealed share i must be version 1, index base + i + 1, addressed to members[i] (base 0
    /// at registration, the highest index in use at a re-deal). Its KID is not looked up (five
    /// registry calls cost ≈ 12,500 gas): a share sealed to a key the member does not hold hurts
    /// only the publisher, and the member reports it like an unusable header.
    function checkSealedShares(bytes calldata sealedShares, address[] memory members, uint256 base) internal pure {
        if (sealedShares.length != members.length * SEALED_SHARE_BYTES) {
            revert IContentRegistry.ContentRegistryInvalidSealedShares();
        }
        for (uint256 i; i < members.length; ++i) {
            uint256 index = base + i + 1;
            uint256 head;
            assembly ("memory-safe") {
                // The share's clear head, version (1 byte) ‖ index (2) ‖ member (20), in one word
                // read; the length check above keeps it within the shares.
                head := shr(72, calldataload(add(sealedShares.offset, mul(i, SEALED_SHARE_BYTES))))
            }
            uint256 expected = (uint256(SEALED_SHARE_VERSION) << 176) | (index << 160) | uint160(members[i]);
            if (index > type(uint16).max || head != expected) revert IContentRegistry.ContentRegistrySealedShareMismatch(i);
        }
    }

    /// @dev commit(contentId, slots) for freshly dealt slots (members[i], index i + 1, no previous
    /// member), hashed from the same ABI encoding without building the slot structs.
    function commitDealt(bytes32 contentId, address[] memory members) internal pure returns (uint96 commitment) {
        assembly ("memory-safe") {
            // abi.encode(contentId, slots) in scratch memory past the free-memory pointer.
            let n := mload(members)
            let encoded := mload(0x40)
            mstore(encoded, contentId)
            mstore(add(encoded, 0x20), 0x40)
            mstore(add(encoded, 0x40), n)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let slot := add(encoded, add(0x60, mul(i, 0x60)))
                mstore(slot, mload(add(members, mul(add(i, 1), 0x20))))
                mstore(add(slot, 0x20), add(i, 1))
                mstore(add(slot, 0x40), 0)
            }
            commitment := and(keccak256(encoded, add(0x60, mul(n, 0x60))), 0xffffffffffffffffffffffff)
        }
    }

    /// @dev Commitment to a content's slots (record bits 191..96, as for a stake(k) set).
    function commit(bytes32 contentId, IContentRegistry.ThresholdSlot[] memory slots) internal pure returns (uint96) {
        return uint96(uint256(keccak256(abi.encode(contentId, slots))));
    }
}
