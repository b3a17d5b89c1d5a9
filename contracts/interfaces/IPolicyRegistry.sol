// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessReason, ReplicationMode} from "../types/DekmeshTypes.sol";
import {IAttributeRegistry} from "./IAttributeRegistry.sol";

/// @title IPolicyRegistry
/// @notice Access policies owned by their publisher (docs/architecture.md#on-chain-state, #replication): required attribute values,
/// an optional reader allowlist, a validity window, a revoked flag and the replication spec.
/// Access rule: the publisher always; anyone else needs the policy unrevoked, the window
/// open, a place on the allowlist if there is one, and every attribute requirement met.
/// Storage holds what `canAccess` and the content registry check; the events carry every
/// version of every policy in full, so an indexer can rebuild all state from them alone.
interface IPolicyRegistry {
    /// @notice One required attribute value.
    struct Requirement {
        bytes32 namespace;
        uint8 value;
    }

    /// @notice A policy's terms as its publisher writes them (`createPolicy`, `updatePolicy`).
    /// @param requirements Strictly increasing by (namespace, value), ≤ 16; values of one
    /// namespace combine under its rule, and every namespace must be satisfied.
    /// @param allowlist Readers allowed (≤ 256, distinct, non-zero); empty = anyone.
    /// @param notBefore Start of the validity window (0 = open start).
    /// @param notAfter End of the validity window, inclusive (0 = open end).
    /// @param mode Replication mode; fixed once the policy exists.
    /// @param k Replica count for `Stake`/`Xor` (1–16); for `Threshold` (m, n) packed as
    /// (m − 1) << 4 | (n − 1) with 2 ≤ m ≤ n ≤ 16 (`thresholdOf`); 0 for `All`/`Explicit`. Fixed.
    /// @param explicitMembers `Explicit`: 1–32 distinct non-zero validator node accounts;
    /// other modes: empty.
    struct PolicyInput {
        Requirement[] requirements;
        address[] allowlist;
        uint64 notBefore;
        uint64 notAfter;
        ReplicationMode mode;
        uint8 k;
        address[] explicitMembers;
    }

    /// @notice The current version of a policy as stored (explicit members are in events only).
    struct PolicyView {
        address publisher;
        uint32 version;
        bool revoked;
        uint64 notBefore;
        uint64 notAfter;
        ReplicationMode mode;
        uint8 k;
        Requirement[] requirements;
        uint16 allowlistSize;
    }

    // ---------------------------------------------------------------- events
    /// @notice `publisher` created policy `policyId` (version 1) with these terms.
    event PolicyCreated(
        uint64 indexed policyId,
        address indexed publisher,
        uint32 version,
        Requirement[] requirements,
        address[] allowlist,
        uint64 notBefore,
        uint64 notAfter,
        ReplicationMode mode,
        uint8 k,
        address[] explicitMembers
    );
    /// @notice The publisher replaced the terms of `policyId`; `version` is the new version.
    /// `mode` and `k` are unchanged and repeated so each event describes a version in full.
    event PolicyUpdated(
        uint64 indexed policyId,
        address indexed publisher,
        uint32 version,
        Requirement[] requirements,
        address[] allowlist,
        uint64 notBefore,
        uint64 notAfter,
        ReplicationMode mode,
        uint8 k,
        address[] explicitMembers
    );
    /// @notice The publisher revoked `policyId`, permanently.
    event PolicyRevoked(uint64 indexed policyId);

    // ---------------------------------------------------------------- errors
    error PolicyRegistryUnknownPolicy(uint64 policyId);
    error PolicyRegistryNotPublisher(uint64 policyId, address account);
    error PolicyRegistryPolicyRevoked(uint64 policyId);
    /// @notice `updatePolicy` tried to change the replication mode or k.
    error PolicyRegistryReplicationImmutable(uint64 policyId, ReplicationMode mode, uint8 k);
    error PolicyRegistryTooManyRequirements(uint256 count);
    /// @notice `requirements[index]` is not strictly greater than its predecessor.
    error PolicyRegistryRequirementsNotSorted(uint256 index);
    error PolicyRegistryUnknownNamespace(bytes32 namespace);
    error PolicyRegistryUnknownValue(bytes32 namespace, uint8 value);
    error PolicyRegistryAllowlistTooLong(uint256 length);
    /// @notice An allowlist entry is the zero address or listed twice.
    error PolicyRegistryInvalidAllowlistEntry(address account);
    error PolicyRegistryInvalidWindow(uint64 notBefore, uint64 notAfter);
    error PolicyRegistryInvalidReplicationFactor(ReplicationMode mode, uint8 k);
    error PolicyRegistryInvalidExplicitMemberCount(ReplicationMode mode, uint256 count);
    /// @notice An explicit member is the zero address or listed twice.
    error PolicyRegistryInvalidExplicitMember(address member);

    // ---------------------------------------------------------------- publisher actions
    /// @notice Creates a policy owned by the caller, at version 1.
    /// @return policyId Sequential, starting at 1.
    function createPolicy(PolicyInput calldata input) external returns (uint64 policyId);

    /// @notice Replaces the requirements, allowlist, window and (`Explicit` only) member list
    /// of one of the caller's unrevoked policies, and bumps its version.
    /// @dev `input.mode` and `input.k` must equal the policy's: contents registered under it
    /// already have replica sets drawn (stake) or placed (xor, all) from them, and holders,
    /// repairs and discovery all recompute placement from the policy's current spec.
    /// @return version The new version.
    function updatePolicy(uint64 policyId, PolicyInput calldata input) external returns (uint32 version);

    /// @notice Revokes one of the caller's policies, permanently. Only its publisher keeps access.
    function revokePolicy(uint64 policyId) external;

    // ---------------------------------------------------------------- views
    /// @notice The attribute registry requirements are checked against.
    function attributes() external view returns (IAttributeRegistry);

    /// @notice Number of policies created; ids run from 1 to this.
    function policyCount() external view returns (uint64);

    /// @notice Whether `account` may read contents under `policyId` now, and why. Checks in
    /// order: unknown policy; publisher (always allowed); revoked; before `notBefore`; after
    /// `notAfter`; not on a non-empty allowlist; a namespace's requirements not satisfied.
    function canAccess(uint64 policyId, address account) external view returns (bool allowed, AccessReason reason);

    /// @notice What the content registry checks at registration, from one storage slot.
    /// All zero for an unknown policy (`publisher == address(0)`).
    function registrationInfo(uint64 policyId)
        external
        view
        returns (address publisher, bool revoked, ReplicationMode mode, uint8 k);

    /// @notice The current version of a policy. Reverts for an unknown policy.
    function policy(uint64 policyId) external view returns (PolicyView memory);

    /// @notice Whether `account` is on the current allowlist of `policyId` (false when the
    /// policy has no allowlist or does not exist).
    function isOnAllowlist(uint64 policyId, address account) external view returns (bool);
}
