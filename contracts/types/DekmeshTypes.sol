// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice How a content's DEK spreads among validators (docs/architecture.md#replication). Fixed when a policy is
/// created; only the member list of `Explicit` may change later.
enum ReplicationMode {
    /// Every active validator holds the DEK.
    All,
    /// k distinct validators drawn by stake at registration; departed slots are re-drawn by `repair`.
    Stake,
    /// The k active validators closest to the content id by XOR distance (computed off chain).
    Xor,
    /// The validators the publisher lists.
    Explicit,
    /// n members drawn by stake at registration each hold one share of the content's key; any m
    /// of them serve a reader together (docs/threshold.md). `k` packs (m, n), see `thresholdOf`.
    Threshold
}

/// @notice threshold(m, n) as a policy's one-byte `k`: (m − 1) << 4 | (n − 1), so 2 ≤ m ≤ n ≤ 16
/// fits the byte every other mode uses for its replica count, and policies keep one slot.
function thresholdOf(uint8 k) pure returns (uint256 m, uint256 n) {
    m = uint256(k >> 4) + 1;
    n = uint256(k & 0x0f) + 1;
}

/// @notice Why an access decision came out the way it did. The numeric values are a stable
/// wire format: the indexer's `/access` endpoint and the validator's refusals use the same codes.
enum AccessReason {
    /// The account satisfies every requirement of the policy.
    Granted,
    /// The account is the policy's publisher, who always has access.
    Publisher,
    /// No policy (or no content) with that id exists.
    PolicyNotFound,
    /// The publisher revoked the policy.
    PolicyRevoked,
    /// The policy's validity window has not opened yet (block time < notBefore).
    NotYetValid,
    /// The policy's validity window has closed (block time > notAfter).
    Expired,
    /// The policy has a reader allowlist and the account is not on it.
    NotOnAllowlist,
    /// The account lacks a required attribute value (absent, expired or revoked grant).
    MissingAttribute,
    /// The policy's condition tree is false for the account (docs/conditions.md).
    ConditionNotMet,
    /// A call the condition tree needed reverted, ran out of its gas cap or returned malformed data.
    ConditionCallFailed
}

/// @notice Lifecycle of a validator (docs/architecture.md#on-chain-state). Only `Active` validators are drawn, hold
/// stake-assigned replicas, confirm holdings and write audit records.
enum ValidatorStatus {
    None,
    Registered,
    Active,
    Exiting,
    Exited,
    Jailed
}
