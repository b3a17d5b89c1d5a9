// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/// @title P256MulHarness
/// @notice Test-only: a P-256 scalar multiplication k·P built from OpenZeppelin's public-key
/// recovery, Q = r⁻¹(s·R − h·G) with R = P, h = 0 and s = k·r. It measures what the decrypting
/// bad-answer proof of docs/challenges.md would pay for each ECDH on chain (the reader's revealed
/// one-time key times the envelope's ephemeral key).
contract P256MulHarness {
    /// @dev P must be a curve point with x < N (all but a 2^-128 fraction of points).
    function mul(bytes32 px, bytes32 py, uint256 k) external view returns (bytes32 x, bytes32 y) {
        uint256 r = uint256(px);
        uint8 v = uint8(uint256(py) & 1);
        uint256 s = mulmod(k, r, P256.N);
        // recovery takes s ≤ N/2 only; (N − s)·(−R) is the same point.
        if (s > P256.N / 2) {
            s = P256.N - s;
            v = 1 - v;
        }
        return P256.recovery(0, v, bytes32(r), bytes32(s));
    }
}
