// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IAttributeRegistry
/// @notice Attribute namespaces (e.g. `clearance`), their ordered values and the grants of
/// values to accounts (docs/architecture.md#on-chain-state). A namespace is identified by `keccak256(bytes(name))`, so
/// clients derive ids offline from names; a value is identified by its index in the
/// namespace's value list. The first creator of a namespace is its authority: it adds
/// values, grants and revokes them, and may hand the namespace to another authority.
/// Only what `satisfies` must check is stored; names live in events.
interface IAttributeRegistry {
    /// @notice How a namespace's required values combine (OpenTDF semantics).
    enum AttributeRule {
        /// The account must hold every required value.
        AllOf,
        /// The account must hold at least one required value.
        AnyOf,
        /// Values are ranks, index 0 the highest; the account must hold a value ranked at
        /// least as high as the highest required one.
        Hierarchy
    }

    /// @notice What the registry stores about a namespace.
    struct Namespace {
        address authority;
        AttributeRule rule;
        uint8 valueCount;
    }

    /// @notice One grant of `grantMany`.
    struct GrantInput {
        address account;
        uint8 value;
        uint64 expiresAt;
    }

    // ---------------------------------------------------------------- events
    /// @notice `authority` created the namespace `name` with `values` (indices 0..n-1, in order).
    event NamespaceCreated(
        bytes32 indexed namespace, string name, address indexed authority, AttributeRule rule, string[] values
    );
    /// @notice The authority appended value `name` at index `value` (for a hierarchy, the new lowest rank).
    event NamespaceValueAdded(bytes32 indexed namespace, uint8 value, string name);
    /// @notice The namespace moved from `previousAuthority` to `newAuthority`.
    event NamespaceAuthorityTransferred(
        bytes32 indexed namespace, address indexed previousAuthority, address indexed newAuthority
    );
    /// @notice `account` holds `value` until `expiresAt` (0 = forever). A re-grant replaces the expiry.
    event GrantIssued(bytes32 indexed namespace, address indexed account, uint8 value, uint64 expiresAt);
    /// @notice The authority took `value` away from `account`.
    event GrantRevoked(bytes32 indexed namespace, address indexed account, uint8 value);

    // ---------------------------------------------------------------- errors
    /// @notice A namespace or value name is empty, longer than 64 bytes, or contains "/".
    error AttributeRegistryInvalidName(string name);
    error AttributeRegistryNamespaceExists(bytes32 namespace);
    error AttributeRegistryUnknownNamespace(bytes32 namespace);
    error AttributeRegistryNotAuthority(bytes32 namespace, address account);
    error AttributeRegistryInvalidAuthority(address authority);
    error AttributeRegistryDuplicateValue(bytes32 namespace, string name);
    error AttributeRegistryTooManyValues(bytes32 namespace, uint256 count);
    error AttributeRegistryUnknownValue(bytes32 namespace, uint8 value);
    error AttributeRegistryInvalidAccount(address account);
    error AttributeRegistryExpiryInPast(uint64 expiresAt);
    error AttributeRegistryNoLiveGrant(bytes32 namespace, address account, uint8 value);

    // ---------------------------------------------------------------- namespaces
    /// @notice Creates the namespace `name`; the caller becomes its authority.
    /// @param name 1–64 bytes, no "/" (clients write `name/value`).
    /// @param rule How required values of this namespace combine.
    /// @param values Ordered value names (≤ 64, unique, same format as `name`); for a
    /// hierarchy the first is the highest rank.
    /// @return namespace `keccak256(bytes(name))`.
    function createNamespace(string calldata name, AttributeRule rule, string[] calldata values)
        external
        returns (bytes32 namespace);

    /// @notice Appends a value to a namespace (for a hierarchy: the new lowest rank). Authority only.
    /// @return value The new value's index.
    function addValue(bytes32 namespace, string calldata name) external returns (uint8 value);

    /// @notice Hands the namespace to `newAuthority` (non-zero). Authority only.
    function transferAuthority(bytes32 namespace, address newAuthority) external;

    // ---------------------------------------------------------------- grants
    /// @notice Grants `value` to `account` until `expiresAt`, or replaces the expiry of an
    /// existing grant. Authority only.
    /// @param expiresAt Unix time the grant stops counting; 0 = never. A past time reverts.
    function grant(bytes32 namespace, address account, uint8 value, uint64 expiresAt) external;

    /// @notice `grant` for many (account, value, expiry) triples of one namespace. Authority only.
    function grantMany(bytes32 namespace, GrantInput[] calldata grants) external;

    /// @notice Revokes a live grant. Authority only; reverts if the grant is absent or expired.
    function revokeGrant(bytes32 namespace, address account, uint8 value) external;

    // ---------------------------------------------------------------- views
    /// @notice The namespace's authority, rule and number of values (all zero if unknown).
    function namespace(bytes32 namespace) external view returns (Namespace memory);

    /// @notice A grant as issued: `granted` is false if it was never issued or was revoked;
    /// `expiresAt` is 0 for a grant that never expires. An expired grant stays `granted`.
    function grantOf(bytes32 namespace, address account, uint8 value)
        external
        view
        returns (bool granted, uint64 expiresAt);

    /// @notice Whether `account` holds a live grant of `value` (false for unknown namespaces or values).
    function hasValue(bytes32 namespace, address account, uint8 value) external view returns (bool);

    /// @notice Whether `account` satisfies `requiredValues` of the namespace under its rule:
    /// AllOf — holds every one; AnyOf — holds at least one; Hierarchy — holds a value whose
    /// index is ≤ the smallest required index. An empty list is satisfied (nothing is required).
    /// @dev Reverts on an unknown namespace or value, so a caller cannot mistake a typo for a refusal.
    function satisfies(bytes32 namespace, address account, uint8[] calldata requiredValues)
        external
        view
        returns (bool);
}
