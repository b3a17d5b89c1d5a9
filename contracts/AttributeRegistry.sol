// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAttributeRegistry} from "./interfaces/IAttributeRegistry.sol";

/// @title AttributeRegistry
/// @notice Attribute namespaces, their ordered values, and grants of values to accounts.
/// Names are only hashed and emitted; storage holds the namespace record (one slot), a
/// uniqueness marker per value name, and grant expiries packed four to a slot.
contract AttributeRegistry is IAttributeRegistry {
    /// @notice Maximum length of a namespace or value name, in bytes.
    uint256 public constant MAX_NAME_BYTES = 64;
    /// @notice Maximum number of values in a namespace.
    uint256 public constant MAX_VALUES = 64;

    /// @dev Stored expiry of a grant that never expires. `block.timestamp < NEVER` holds for
    /// the next 584 billion years, so liveness needs no special case for it.
    uint64 private constant NEVER = type(uint64).max;

    mapping(bytes32 namespace => Namespace) private _namespaces;
    mapping(bytes32 namespace => mapping(bytes32 valueNameHash => bool taken)) private _valueNames;
    /// @dev Stored expiry per value: 0 = no grant, NEVER = no expiry. A `uint64[64]` packs
    /// four values per slot, so a hierarchy check over neighbouring ranks reads few slots.
    mapping(bytes32 namespace => mapping(address account => uint64[MAX_VALUES] expiries)) private _grants;

    modifier onlyAuthority(bytes32 namespace_) {
        _checkAuthority(namespace_);
        _;
    }

    // ---------------------------------------------------------------- namespaces
    /// @inheritdoc IAttributeRegistry
    function createNamespace(string calldata name, AttributeRule rule, string[] calldata values)
        external
        returns (bytes32 namespace_)
    {
        _checkName(name);
        namespace_ = keccak256(bytes(name));
        if (_namespaces[namespace_].authority != address(0)) revert AttributeRegistryNamespaceExists(namespace_);
        uint256 count = values.length;
        if (count > MAX_VALUES) revert AttributeRegistryTooManyValues(namespace_, count);
        for (uint256 i; i < count; ++i) {
            _claimValueName(namespace_, values[i]);
        }
        // count <= MAX_VALUES = 64 fits in uint8.
        _namespaces[namespace_] = Namespace({authority: msg.sender, rule: rule, valueCount: uint8(count)});
        emit NamespaceCreated(namespace_, name, msg.sender, rule, values);
    }

    /// @inheritdoc IAttributeRegistry
    function addValue(bytes32 namespace_, string calldata name)
        external
        onlyAuthority(namespace_)
        returns (uint8 value)
    {
        Namespace storage record = _namespaces[namespace_];
        value = record.valueCount;
        if (value >= MAX_VALUES) revert AttributeRegistryTooManyValues(namespace_, uint256(value) + 1);
        _claimValueName(namespace_, name);
        record.valueCount = value + 1;
        emit NamespaceValueAdded(namespace_, value, name);
    }

    /// @inheritdoc IAttributeRegistry
    function transferAuthority(bytes32 namespace_, address newAuthority) external onlyAuthority(namespace_) {
        if (newAuthority == address(0)) revert AttributeRegistryInvalidAuthority(newAuthority);
        _namespaces[namespace_].authority = newAuthority;
        emit NamespaceAuthorityTransferred(namespace_, msg.sender, newAuthority);
    }

    // ---------------------------------------------------------------- grants
    /// @inheritdoc IAttributeRegistry
    function grant(bytes32 namespace_, address account, uint8 value, uint64 expiresAt)
        external
        onlyAuthority(namespace_)
    {
        _grant(namespace_, account, value, expiresAt);
    }

    /// @inheritdoc IAttributeRegistry
    function grantMany(bytes32 namespace_, GrantInput[] calldata grants) external onlyAuthority(namespace_) {
        uint256 n = grants.length;
        for (uint256 i; i < n; ++i) {
            _grant(namespace_, grants[i].account, grants[i].value, grants[i].expiresAt);
        }
    }

    /// @inheritdoc IAttributeRegistry
    function revokeGrant(bytes32 namespace_, address account, uint8 value) external onlyAuthority(namespace_) {
        if (value >= _namespaces[namespace_].valueCount || !_isLive(_grants[namespace_][account][value])) {
            revert AttributeRegistryNoLiveGrant(namespace_, account, value);
        }
        _grants[namespace_][account][value] = 0;
        emit GrantRevoked(namespace_, account, value);
    }

    // ---------------------------------------------------------------- views
    /// @inheritdoc IAttributeRegistry
    function namespace(bytes32 namespace_) external view returns (Namespace memory) {
        return _namespaces[namespace_];
    }

    /// @inheritdoc IAttributeRegistry
    function grantOf(bytes32 namespace_, address account, uint8 value)
        external
        view
        returns (bool granted, uint64 expiresAt)
    {
        if (value >= MAX_VALUES) return (false, 0);
        uint64 stored = _grants[namespace_][account][value];
        return (stored != 0, stored == NEVER ? 0 : stored);
    }

    /// @inheritdoc IAttributeRegistry
    function hasValue(bytes32 namespace_, address account, uint8 value) external view returns (bool) {
        return value < _namespaces[namespace_].valueCount && _isLive(_grants[namespace_][account][value]);
    }

    /// @inheritdoc IAttributeRegistry
    function satisfies(bytes32 namespace_, address account, uint8[] calldata requiredValues)
        external
        view
        returns (bool)
    {
        Namespace memory record = _namespaces[namespace_];
        if (record.authority == address(0)) revert AttributeRegistryUnknownNamespace(namespace_);
        uint256 n = requiredValues.length;
        uint8 highest = type(uint8).max;
        for (uint256 i; i < n; ++i) {
            uint8 value = requiredValues[i];
            if (value >= record.valueCount) revert AttributeRegistryUnknownValue(namespace_, value);
            if (value < highest) highest = value;
        }
        if (n == 0) return true;

        uint64[MAX_VALUES] storage expiries = _grants[namespace_][account];
        if (record.rule == AttributeRule.Hierarchy) {
            // Any held rank from the top down to the highest required rank will do.
            for (uint256 v; v <= highest; ++v) {
                if (_isLive(expiries[v])) return true;
            }
            return false;
        }
        // AllOf stops at the first value not held, AnyOf at the first one held.
        bool needAll = record.rule == AttributeRule.AllOf;
        for (uint256 i; i < n; ++i) {
            bool held = _isLive(expiries[requiredValues[i]]);
            if (held != needAll) return held;
        }
        return needAll;
    }

    // ---------------------------------------------------------------- internals
    /// @dev The one path that issues or re-issues a grant.
    function _grant(bytes32 namespace_, address account, uint8 value, uint64 expiresAt) internal {
        if (account == address(0)) revert AttributeRegistryInvalidAccount(account);
        if (value >= _namespaces[namespace_].valueCount) revert AttributeRegistryUnknownValue(namespace_, value);
        if (expiresAt != 0 && expiresAt <= block.timestamp) revert AttributeRegistryExpiryInPast(expiresAt);
        _grants[namespace_][account][value] = expiresAt == 0 ? NEVER : expiresAt;
        emit GrantIssued(namespace_, account, value, expiresAt);
    }

    /// @dev Marks a value name as used in `namespace_`; reverts on a bad or repeated name.
    function _claimValueName(bytes32 namespace_, string calldata name) internal {
        _checkName(name);
        bytes32 nameHash = keccak256(bytes(name));
        if (_valueNames[namespace_][nameHash]) revert AttributeRegistryDuplicateValue(namespace_, name);
        _valueNames[namespace_][nameHash] = true;
    }

    function _checkAuthority(bytes32 namespace_) internal view {
        address authority = _namespaces[namespace_].authority;
        if (authority == address(0)) revert AttributeRegistryUnknownNamespace(namespace_);
        if (authority != msg.sender) revert AttributeRegistryNotAuthority(namespace_, msg.sender);
    }

    function _isLive(uint64 storedExpiry) internal view returns (bool) {
        return block.timestamp < storedExpiry;
    }

    /// @dev Names are 1–64 bytes without "/", the separator of `namespace/value` in clients.
    function _checkName(string calldata name) internal pure {
        bytes calldata raw = bytes(name);
        uint256 length = raw.length;
        if (length == 0 || length > MAX_NAME_BYTES) revert AttributeRegistryInvalidName(name);
        for (uint256 i; i < length; ++i) {
            if (raw[i] == "/") revert AttributeRegistryInvalidName(name);
        }
    }
}
