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
    Explicit
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
    MissingAttribute
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
