// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IContentRegistry} from "./interfaces/IContentRegistry.sol";
import {IReplicaAssignments} from "./interfaces/IReplicaAssignments.sol";
import {IPolicyRegistry} from "./interfaces/IPolicyRegistry.sol";
import {IValidatorRegistry} from "./interfaces/IValidatorRegistry.sol";
import {ThresholdShares} from "./libraries/ThresholdShares.sol";
import {AccessReason, ReplicationMode, thresholdOf} from "./types/DekmeshTypes.sol";

/// @title ContentRegistry
/// @notice Registration of encrypted contents, stake-weighted replica sets, threshold members,
/// holder confirmations and initial validators' verdicts on unusable contents. Each content costs
/// one storage slot: its policy id, for `stake(k)` and `threshold(m, n)` contents a commitment to
/// its members, and a tag of its initial validator. Everything else lives in events.
contract ContentRegistry is IContentRegistry {
    uint256 private constant MAX_CID_BYTES = 128;
    uint256 private constant MAX_HEADER_BYTES = 1024;
    uint256 private constant MAX_RECOVERY_BYTES = 512;
    uint256 private constant MAX_BATCH = 500;
    /// @dev A repair re-draws from the stake tree (≈ 30–60k gas a content): 100 stays far below a block.
    uint256 private constant MAX_REPAIR_BATCH = 100;

    /// @notice The validator set consulted for activity and replica draws.
    IValidatorRegistry public immutable validators;
    /// @notice The policy registry contents are registered under.
    IPolicyRegistry public immutable policies;

    /// @dev Record layout (`_records`), written once at registration:
    ///   bits 255..192  policy id
    ///   bits 191..96   replica-set commitment: stake(k) members, threshold(m, n) slots; 0 for
    ///                  other modes and once released
    ///   bits  95..1    initial-validator tag; 0 for threshold(m, n), which has no initial
    ///                  validator: a zero tag under a set commitment marks a threshold record
    ///   bit        0   reported unusable
    /// Commitment and tag are keccak256 truncated to 96 and 95 bits, each over the content id
    /// and its subject, so forging one means a second preimage for that one content (2^96,
    /// 2^95 hashes; one search cannot aim at many contents at once). Both in the one slot with
    /// the policy id save a 22,100-gas SSTORE per registration: a second slot would take
    /// `register` with a stake(3) draw from ≈ 133,500 to ≈ 155,600 gas, over its 150,000 goal.
    uint256 private constant SET_SHIFT = 96;
    uint256 private constant SET_MASK = ((1 << 96) - 1) << SET_SHIFT;
    uint256 private constant TAG_MASK = ((1 << 96) - 1) ^ UNUSABLE;
    uint256 private constant UNUSABLE = 1;

    mapping(bytes32 contentId => uint256 record) private _records;
    mapping(address validator => uint256 slots) private _assignedReplicas;

    constructor(IValidatorRegistry validators_, IPolicyRegistry policies_) {
        validators = validators_;
        policies = policies_;
    }

    /// @inheritdoc IContentRegistry
    function register(
        bytes calldata cid,
        uint64 policyId,
        address initialValidator,
        bytes calldata header,
        bytes calldata recoveryEnvelope
    ) external returns (bytes32 contentId) {
        _checkContentBytes(cid, header, recoveryEnvelope);
        (ReplicationMode mode, uint8 k) = _checkPolicy(policyId);
        if (mode == ReplicationMode.Threshold) revert ContentRegistryWrongMode(policyId, mode);
        if (!validators.isActive(initialValidator)) revert ContentRegistryValidatorNotActive(initialValidator);

        contentId = keccak256(cid);
        if (_records[contentId] != 0) revert ContentRegistryAlreadyRegistered(contentId);
        uint96 commitment = mode == ReplicationMode.Stake ? _assignReplicaSet(contentId, k) : 0;
        _records[contentId] =
            (uint256(policyId) << 192) | (uint256(commitment) << SET_SHIFT) | _tag(contentId, initialValidator);
        emit ContentRegistered(contentId, msg.sender, policyId, initialValidator, mode, cid, header, recoveryEnvelope);
    }

    /// @inheritdoc IContentRegistry
    function registerThreshold(ThresholdRegistration calldata r) external returns (bytes32 contentId) {
        _checkContentBytes(r.cid, r.header, r.recoveryEnvelope);
        (ReplicationMode mode, uint8 k) = _checkPolicy(r.policyId);
        if (mode != ReplicationMode.Threshold) revert ContentRegistryWrongMode(r.policyId, mode);
        (uint256 m, uint256 n) = thresholdOf(k);
        ThresholdShares.checkCommitments(r.commitments, m);
        contentId = keccak256(r.cid);
        if (_records[contentId] != 0) revert ContentRegistryAlreadyRegistered(contentId);
        uint256 seed = ThresholdShares.drawSeed(r.drawBlock, contentId);
        address[] memory members = validators.sample(seed, n, new address[](0));
        // Every share is sealed to a drawn member: a threshold set has no vacant slots.
        if (members.length < n) revert ContentRegistryNotEnoughValidators(n, members.length);
        ThresholdShares.checkSealedShares(r.sealedShares, members, 0);
        for (uint256 i; i < n; ++i) {
            ++_assignedReplicas[members[i]];
        }
        // Slot i holds members[i] with share index i + 1 (n <= 16) and no previous member.
        _records[contentId] = (uint256(r.policyId) << 192) | (uint256(ThresholdShares.commitDealt(contentId, members)) << SET_SHIFT);
        emit ContentRegistered(contentId, msg.sender, r.policyId, address(0), mode, r.cid, r.header, r.recoveryEnvelope);
        emit ThresholdSharesDealt(contentId, uint8(m), members, r.drawBlock, seed, r.commitments, r.sealedShares);
    }

    /// @inheritdoc IContentRegistry
    function repairThreshold(bytes32 contentId, ThresholdSlot[] calldata slots)
        external
        returns (ThresholdSlot[] memory repaired)
    {
        uint256 record = _thresholdRecord(contentId, slots);
        (address[] memory staying, uint256 vacatedSlots, uint16 lastIndex) = _partitionSlots(slots);
        if (vacatedSlots == 0) revert ContentRegistryNothingToRepair(contentId);
        uint256 seed = uint256(keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), contentId, record)));
        address[] memory drawn = validators.sample(seed, slots.length - staying.length, staying);
        if (drawn.length == 0) revert ContentRegistryNothingToRepair(contentId);
        repaired = slots;
        uint256 next;
        for (uint256 i; i < slots.length && next < drawn.length; ++i) {
            if (vacatedSlots & (1 << i) == 0) continue;
            ThresholdSlot calldata slot = slots[i];
            address replacement = drawn[next++];
            // A replacement that left before it confirmed never held a share the slot needs; the
            // member it was replacing stays the one to release.
            address previous = slot.previous;
            if (previous == address(0)) previous = slot.member;
            else --_assignedReplicas[slot.member];
            ++_assignedReplicas[replacement];
            repaired[i] = ThresholdSlot({member: replacement, index: ++lastIndex, previous: previous});
            emit ThresholdSlotRepaired(contentId, i, slot.member, replacement, lastIndex);
        }
        _storeSlots(contentId, record, repaired);
    }

    /// @inheritdoc IContentRegistry
    function redealThreshold(bytes32 contentId, ThresholdSlot[] calldata slots, ThresholdDeal calldata deal)
        external
        returns (ThresholdSlot[] memory dealt)
    {
        uint256 record = _thresholdRecord(contentId, slots);
        (, uint8 k) = _checkPolicy(uint64(record >> 192));
        (uint256 m, uint256 n) = thresholdOf(k);
        ThresholdShares.checkCommitments(deal.commitments, m);
        uint256 seed = ThresholdShares.drawSeed(deal.drawBlock, contentId);
        address[] memory members = validators.sample(seed, n, new address[](0));
        if (members.length < n) revert ContentRegistryNotEnoughValidators(n, members.length);
        uint16 lastIndex;
        for (uint256 i; i < slots.length; ++i) {
            ThresholdSlot calldata slot = slots[i];
            if (slot.index > lastIndex) lastIndex = slot.index;
            --_assignedReplicas[slot.member];
            if (slot.previous != address(0)) --_assignedReplicas[slot.previous];
        }
        ThresholdShares.checkSealedShares(deal.sealedShares, members, lastIndex);
        dealt = new ThresholdSlot[](n);
        for (uint256 i; i < n; ++i) {
            // Indexes stay far below 2^16: each dealing or repair adds at most 16.
            dealt[i] = ThresholdSlot({member: members[i], index: uint16(lastIndex + i + 1), previous: address(0)});
            ++_assignedReplicas[members[i]];
        }
        _storeSlots(contentId, record, dealt);
        emit ThresholdSharesRedealt(
            contentId, uint8(m), members, lastIndex + 1, deal.drawBlock, seed, deal.commitments, deal.sealedShares
        );
    }

    /// @inheritdoc IContentRegistry
    function confirmEnrollment(bytes32 contentId, ThresholdSlot[] calldata slots, uint256 slot) external {
        uint256 record = _thresholdRecord(contentId, slots);
        if (slot >= slots.length || slots[slot].previous == address(0)) revert ContentRegistryNotEnrolling(contentId, slot);
        ThresholdSlot calldata enrolled = slots[slot];
        if (enrolled.member != msg.sender) revert ContentRegistryNotSlotMember(contentId, slot, msg.sender);
        if (!validators.isActive(msg.sender)) revert ContentRegistryValidatorNotActive(msg.sender);
        --_assignedReplicas[enrolled.previous];
        ThresholdSlot[] memory updated = slots;
        updated[slot].previous = address(0);
        _storeSlots(contentId, record, updated);
        emit ThresholdEnrollmentConfirmed(contentId, slot, msg.sender, enrolled.index, enrolled.previous);
    }

    /// @inheritdoc IContentRegistry
    function confirmHoldings(bytes32[] calldata contentIds) external {
        uint256 n = contentIds.length;
        if (n == 0 || n > MAX_BATCH) revert ContentRegistryInvalidBatch(n);
        if (!validators.isActive(msg.sender)) revert ContentRegistryValidatorNotActive(msg.sender);
        for (uint256 i; i < n; ++i) {
            bytes32 contentId = contentIds[i];
            if (_records[contentId] == 0) revert ContentRegistryUnknownContent(contentId);
            emit HoldingConfirmed(contentId, msg.sender);
        }
    }

    /// @inheritdoc IContentRegistry
    function repair(bytes32 contentId, address[] calldata members) external returns (address[] memory repaired) {
        uint256 record = _stakeRecord(contentId);
        if (record & UNUSABLE != 0) revert ContentRegistryReportedUnusable(contentId);
        if (_commit(contentId, members) != _setCommitment(record)) revert ContentRegistryReplicaSetMismatch(contentId);
        bool changed;
        (repaired, changed) = _repair(contentId, record, members);
        if (!changed) revert ContentRegistryNothingToRepair(contentId);
    }

    /// @inheritdoc IContentRegistry
    function repairMany(bytes32[] calldata contentIds, address[][] calldata members) external returns (uint256 count) {
        uint256 n = contentIds.length;
        if (n == 0 || n > MAX_REPAIR_BATCH || members.length != n) revert ContentRegistryInvalidBatch(n);
        for (uint256 i; i < n; ++i) {
            bytes32 contentId = contentIds[i];
            uint256 record = _stakeRecord(contentId);
            // Repaired by someone else since the caller read the set (several validators heal the
            // same departure), reported unusable meanwhile (its slots released), or nothing left
            // to draw: skipped, the rest of the batch still counts.
            if (record & UNUSABLE != 0 || _commit(contentId, members[i]) != _setCommitment(record)) continue;
            (, bool changed) = _repair(contentId, record, members[i]);
            if (changed) ++count;
        }
        if (count == 0) revert ContentRegistryNothingRepaired();
    }

    /// @inheritdoc IContentRegistry
    function reportUnusable(bytes32 contentId, uint8 reason, address[] calldata members) external {
        if (reason == 0 || reason > uint8(type(UnusableReason).max)) revert ContentRegistryInvalidUnusableReason(reason);
        uint256 record = _records[contentId];
        if (record == 0) revert ContentRegistryUnknownContent(contentId);
        if (record & TAG_MASK != _tag(contentId, msg.sender)) revert ContentRegistryNotInitialValidator(contentId, msg.sender);
        if (record & UNUSABLE != 0) revert ContentRegistryReportedUnusable(contentId);
        if (!validators.isActive(msg.sender)) revert ContentRegistryValidatorNotActive(msg.sender);
        uint96 commitment = _setCommitment(record);
        if (commitment == 0 ? members.length != 0 : _commit(contentId, members) != commitment) {
            revert ContentRegistryReplicaSetMismatch(contentId);
        }
        // Every member of a committed set was counted when it was drawn or filled in.
        for (uint256 i; i < members.length; ++i) {
            if (members[i] != address(0)) --_assignedReplicas[members[i]];
        }
        _records[contentId] = (record & ~SET_MASK) | UNUSABLE;
        emit ContentReportedUnusable(contentId, msg.sender, UnusableReason(reason));
    }

    /// @inheritdoc IReplicaAssignments
    function assignedReplicas(address validator) external view returns (uint256) {
        return _assignedReplicas[validator];
    }

    /// @inheritdoc IContentRegistry
    function policyOf(bytes32 contentId) public view returns (uint64) {
        return uint64(_records[contentId] >> 192);
    }

    /// @inheritdoc IContentRegistry
    function isReplicaSet(bytes32 contentId, address[] calldata members) external view returns (bool) {
        uint96 commitment = _setCommitment(_records[contentId]);
        return commitment != 0 && commitment == _commit(contentId, members);
    }

    /// @inheritdoc IContentRegistry
    function isThresholdSlots(bytes32 contentId, ThresholdSlot[] calldata slots) external view returns (bool) {
        uint256 record = _records[contentId];
        return record & TAG_MASK == 0 && _setCommitment(record) != 0
            && _setCommitment(record) == ThresholdShares.commit(contentId, slots);
    }

    /// @inheritdoc IContentRegistry
    function isUnusable(bytes32 contentId) external view returns (bool) {
        return _records[contentId] & UNUSABLE != 0;
    }

    /// @inheritdoc IContentRegistry
    function canAccessContent(bytes32 contentId, address account)
        external
        view
        returns (bool allowed, AccessReason reason)
    {
        uint64 policyId = policyOf(contentId);
        if (policyId == 0) return (false, AccessReason.PolicyNotFound);
        return policies.canAccess(policyId, account);
    }

    /// @dev The record of a registered `stake(k)` content (possibly reported unusable since, its
    /// commitment then cleared); reverts for anything else.
    function _stakeRecord(bytes32 contentId) private view returns (uint256 record) {
        record = _records[contentId];
        if (record == 0) revert ContentRegistryUnknownContent(contentId);
        if (record & (SET_MASK | UNUSABLE) == 0 || record & TAG_MASK == 0) revert ContentRegistryNotStakeMode(contentId);
    }

    /// @dev The record of a registered `threshold(m, n)` content whose current slots are `slots`;
    /// reverts for anything else.
    function _thresholdRecord(bytes32 contentId, ThresholdSlot[] calldata slots) private view returns (uint256 record) {
        record = _records[contentId];
        if (record == 0) revert ContentRegistryUnknownContent(contentId);
        if (record & TAG_MASK != 0) revert ContentRegistryNotThresholdMode(contentId);
        if (ThresholdShares.commit(contentId, slots) != _setCommitment(record)) {
            revert ContentRegistryReplicaSetMismatch(contentId);
        }
    }

    /// @dev Active members stay; the other slots are re-drawn. Also the highest index in use:
    /// indexes only grow, so the next fresh one is never a share anyone held before.
    function _partitionSlots(ThresholdSlot[] calldata slots)
        private
        view
        returns (address[] memory staying, uint256 vacatedSlots, uint16 lastIndex)
    {
        staying = new address[](slots.length);
        uint256 count;
        for (uint256 i; i < slots.length; ++i) {
            if (slots[i].index > lastIndex) lastIndex = slots[i].index;
            if (validators.isActive(slots[i].member)) staying[count++] = slots[i].member;
            else vacatedSlots |= 1 << i;
        }
        assembly ("memory-safe") {
            // Shrink the array to the members that stay (count <= length, so no memory is exposed).
            mstore(staying, count)
        }
    }

    function _storeSlots(bytes32 contentId, uint256 record, ThresholdSlot[] memory slots) private {
        _records[contentId] = (record & ~SET_MASK) | (uint256(ThresholdShares.commit(contentId, slots)) << SET_SHIFT);
    }

    /// @dev The sizes every registration's bytes must have.
    function _checkContentBytes(bytes calldata cid, bytes calldata header, bytes calldata recoveryEnvelope)
        private
        pure
    {
        if (cid.length == 0 || cid.length > MAX_CID_BYTES) revert ContentRegistryInvalidCid();
        if (header.length == 0 || header.length > MAX_HEADER_BYTES) revert ContentRegistryInvalidHeader();
        if (recoveryEnvelope.length > MAX_RECOVERY_BYTES) revert ContentRegistryInvalidRecoveryEnvelope();
    }

    /// @dev Re-draws the slots of `members` (already checked against the commitment) whose member
    /// left, stores the new commitment when something changed, and returns the new set.
    function _repair(bytes32 contentId, uint256 record, address[] calldata members)
        private
        returns (address[] memory repaired, bool changed)
    {
        (address[] memory staying, uint256 vacatedSlots) = _partition(members);
        if (vacatedSlots == 0) return (members, false);
        uint256 seed = uint256(keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), contentId, record)));
        // Members that stay are excluded from the re-draw, so the set stays distinct.
        address[] memory drawn = validators.sample(seed, members.length - staying.length, staying);
        (repaired, changed) = _fill(contentId, members, vacatedSlots, drawn);
        if (changed) _records[contentId] = (record & ~SET_MASK) | (uint256(_commit(contentId, repaired)) << SET_SHIFT);
    }

    /// @dev The caller must be the publisher of a live policy; returns its replication spec.
    function _checkPolicy(uint64 policyId) private view returns (ReplicationMode mode, uint8 k) {
        address publisher;
        bool revoked;
        (publisher, revoked, mode, k) = policies.registrationInfo(policyId);
        if (publisher == address(0)) revert ContentRegistryUnknownPolicy(policyId);
        if (publisher != msg.sender) revert ContentRegistryNotPublisher(policyId, msg.sender);
        if (revoked) revert ContentRegistryPolicyRevoked(policyId);
    }

    /// @dev Draws the replica set of a new `stake(k)` content and returns its commitment. The
    /// publisher cannot choose prevrandao; it could only grind by re-encrypting to a new CID
    /// per block, and every draw still only picks among staked validators.
    function _assignReplicaSet(bytes32 contentId, uint256 k) private returns (uint96) {
        uint256 seed = uint256(keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), contentId)));
        address[] memory members = _drawSet(seed, k);
        emit ReplicaSetAssigned(contentId, members, seed);
        return _commit(contentId, members);
    }

    /// @dev Draws k slots; when fewer than k validators are active the tail stays vacant.
    function _drawSet(uint256 seed, uint256 k) private returns (address[] memory members) {
        address[] memory drawn = validators.sample(seed, k, new address[](0));
        members = new address[](k);
        for (uint256 i; i < drawn.length; ++i) {
            members[i] = drawn[i];
            ++_assignedReplicas[drawn[i]];
        }
    }

    /// @dev Splits a replica set into the members that stay (active) and a bitmask of the
    /// slots to re-draw (inactive or vacant). Sets have at most 16 slots (PolicyRegistry caps k).
    function _partition(address[] calldata members)
        private
        view
        returns (address[] memory staying, uint256 vacatedSlots)
    {
        uint256 k = members.length;
        staying = new address[](k);
        uint256 count;
        for (uint256 i; i < k; ++i) {
            if (members[i] != address(0) && validators.isActive(members[i])) staying[count++] = members[i];
            else vacatedSlots |= 1 << i;
        }
        assembly ("memory-safe") {
            // Shrink the array to the members that stay (count <= k, so no memory is exposed).
            mstore(staying, count)
        }
    }

    /// @dev Puts the drawn validators into the vacated slots in order; a slot nobody could be
    /// drawn for becomes vacant. `changed` is false when vacant slots stay vacant.
    function _fill(bytes32 contentId, address[] calldata members, uint256 vacatedSlots, address[] memory drawn)
        private
        returns (address[] memory repaired, bool changed)
    {
        repaired = members;
        uint256 next;
        for (uint256 i; i < members.length; ++i) {
            if (vacatedSlots & (1 << i) == 0) continue;
            address previous = members[i];
            address replacement = next < drawn.length ? drawn[next++] : address(0);
            if (replacement == previous) continue;
            repaired[i] = replacement;
            changed = true;
            if (previous != address(0)) --_assignedReplicas[previous];
            if (replacement != address(0)) ++_assignedReplicas[replacement];
            emit ReplicaRepaired(contentId, i, previous, replacement);
        }
    }

    /// @dev Commitment to a content's replica set (record bits 191..96); never 0 for a
    /// non-empty set in practice, and a `stake(k)` set always has k ≥ 1 slots.
    function _commit(bytes32 contentId, address[] memory members) private pure returns (uint96) {
        return uint96(uint256(keccak256(abi.encodePacked(contentId, members))));
    }

    /// @dev The replica-set commitment stored in a record (0 if none).
    function _setCommitment(uint256 record) private pure returns (uint96) {
        return uint96(record >> SET_SHIFT);
    }

    /// @dev A content's initial-validator tag (record bits 95..1).
    function _tag(bytes32 contentId, address validator) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(contentId, validator))) & TAG_MASK;
    }
}
