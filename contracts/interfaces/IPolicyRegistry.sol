// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessReason, ReplicationMode} from "../types/DekmeshTypes.sol";
import {IAttributeRegistry} from "./IAttributeRegistry.sol";

/// @title IPolicyRegistry
/// @notice Access policies owned by their publisher (docs/architecture.md#on-chain-state, #replication): required attribute values,
/// an optional reader allowlist, a validity window, a revoked flag and the replication spec.
/// Access rule: the publisher always; anyone else needs the policy unrevoked, the window
/// open, a place on the allowlist if there is one, every attribute requirement met and, if the
/// policy has conditions (docs/conditions.md), its condition tree true.
/// Storage holds what `canAccess` and the content registry check; the events carry every
/// version of every policy in full, so an indexer can rebuild all state from them alone.
interface IPolicyRegistry {
    /// @notice One required attribute value.
    struct Requirement {
        bytes32 namespace;
        uint8 value;
    }

    /// @notice What a condition node is: a combinator over the nodes that follow it, or a leaf.
    enum ConditionKind {
        /// True when all `operands` following operands are true (evaluated in order, stops at the first false).
        And,
        /// True when any of the `operands` following operands is true (stops at the first true).
        Or,
        /// True when its one following operand is false.
        Not,
        /// ERC-20 `target.balanceOf(reader)` compared with `value`.
        Erc20Balance,
        /// ERC-721 `target.ownerOf(id) == reader`.
        Erc721Owner,
        /// ERC-721 `target.balanceOf(reader) > 0`.
        Erc721Any,
        /// ERC-1155 `target.balanceOf(reader, id)` compared with `value`.
        Erc1155Balance,
        /// The reader's native balance compared with `value`.
        NativeBalance,
        /// `block.timestamp` compared with `value` (unix seconds, at most 2^64 − 1).
        Time,
        /// `target` called (staticcall) with `data`, the argument words flagged in `readerArgs`
        /// replaced by the reader; the first returned word, read as `returnKind`, compared with `value`.
        Call
    }

    /// @notice How a leaf's quantity is compared with its `value`: `quantity OP value`.
    enum Comparator {
        Eq,
        Ne,
        Gt,
        Gte,
        Lt,
        Lte
    }

    /// @notice How a `Call` condition reads the word its target returns. Bool and Address take
    /// only Eq/Ne; a returned word that is not a valid bool or address denies like a failed call.
    enum ReturnKind {
        Uint256,
        Bool,
        Address
    }

    /// @notice One node of a condition tree, which a policy stores as a list in prefix order
    /// (each combinator followed by its operands). Limits: a combinator has at most 5 operands
    /// (`Not` exactly 1, `And`/`Or` at least 2) and combinators nest at most 2 deep; fields a
    /// kind does not use must be zero. Each external call a leaf makes gets at most
    /// `CONDITION_CALL_GAS`; a call that reverts, runs out of it or returns fewer than 32 bytes
    /// denies the whole tree with `ConditionCallFailed`.
    /// @param operands And/Or: 2–5; Not: 1; leaves: 0.
    /// @param comparator Erc20Balance, Erc1155Balance, NativeBalance, Time, Call; Eq (0) for the rest.
    /// @param returnKind Call only (Uint256 for every other kind).
    /// @param target The token (ERC-20/721/1155) or called contract; must hold code when set.
    /// @param readerArgs Call only: bit i set = argument word i of `data` is replaced by the reader.
    /// @param id Erc721Owner: the token id; Erc1155Balance: the token type id.
    /// @param value What the quantity is compared with (Bool: 0 or 1; Address: below 2^160).
    /// @param data Call only: a 4-byte selector and at most 8 static 32-byte argument words.
    struct Condition {
        ConditionKind kind;
        uint8 operands;
        Comparator comparator;
        ReturnKind returnKind;
        address target;
        uint8 readerArgs;
        uint256 id;
        uint256 value;
        bytes data;
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
    /// @notice Version `version` of `policyId` (just created or updated, emitted after its
    /// PolicyCreated/PolicyUpdated) carries these conditions. A version without it has none.
    event PolicyConditionsSet(uint64 indexed policyId, uint32 version, Condition[] conditions);
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
    /// @notice More condition nodes than `MAX_CONDITION_NODES`.
    error PolicyRegistryTooManyConditions(uint256 count);
    /// @notice Condition `index` is a combinator nested deeper than `MAX_CONDITION_DEPTH`.
    error PolicyRegistryConditionTooDeep(uint256 index);
    /// @notice Condition `index` is a combinator with more than `MAX_CONDITION_OPERANDS` operands.
    error PolicyRegistryConditionTooWide(uint256 index, uint256 operands);
    /// @notice Condition `index` does not fit its kind (operand count, unused fields set, call
    /// data not a selector and whole words, a comparator its return kind does not take), or the
    /// list is not one tree (operands missing or nodes left over).
    error PolicyRegistryConditionMalformed(uint256 index);
    /// @notice Condition `index` names a target that holds no code.
    error PolicyRegistryConditionTargetNotContract(uint256 index, address target);
    /// @notice Condition `index` compares with a value its quantity can never take (a time past
    /// 2^64 − 1, a bool other than 0/1, an address of more than 160 bits).
    error PolicyRegistryConditionValueOutOfRange(uint256 index, uint256 value);
    /// @notice Fewer than `CONDITION_CALL_GAS` plus margin left before condition `index`'s call:
    /// the caller's gas, not the target, would decide, so the check reverts instead of denying.
    error PolicyRegistryConditionGasTooLow(uint256 index);

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

    /// @notice `createPolicy` with a condition tree (prefix order, see `Condition`). Emits
    /// PolicyCreated, then PolicyConditionsSet when `conditions` is not empty.
    function createPolicyWithConditions(PolicyInput calldata input, Condition[] calldata conditions)
        external
        returns (uint64 policyId);

    /// @notice `updatePolicy` with a condition tree: the new version's conditions are these
    /// (`updatePolicy` makes a version without conditions). Emits PolicyUpdated, then
    /// PolicyConditionsSet when `conditions` is not empty.
    function updatePolicyWithConditions(uint64 policyId, PolicyInput calldata input, Condition[] calldata conditions)
        external
        returns (uint32 version);

    /// @notice Revokes one of the caller's policies, permanently. Only its publisher keeps access.
    function revokePolicy(uint64 policyId) external;

    // ---------------------------------------------------------------- views
    /// @notice The attribute registry requirements are checked against.
    function attributes() external view returns (IAttributeRegistry);

    /// @notice Number of policies created; ids run from 1 to this.
    function policyCount() external view returns (uint64);

    /// @notice Whether `account` may read contents under `policyId` now, and why. Checks in
    /// order: unknown policy; publisher (always allowed); revoked; before `notBefore`; after
    /// `notAfter`; not on a non-empty allowlist; a namespace's requirements not satisfied;
    /// the condition tree false (ConditionNotMet) or one of its calls failed (ConditionCallFailed).
    function canAccess(uint64 policyId, address account) external view returns (bool allowed, AccessReason reason);

    /// @notice `canAccess`, and for a condition reason the index (prefix order) of the node
    /// whose outcome decided: the leaf that was false or whose call failed, the `Not` whose
    /// operand held, the `Or` none of whose operands held.
    /// 0 for every other reason.
    function checkAccess(uint64 policyId, address account)
        external
        view
        returns (bool allowed, AccessReason reason, uint256 condition);

    /// @notice The conditions of the current version (empty if none). Reverts for an unknown policy.
    function conditions(uint64 policyId) external view returns (Condition[] memory);

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
