// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IPolicyRegistry} from "./interfaces/IPolicyRegistry.sol";
import {IAttributeRegistry} from "./interfaces/IAttributeRegistry.sol";
import {AccessReason, ReplicationMode, thresholdOf} from "./types/DekmeshTypes.sol";

/// @title PolicyRegistry
/// @notice Access policies owned by their publishers. A policy costs two slots (the record
/// the content registry reads, and the window the access check reads) plus its requirements
/// and allowlist, both keyed by version so an update replaces them without clearing the old
/// ones. Explicit replica members are not stored: no contract checks them. A version's
/// condition tree (docs/conditions.md) is stored as its prefix-order node list, keyed by
/// version too; its size sits in the window slot, so a policy without conditions reads
/// nothing more.
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
    /// @notice Most operands of one And/Or (Threshold TACo's limit): wider trees cost more gas
    /// per decision than a validator's eth_call should spend, and are rarely meant.
    uint256 public constant MAX_CONDITION_OPERANDS = 5;
    /// @notice Most combinators on any path from the root (TACo's limit): and(or(leaf)) is 2.
    uint256 public constant MAX_CONDITION_DEPTH = 2;
    /// @notice Most nodes of a tree: 1 + 5 + 25 is the full tree the two limits above allow.
    uint256 public constant MAX_CONDITION_NODES = 31;
    /// @notice Gas each external call of a condition gets at most. A balanceOf costs ~3,000;
    /// 25 leaves at this cap bound a decision at ~1.25 M gas.
    uint256 public constant CONDITION_CALL_GAS = 50_000;
    /// @notice Most argument words of a `Call` condition's data.
    uint256 public constant MAX_CALL_ARGS = 8;

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
        uint8 conditionCount;
    }

    /// @dev A condition's outcome: a failed call is neither true nor false, and no combinator
    /// turns it into a grant (not(call that reverts) denies).
    enum Outcome {
        True,
        False,
        CallFailed
    }

    bytes4 private constant BALANCE_OF = bytes4(keccak256("balanceOf(address)"));
    bytes4 private constant OWNER_OF = bytes4(keccak256("ownerOf(uint256)"));
    bytes4 private constant BALANCE_OF_ID = bytes4(keccak256("balanceOf(address,uint256)"));

    /// @inheritdoc IPolicyRegistry
    IAttributeRegistry public immutable attributes;

    uint64 private _policyCount;
    mapping(uint64 policyId => PolicyRecord) private _policies;
    mapping(uint64 policyId => PolicyTerms) private _terms;
    mapping(uint64 policyId => mapping(uint32 version => Requirement[])) private _requirements;
    mapping(uint64 policyId => mapping(uint32 version => mapping(address account => bool listed))) private _allowlists;
    mapping(uint64 policyId => mapping(uint32 version => Condition[])) private _conditions;

    /// @param attributes_ The attribute registry requirements refer to.
    constructor(IAttributeRegistry attributes_) {
        attributes = attributes_;
    }

    // ---------------------------------------------------------------- publisher actions
    /// @inheritdoc IPolicyRegistry
    function createPolicy(PolicyInput calldata input) external returns (uint64 policyId) {
        policyId = _createPolicy(input, 0);
    }

    /// @inheritdoc IPolicyRegistry
    function createPolicyWithConditions(PolicyInput calldata input, Condition[] calldata conditions_)
        external
        returns (uint64 policyId)
    {
        policyId = _createPolicy(input, conditions_.length);
        _setConditions(policyId, 1, conditions_);
    }

    /// @inheritdoc IPolicyRegistry
    function updatePolicy(uint64 policyId, PolicyInput calldata input) external returns (uint32 version) {
        version = _updatePolicy(policyId, input, 0);
    }

    /// @inheritdoc IPolicyRegistry
    function updatePolicyWithConditions(uint64 policyId, PolicyInput calldata input, Condition[] calldata conditions_)
        external
        returns (uint32 version)
    {
        version = _updatePolicy(policyId, input, conditions_.length);
        _setConditions(policyId, version, conditions_);
    }

    function _createPolicy(PolicyInput calldata input, uint256 conditionCount) internal returns (uint64 policyId) {
        _checkReplication(input.mode, input.k, input.explicitMembers);
        policyId = ++_policyCount;
        _policies[policyId] =
            PolicyRecord({publisher: msg.sender, version: 1, mode: input.mode, k: input.k, revoked: false});
        _setTerms(policyId, 1, input, conditionCount);
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

    function _updatePolicy(uint64 policyId, PolicyInput calldata input, uint256 conditionCount)
        internal
        returns (uint32 version)
    {
        PolicyRecord storage record = _writablePolicy(policyId);
        if (input.mode != record.mode || input.k != record.k) {
            revert PolicyRegistryReplicationImmutable(policyId, record.mode, record.k);
        }
        _checkReplication(input.mode, input.k, input.explicitMembers);
        version = record.version + 1;
        record.version = version;
        _setTerms(policyId, version, input, conditionCount);
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
        (allowed, reason,) = _checkAccess(policyId, account);
    }

    /// @inheritdoc IPolicyRegistry
    function checkAccess(uint64 policyId, address account)
        external
        view
        returns (bool allowed, AccessReason reason, uint256 condition)
    {
        return _checkAccess(policyId, account);
    }

    /// @inheritdoc IPolicyRegistry
    function conditions(uint64 policyId) external view returns (Condition[] memory) {
        PolicyRecord memory record = _policies[policyId];
        if (record.publisher == address(0)) revert PolicyRegistryUnknownPolicy(policyId);
        return _conditions[policyId][record.version];
    }

    function _checkAccess(uint64 policyId, address account)
        internal
        view
        returns (bool allowed, AccessReason reason, uint256 condition)
    {
        PolicyRecord memory record = _policies[policyId];
        if (record.publisher == address(0)) return (false, AccessReason.PolicyNotFound, 0);
        if (account == record.publisher) return (true, AccessReason.Publisher, 0);
        if (record.revoked) return (false, AccessReason.PolicyRevoked, 0);
        PolicyTerms memory terms = _terms[policyId];
        if (block.timestamp < terms.notBefore) return (false, AccessReason.NotYetValid, 0);
        if (terms.notAfter != 0 && block.timestamp > terms.notAfter) return (false, AccessReason.Expired, 0);
        if (terms.allowlistSize != 0 && !_allowlists[policyId][record.version][account]) {
            return (false, AccessReason.NotOnAllowlist, 0);
        }
        if (!_meetsRequirements(_requirements[policyId][record.version], account)) {
            return (false, AccessReason.MissingAttribute, 0);
        }
        if (terms.conditionCount != 0) {
            (Outcome outcome,, uint256 decisive) = _evaluate(_conditions[policyId][record.version], 0, account);
            if (outcome == Outcome.False) return (false, AccessReason.ConditionNotMet, decisive);
            if (outcome == Outcome.CallFailed) return (false, AccessReason.ConditionCallFailed, decisive);
        }
        return (true, AccessReason.Granted, 0);
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
    function _setTerms(uint64 policyId, uint32 version, PolicyInput calldata input, uint256 conditionCount) internal {
        if (conditionCount > MAX_CONDITION_NODES) revert PolicyRegistryTooManyConditions(conditionCount);
        _storeRequirements(_requirements[policyId][version], input.requirements);
        uint256 allowlistSize = _storeAllowlist(_allowlists[policyId][version], input.allowlist);
        if (input.notBefore != 0 && input.notAfter != 0 && input.notBefore >= input.notAfter) {
            revert PolicyRegistryInvalidWindow(input.notBefore, input.notAfter);
        }
        // allowlistSize <= MAX_ALLOWLIST = 256 fits in uint16, conditionCount <= 31 in uint8.
        _terms[policyId] = PolicyTerms({
            notBefore: input.notBefore,
            notAfter: input.notAfter,
            allowlistSize: uint16(allowlistSize),
            conditionCount: uint8(conditionCount)
        });
    }

    // ---------------------------------------------------------------- conditions
    /// @dev Checks the tree, stores it for the fresh `version` and announces it. The count was
    /// bounded and recorded by `_setTerms`.
    function _setConditions(uint64 policyId, uint32 version, Condition[] calldata nodes) internal {
        if (nodes.length == 0) return;
        if (_checkNode(nodes, 0, 0) != nodes.length) revert PolicyRegistryConditionMalformed(nodes.length);
        Condition[] storage stored = _conditions[policyId][version];
        for (uint256 i; i < nodes.length; ++i) {
            stored.push(nodes[i]);
        }
        emit PolicyConditionsSet(policyId, version, nodes);
    }

    /// @dev Checks node `i` and its operands, `level` combinators deep; returns the index after its subtree.
    function _checkNode(Condition[] calldata nodes, uint256 i, uint256 level) internal view returns (uint256 next) {
        if (i >= nodes.length) revert PolicyRegistryConditionMalformed(i);
        Condition calldata node = nodes[i];
        ConditionKind kind = node.kind;
        if (kind <= ConditionKind.Not) {
            if (level >= MAX_CONDITION_DEPTH) revert PolicyRegistryConditionTooDeep(i);
            uint256 operands = node.operands;
            if (operands > MAX_CONDITION_OPERANDS) revert PolicyRegistryConditionTooWide(i, operands);
            bool unused = node.comparator == Comparator.Eq && node.returnKind == ReturnKind.Uint256
                && node.target == address(0) && node.readerArgs == 0 && node.id == 0 && node.value == 0
                && node.data.length == 0;
            if (!unused || (kind == ConditionKind.Not ? operands != 1 : operands < 2)) {
                revert PolicyRegistryConditionMalformed(i);
            }
            next = i + 1;
            for (uint256 j; j < operands; ++j) {
                next = _checkNode(nodes, next, level + 1);
            }
            return next;
        }
        _checkLeaf(node, i);
        return i + 1;
    }

    /// @dev Which fields each leaf kind uses (the rest must be zero), and its value's range.
    function _checkLeaf(Condition calldata node, uint256 i) internal view {
        ConditionKind kind = node.kind;
        bool isCall = kind == ConditionKind.Call;
        bool hasTarget = kind != ConditionKind.NativeBalance && kind != ConditionKind.Time;
        bool hasId = kind == ConditionKind.Erc721Owner || kind == ConditionKind.Erc1155Balance;
        bool compares = kind != ConditionKind.Erc721Owner && kind != ConditionKind.Erc721Any;
        bool valid = node.operands == 0 && (hasId || node.id == 0) && (compares || node.value == 0)
            && (compares || node.comparator == Comparator.Eq) && (isCall || node.returnKind == ReturnKind.Uint256)
            && (isCall || (node.readerArgs == 0 && node.data.length == 0)) && (hasTarget || node.target == address(0));
        if (isCall) {
            uint256 length = node.data.length;
            uint256 args = length < 4 ? 0 : (length - 4) / 32;
            valid = valid && length >= 4 && (length - 4) % 32 == 0 && args <= MAX_CALL_ARGS
                && uint256(node.readerArgs) >> args == 0
                && (node.returnKind == ReturnKind.Uint256 || node.comparator <= Comparator.Ne);
        }
        if (!valid) revert PolicyRegistryConditionMalformed(i);
        if (hasTarget && node.target.code.length == 0) revert PolicyRegistryConditionTargetNotContract(i, node.target);
        uint256 value = node.value;
        bool inRange = kind == ConditionKind.Time
            ? value <= type(uint64).max
            : !isCall || node.returnKind == ReturnKind.Uint256 || value <= (node.returnKind == ReturnKind.Bool ? 1 : type(uint160).max);
        if (!inRange) revert PolicyRegistryConditionValueOutOfRange(i, value);
    }

    /// @dev Node `i`'s outcome for `account`, the index after its subtree, and the decisive
    /// node when the outcome is not True. Combinators stop at the first operand that decides
    /// them; a failed call ends the whole evaluation.
    function _evaluate(Condition[] storage nodes, uint256 i, address account)
        internal
        view
        returns (Outcome outcome, uint256 next, uint256 decisive)
    {
        Condition storage node = nodes[i];
        ConditionKind kind = node.kind;
        if (kind > ConditionKind.Not) {
            outcome = _evaluateLeaf(node, i, account);
            return (outcome, i + 1, i);
        }
        uint256 operands = node.operands;
        next = i + 1;
        if (kind == ConditionKind.Not) {
            (outcome, next, decisive) = _evaluate(nodes, next, account);
            if (outcome == Outcome.CallFailed) return (outcome, next, decisive);
            return outcome == Outcome.True ? (Outcome.False, next, i) : (Outcome.True, next, i);
        }
        // And stops at its first non-True operand, Or at its first non-False one.
        Outcome goOn = kind == ConditionKind.And ? Outcome.True : Outcome.False;
        for (uint256 j; j < operands; ++j) {
            (outcome, next, decisive) = _evaluate(nodes, next, account);
            if (outcome != goOn) {
                for (++j; j < operands; ++j) {
                    next = _skip(nodes, next);
                }
                return (outcome, next, decisive);
            }
        }
        // Every operand of an And held, or none of an Or's did (the Or itself decided).
        return (outcome, next, i);
    }

    /// @dev The index after node `i`'s subtree, evaluating nothing.
    function _skip(Condition[] storage nodes, uint256 i) internal view returns (uint256 next) {
        Condition storage node = nodes[i];
        next = i + 1;
        if (node.kind > ConditionKind.Not) return next;
        uint256 operands = node.operands;
        for (uint256 j; j < operands; ++j) {
            next = _skip(nodes, next);
        }
    }

    function _evaluateLeaf(Condition storage node, uint256 i, address account) internal view returns (Outcome) {
        ConditionKind kind = node.kind;
        if (kind == ConditionKind.NativeBalance) return _compare(account.balance, node.comparator, node.value);
        if (kind == ConditionKind.Time) return _compare(block.timestamp, node.comparator, node.value);
        bytes memory data;
        if (kind == ConditionKind.Erc20Balance || kind == ConditionKind.Erc721Any) {
            data = abi.encodeWithSelector(BALANCE_OF, account);
        } else if (kind == ConditionKind.Erc721Owner) {
            data = abi.encodeWithSelector(OWNER_OF, node.id);
        } else if (kind == ConditionKind.Erc1155Balance) {
            data = abi.encodeWithSelector(BALANCE_OF_ID, account, node.id);
        } else {
            data = _callData(node.data, node.readerArgs, account);
        }
        (bool ok, uint256 word) = _staticcallWord(node.target, data, i);
        if (!ok) return Outcome.CallFailed;
        if (kind == ConditionKind.Erc721Owner) {
            if (word > type(uint160).max) return Outcome.CallFailed;
            return address(uint160(word)) == account ? Outcome.True : Outcome.False;
        }
        if (kind == ConditionKind.Erc721Any) return word > 0 ? Outcome.True : Outcome.False;
        if (kind == ConditionKind.Call) {
            ReturnKind returns_ = node.returnKind;
            if (returns_ == ReturnKind.Bool ? word > 1 : returns_ == ReturnKind.Address && word > type(uint160).max) {
                return Outcome.CallFailed;
            }
        }
        return _compare(word, node.comparator, node.value);
    }

    /// @dev A call condition's stored data with the flagged argument words set to `account`.
    function _callData(bytes storage template, uint8 readerArgs, address account)
        internal
        pure
        returns (bytes memory data)
    {
        data = template;
        for (uint256 word; readerArgs >> word != 0; ++word) {
            if ((readerArgs >> word) & 1 == 1) {
                assembly ("memory-safe") {
                    mstore(add(add(data, 36), mul(word, 32)), account)
                }
            }
        }
    }

    /// @dev staticcall with at most CONDITION_CALL_GAS; copies at most one returned word, so a
    /// target returning huge data cannot make the caller pay to copy it. ok is false when the
    /// call reverted, ran out of gas or returned fewer than 32 bytes.
    function _staticcallWord(address target, bytes memory data, uint256 i)
        internal
        view
        returns (bool ok, uint256 word)
    {
        // Under EIP-150 a call gets at most 63/64 of what is left: check there is enough for
        // the full cap, so a target running out is the target's doing, not the caller's.
        if (gasleft() < CONDITION_CALL_GAS + CONDITION_CALL_GAS / 63 + 5_000) revert PolicyRegistryConditionGasTooLow(i);
        uint256 cap = CONDITION_CALL_GAS;
        assembly ("memory-safe") {
            let success := staticcall(cap, target, add(data, 32), mload(data), 0, 32)
            ok := and(success, iszero(lt(returndatasize(), 32)))
            word := mload(0)
        }
    }

    function _compare(uint256 quantity, Comparator comparator, uint256 value) internal pure returns (Outcome) {
        bool holds;
        if (comparator == Comparator.Eq) holds = quantity == value;
        else if (comparator == Comparator.Ne) holds = quantity != value;
        else if (comparator == Comparator.Gt) holds = quantity > value;
        else if (comparator == Comparator.Gte) holds = quantity >= value;
        else if (comparator == Comparator.Lt) holds = quantity < value;
        else holds = quantity <= value;
        return holds ? Outcome.True : Outcome.False;
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
