// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Libp2pPeerId
/// @notice Reads the secp256k1 public key out of a libp2p peer id, as the Ethereum address of
/// that key, so a contract can check a signature by the peer with `ecrecover`.
/// @dev A libp2p peer id is the multihash of the protobuf-encoded public key; an encoding of at
/// most 42 bytes is inlined with the identity multihash, so the key is in the id itself. For a
/// compressed secp256k1 key the id is 39 bytes:
///   0x00 0x25          identity multihash of 37 bytes
///   0x08 0x02          PublicKey.Type = Secp256k1 (2)
///   0x12 0x21          PublicKey.Data, 33 bytes
///   0x02|0x03 ‖ x      SEC1 compressed point (the parity of y, then x)
/// Every other form (Ed25519, ECDSA or RSA keys, sha2-256 multihashes) is refused.
library Libp2pPeerId {
    /// @notice Length of a secp256k1 peer id in binary (multihash) form.
    uint256 internal constant SECP256K1_PEER_ID_LENGTH = 39;

    bytes6 private constant SECP256K1_PREFIX = 0x002508021221;
    /// @dev The secp256k1 field prime. P ≡ 3 (mod 4), so a square root of a is a^((P+1)/4).
    uint256 private constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;

    /// @notice The address of the secp256k1 key in `peerId` (the last 20 bytes of keccak256(x ‖ y)),
    /// or the zero address when `peerId` is not a secp256k1 peer id holding a point of the curve.
    /// @dev Decompressing the key costs one call to the modexp precompile (~1,350 gas, EIP-2565).
    /// Checking that x is on the curve matters: for an x off the curve, a caller could pick any y
    /// and search for a key of its own whose address collides with keccak256(x ‖ y).
    function secp256k1Address(bytes calldata peerId) internal view returns (address) {
        if (peerId.length != SECP256K1_PEER_ID_LENGTH || bytes6(peerId[:6]) != SECP256K1_PREFIX) return address(0);
        uint8 parity = uint8(peerId[6]);
        if (parity != 0x02 && parity != 0x03) return address(0);
        uint256 x = uint256(bytes32(peerId[7:]));
        if (x >= P) return address(0);
        uint256 ySquared = addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
        uint256 y = Math.modExp(ySquared, (P + 1) / 4, P);
        if (mulmod(y, y, P) != ySquared) return address(0);
        // y ≠ 0 (the group has prime order, so no point has y = 0), hence P - y is in range.
        if (y & 1 != parity & 1) y = P - y;
        return address(uint160(uint256(keccak256(abi.encode(x, y)))));
    }
}
