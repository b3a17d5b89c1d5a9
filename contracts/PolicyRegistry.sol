// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IPolicyRegistry} from "./interfaces/IPolicyRegistry.sol";
import {IAttributeRegistry} from "./interfaces/IAttributeRegistry.sol";
import {AccessReason, ReplicationMode, thresholdOf} from "./types/DekmeshTypes.sol";

/// @title PolicyRegistry
/// @notice Access policies owned by their publishers. A policy costs two slots (the record
/// the content registry reads, and the window the access check reads) plus its requirements
/// and allowlist, both keyed by version so an update replaces them without clearing the old
/// ones. Explicit replica members are not stored: no contract checks them.
contract PolicyRegistry is IPolicyRegistry {
    /// @notice Maximum number of attribute requirements in a policy.
    uint256 public constant MAX_REQUIREMENTS = 16;
    /// @notice Maximum number of readers on an allowlist.
    uint256 public constant MAX_ALLOWLIST = 256;
    /// @notice Maximum replica count of `Stake` and `Xor` policies.
    uint256 public constant MAX_REPLICATION_FACTOR = 16;
    /// @notice Maximum number of members of an `Explicit` policy.
    uint256 public constant MAX_EXPLICIT_MEMBERS = 32;
    /// @notice Smallest m of a `Threshold` policy: with m = 1 every member could decrypt alone.
    uint256 public constant MIN_THRESHOLD = 2;
    /// @notice Largest n of a `Threshold` policy (the packing of `k` allows no more).
    uint256 public constant MAX_THRESHOLD_MEMBERS = 16;

    /// @dev Everything `registrationInfo` returns plus the current version, in one slot
    /// (20 + 4 + 1 + 1 + 1 bytes), so registration costs a single SLOAD.
    struct PolicyRecord {
        address publisher;
        uint32 version;
        ReplicationMode mode;
        uint8 k;
        bool revoked;
    }

    /// @dev The window and allowlist size of the current version, in one slot.
    struct PolicyTerms {
        uint64 notBefore;
        uint64 notAfter;
        uint16 allowlistSize;
    }

    /// @inheritdoc IPolicyRegistry
    IAttributeRegistry public immutable attributes;

    uint64 private _policyCount;
    mapping(uint64 policyId => PolicyRecord) private _policies;
    mapping(uint64 policyId => PolicyTerms) private _terms;
    mapping(uint64 policyId => mapping(uint32 version => Requirement[])) private _requirements;
    mapping(uint64 policyId => mapping(uint32 version => mapping(address account => bool listed))) private _allowlists;

    /// @param attributes_ The attribute registry requirements refer to.
    constructor(IAttributeRegistry attributes_) {
        attributes = attributes_;
    }

    // ---------------------------------------------------------------- publisher actions
    /// @inheritdoc IPolicyRegistry
    function createPolicy(PolicyInput calldata input) external returns (uint64 policyId) {
        _checkReplication(input.mode, input.k, input.explicitMembers);
        policyId = ++_policyCount;
        _policies[policyId] =
            PolicyRecord({publisher: msg.sender, version: 1, mode: input.mode, k: input.k, revoked: false});
        _setTerms(policyId, 1, input);
        emit PolicyCreated(
            policyId,
            msg.sender,
            1,
            input.requirements,
            input.allowlist,
            input.notBefore,
            input.notAfter,
            input.mode,
            input.k,
            input.explicitMembers
        );
    }

    /// @inheritdoc IPolicyRegistry
    function updatePolicy(uint64 policyId, PolicyInput calldata input) external returns (uint32 version) {
        PolicyRecord storage record = _writablePolicy(policyId);
        if (input.mode != record.mode || input.k != record.k) {
            revert PolicyRegistryReplicationImmutable(policyId, record.mode, record.k);
        }
        _checkReplication(input.mode, input.k, input.explicitMembers);
        version = record.version + 1;
        record.version = version;
        _setTerms(policyId, version, input);
        emit PolicyUpdated(
            policyId,
            msg.sender,
            version,
            input.requirements,
            input.allowlist,
            input.notBefore,
            input.notAfter,
            input.mode,
            input.k,
            input.explicitMembers
        );
    }

    /// @inheritdoc IPolicyRegistry
    function revokePolicy(uint64 policyId) external {
        _writablePolicy(policyId).revoked = true;
        emit PolicyRevoked(policyId);
    }

    // ---------------------------------------------------------------- views
    /// @inheritdoc IPolicyRegistry
    function policyCount() external view returns (uint64) {
        return _policyCount;
    }

    /// @inheritdoc IPolicyRegistry
    function canAccess(uint64 policyId, address account) external view returns (bool allowed, AccessReason reason) {
        PolicyRecord memory record = _policies[policyId];
        if (record.publisher == address(0)) return (false, AccessReason.PolicyNotFound);
        if (account == record.publisher) return (true, AccessReason.Publisher);
        if (record.revoked) return (false, AccessReason.PolicyRevoked);
        PolicyTerms memory terms = _terms[policyId];
        if (block.timestamp < terms.notBefore) return (false, AccessReason.NotYetValid);
        if (terms.notAfter != 0 && block.timestamp > terms.notAfter) return (false, AccessReason.Expired);
        if (terms.allowlistSize != 0 && !_allowlists[policyId][record.version][account]) {
            return (false, AccessReason.NotOnAllowlist);
        }
        if (!_meetsRequirements(_requirements[policyId][record.version], account)) {
            return (false, AccessReason.MissingAttribute);
        }
        return (true, AccessReason.Granted);
    }

    /// @inheritdoc IPolicyRegistry
    function registrationInfo(uint64 policyId)
        external
        view
        returns (address publisher, bool revoked, ReplicationMode mode, uint8 k)
    {
        PolicyRecord memory record = _policies[policyId];
        return (record.publisher, record.revoked, record.mode, record.k);
    }

    /// @inheritdoc IPolicyRegistry
    function policy(uint64 policyId) external view returns (PolicyView memory) {
        PolicyRecord memory record = _policies[policyId];
        if (record.publisher == address(0)) revert PolicyRegistryUnknownPolicy(policyId);
        PolicyTerms memory terms = _terms[policyId];
        return PolicyView({
            publisher: record.publisher,
            version: record.version,
            revoked: record.revoked,
            notBefore: terms.notBefore,
            notAfter: terms.notAfter,
            mode: record.mode,
            k: record.k,
            requirements: _requirements[policyId][record.version],
            allowlistSize: terms.allowlistSize
        });
    }

    /// @inheritdoc IPolicyRegistry
    function isOnAllowlist(uint64 policyId, address account) external view returns (bool) {
        return _allowlists[policyId][_policies[policyId].version][account];
    }

    // ---------------------------------------------------------------- internals
    /// @dev The one path that writes a version's requirements, allowlist and window.
    /// `version` is fresh, so its requirement array and allowlist mapping start empty.
    function _setTerms(uint64 policyId, uint32 version, PolicyInput calldata input) internal {
        _storeRequirements(_requirements[policyId][version], input.requirements);
        uint256 allowlistSize = _storeAllowlist(_allowlists[policyId][version], input.allowlist);
        if (input.notBefore != 0 && input.notAfter != 0 && input.notBefore >= input.notAfter) {
            revert PolicyRegistryInvalidWindow(input.notBefore, input.notAfter);
        }
        // allowlistSize <= MAX_ALLOWLIST = 256 fits in uint16.
        _terms[policyId] =
            PolicyTerms({notBefore: input.notBefore, notAfter: input.notAfter, allowlistSize: uint16(allowlistSize)});
    }

    /// @dev Checks order and existence while copying; one registry call per namespace.
    function _storeRequirements(Requirement[] storage stored, Requirement[] calldata requirements) internal {
        uint256 n = requirements.length;
        if (n > MAX_REQUIREMENTS) revert PolicyRegistryTooManyRequirements(n);
        uint8 valueCount;
        for (uint256 i; i < n; ++i) {
            Requirement calldata requirement = requirements[i];
            bytes32 namespace_ = requirement.namespace;
            bool newNamespace = i == 0 || namespace_ != requirements[i - 1].namespace;
            if (i != 0) {
                Requirement calldata previous = requirements[i - 1];
                if (namespace_ < previous.namespace || (!newNamespace && requirement.value <= previous.value)) {
                    revert PolicyRegistryRequirementsNotSorted(i);
                }
            }
            if (newNamespace) {
                IAttributeRegistry.Namespace memory ns = attributes.namespace(namespace_);
                if (ns.authority == address(0)) revert PolicyRegistryUnknownNamespace(namespace_);
                valueCount = ns.valueCount;
            }
            if (requirement.value >= valueCount) revert PolicyRegistryUnknownValue(namespace_, requirement.value);
            stored.push(requirement);
        }
    }

    function _storeAllowlist(mapping(address account => bool listed) storage listed, address[] calldata allowlist)
        internal
        returns (uint256 size)
    {
        size = allowlist.length;
        if (size > MAX_ALLOWLIST) revert PolicyRegistryAllowlistTooLong(size);
        for (uint256 i; i < size; ++i) {
            address account = allowlist[i];
            if (account == address(0) || listed[account]) revert PolicyRegistryInvalidAllowlistEntry(account);
            listed[account] = true;
        }
    }

    /// @dev Stake/Xor need 1 ≤ k ≤ 16; Threshold a packed 2 ≤ m ≤ n ≤ 16 (n ≤ 16 by the packing);
    /// All/Explicit take no k. Only Explicit has members.
    function _checkReplication(ReplicationMode mode, uint8 k, address[] calldata members) internal pure {
        bool counted = mode == ReplicationMode.Stake || mode == ReplicationMode.Xor;
        (uint256 m, uint256 n) = thresholdOf(k);
        bool valid = mode == ReplicationMode.Threshold
            ? m >= MIN_THRESHOLD && m <= n
            : counted ? k != 0 && k <= MAX_REPLICATION_FACTOR : k == 0;
        if (!valid) revert PolicyRegistryInvalidReplicationFactor(mode, k);
        uint256 count = members.length;
        if (mode == ReplicationMode.Explicit ? (count == 0 || count > MAX_EXPLICIT_MEMBERS) : count != 0) {
            revert PolicyRegistryInvalidExplicitMemberCount(mode, count);
        }
        _checkDistinctMembers(members);
    }

    /// @dev Pairwise over a memory copy: count <= 32, so at most 496 comparisons (~50k gas;
    /// reading calldata in the inner loop cost ~120k). Transient-storage marks would be O(n)
    /// but make solc warn on every build; sorting members would constrain the API.
    function _checkDistinctMembers(address[] calldata members) internal pure {
        address[] memory list = members;
        uint256 count = list.length;
        for (uint256 i; i < count; ++i) {
            address member = list[i];
            if (member == address(0)) revert PolicyRegistryInvalidExplicitMember(member);
            for (uint256 j; j < i; ++j) {
                if (list[j] == member) revert PolicyRegistryInvalidExplicitMember(member);
            }
        }
    }

    /// @dev The policy, if the caller is its publisher and it is not revoked.
    function _writablePolicy(uint64 policyId) internal view returns (PolicyRecord storage record) {
        record = _policies[policyId];
        if (record.publisher == address(0)) revert PolicyRegistryUnknownPolicy(policyId);
        if (record.publisher != msg.sender) revert PolicyRegistryNotPublisher(policyId, msg.sender);
        if (record.revoked) revert PolicyRegistryPolicyRevoked(policyId);
    }

    /// @dev Requirements are sorted, so each namespace's values form one run; every run must
    /// satisfy its namespace's rule.
    function _meetsRequirements(Requirement[] storage requirements, address account) internal view returns (bool) {
        uint256 n = requirements.length;
        uint256 start;
        while (start < n) {
            bytes32 namespace_ = requirements[start].namespace;
            uint256 end = start + 1;
            while (end < n && requirements[end].namespace == namespace_) ++end;
            uint8[] memory values = new uint8[](end - start);
            for (uint256 i = start; i < end; ++i) {
                values[i - start] = requirements[i].value;
            }
            if (!attributes.satisfies(namespace_, account, values)) return false;
            start = end;
        }
        return true;
    }
}
