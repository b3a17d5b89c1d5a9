// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title KasSignatures
/// @notice Checks of validators' KAS keys (P-256) for the adjudicator: the key id the registry
/// knows a key by, ECDSA-P256-SHA256 signatures (OpenZeppelin's P256: the RIP-7212 precompile
/// where the chain has it, Solidity otherwise) and whether a compressed point lies on the curve.
library KasSignatures {
    uint256 internal constant SIGNATURE_BYTES = 64;
    uint256 internal constant COMPRESSED_KEY_BYTES = 33;

    /// @dev KID = first 8 bytes of SHA-256(compressed key), as ValidatorRegistry computes it.
    function kidOf(bytes32 x, bytes32 y) internal pure returns (bytes8) {
        bytes1 prefix = uint256(y) & 1 == 0 ? bytes1(0x02) : bytes1(0x03);
        return bytes8(sha256(abi.encodePacked(prefix, x)));
    }

    /// @dev Whether (x, y) is a point of P-256 (not the point at infinity).
    function isValidKey(bytes32 x, bytes32 y) internal pure returns (bool) {
        return P256.isValidPublicKey(x, y);
    }

    /// @dev Whether `signature` (r‖s, 64 bytes) by key (x, y) signs SHA-256(`message`). A high s
    /// is folded to N − s: node:crypto (OpenSSL) signs without normalizing, and nothing here keys
    /// on the signature's bytes, so its malleability is harmless.
    function verify(bytes memory message, bytes calldata signature, bytes32 x, bytes32 y) internal view returns (bool) {
        if (signature.length != SIGNATURE_BYTES) return false;
        bytes32 r = bytes32(signature[0:32]);
        uint256 s = uint256(bytes32(signature[32:64]));
        if (s > P256.N / 2 && s < P256.N) s = P256.N - s;
        return P256.verify(sha256(message), r, bytes32(s), x, y);
    }

    /// @dev Whether `key` is a compressed P-256 point: prefix 02/03 and an x < p for which
    /// x³ − 3x + b is a square mod p (Euler's criterion; then a y with either parity exists).
    function isCompressedPoint(bytes calldata key) internal view returns (bool) {
        if (key.length != COMPRESSED_KEY_BYTES || (key[0] != 0x02 && key[0] != 0x03)) return false;
        uint256 x = uint256(bytes32(key[1:33]));
        uint256 p = P256.P;
        if (x >= p) return false;
        uint256 rhs = addmod(mulmod(mulmod(x, x, p), x, p), addmod(mulmod(P256.A, x, p), P256.B, p), p);
        return rhs == 0 || Math.modExp(rhs, (p - 1) / 2, p) == 1;
    }
}
