// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessReason, ReplicationMode} from "../types/DekmeshTypes.sol";
import {IReplicaAssignments} from "./IReplicaAssignments.sol";

/// @title IContentRegistry
/// @notice Encrypted contents registered under policies, their stake-drawn replica sets and
/// the validators' holder confirmations (docs/architecture.md#on-chain-state, #replication). A content is keyed by
/// `contentId = keccak256(cid)` where `cid` is the binary CIDv1 of the NanoTDF file.
interface IContentRegistry is IReplicaAssignments {
    /// @notice Why a content's initial validator found its registration unusable: a property of
    /// the registered header, so retrying cannot help. The numeric values are a wire format
    /// (node/protocol/unusableReasons.ts, the indexer's `unusableReason`).
    enum UnusableReason {
        /// Not a reason; `reportUnusable` refuses it.
        None,
        /// The header does not decode as a NanoTDF header a validator can open.
        MalformedHeader,
        /// The header is sealed to a KAS key the initial validator never registered.
        UnknownKasKey,
        /// The header opens, but its policy binding does not name the registered policy.
        PolicyMismatch
    }

    // ---------------------------------------------------------------- events
    /// @notice A publisher registered a content. `header` is the NanoTDF header the initial
    /// validator derives the DEK from; `recoveryEnvelope` is the DEK wrapped to the publisher.
    event ContentRegistered(
        bytes32 indexed contentId,
        address indexed publisher,
        uint64 indexed policyId,
        address initialValidator,
        ReplicationMode mode,
        bytes cid,
        bytes header,
        bytes recoveryEnvelope
    );
    /// @notice The replica set of a `stake(k)` content was drawn from `seed`. Slots may be
    /// `address(0)` when fewer than k validators were active; `repair` fills them later.
    event ReplicaSetAssigned(bytes32 indexed contentId, address[] members, uint256 seed);
    /// @notice Slot `slot` of a content's replica set moved from `previous` to `replacement`
    /// (`address(0)` if no active validator was left to draw).
    event ReplicaRepaired(
        bytes32 indexed contentId, uint256 slot, address indexed previous, address indexed replacement
    );
    /// @notice `validator` confirmed that it holds the DEK of `contentId` durably.
    event HoldingConfirmed(bytes32 indexed contentId, address indexed validator);
    /// @notice The content's initial validator, the only one that can derive its DEK from the
    /// header, found that nobody can: validators stop replicating it.
    event ContentReportedUnusable(bytes32 indexed contentId, address indexed validator, UnusableReason reason);

    // ---------------------------------------------------------------- errors
    error ContentRegistryAlreadyRegistered(bytes32 contentId);
    error ContentRegistryUnknownContent(bytes32 contentId);
    error ContentRegistryUnknownPolicy(uint64 policyId);
    error ContentRegistryNotPublisher(uint64 policyId, address account);
    error ContentRegistryPolicyRevoked(uint64 policyId);
    error ContentRegistryValidatorNotActive(address validator);
    error ContentRegistryInvalidCid();
    error ContentRegistryInvalidHeader();
    error ContentRegistryInvalidRecoveryEnvelope();
    error ContentRegistryInvalidBatch(uint256 size);
    error ContentRegistryNotStakeMode(bytes32 contentId);
    error ContentRegistryReplicaSetMismatch(bytes32 contentId);
    error ContentRegistryNothingToRepair(bytes32 contentId);
    error ContentRegistryNothingRepaired();
    error ContentRegistryNotInitialValidator(bytes32 contentId, address account);
    error ContentRegistryReportedUnusable(bytes32 contentId);
    error ContentRegistryInvalidUnusableReason(uint8 reason);

    // ---------------------------------------------------------------- functions
    /// @notice Registers a content under one of the caller's policies (the upload TX).
    /// @dev For `stake(k)` policies the replica set is drawn here from `block.prevrandao`,
    /// the previous block hash and the content id, and only a commitment is stored.
    /// @param cid Binary CIDv1 of the encrypted file (1–128 bytes).
    /// @param policyId The caller's policy the content is registered under.
    /// @param initialValidator The active validator the header's DEK is encrypted to.
    /// @param header The NanoTDF header bytes (1–1024 bytes).
    /// @param recoveryEnvelope The DEK wrapped to the publisher (0–512 bytes; empty = none).
    /// @return contentId keccak256(cid).
    function register(
        bytes calldata cid,
        uint64 policyId,
        address initialValidator,
        bytes calldata header,
        bytes calldata recoveryEnvelope
    ) external returns (bytes32 contentId);

    /// @notice Confirms that the caller, an active validator, durably holds the DEKs of
    /// `contentIds` (1–500 per batch).
    function confirmHoldings(bytes32[] calldata contentIds) external;

    /// @notice Re-draws every slot of a `stake(k)` content's replica set whose member is no
    /// longer active (or is vacant). Callable by anyone.
    /// @param members The current replica set (checked against the stored commitment).
    /// @return repaired The replica set after the repair.
    function repair(bytes32 contentId, address[] calldata members) external returns (address[] memory repaired);

    /// @notice `repair` for up to 100 contents in one transaction (a departure affects many
    /// sets). Reverts for an empty or oversized batch, mismatched array lengths, an unknown or
    /// non-stake content. An entry whose `members` no longer match the stored set (repaired by
    /// someone else meanwhile) or that has nothing to re-draw is skipped; the call reverts only
    /// if no entry changed. Callable by anyone, like `repair`.
    /// @param members The current replica set of each content, in the order of `contentIds`.
    /// @return count The number of replica sets that changed.
    function repairMany(bytes32[] calldata contentIds, address[][] calldata members) external returns (uint256 count);

    /// @notice Records the verdict of a content's initial validator that its registration is
    /// unusable — nobody can derive the DEK from the header (`reason`) — once; validators then stop
    /// replicating it. A `stake(k)` content's slots are released: each member's
    /// `assignedReplicas` drops by one and the set can no longer be repaired. Reverts unless the
    /// caller is the content's initial validator and active, for an unknown or already reported
    /// content, a `reason` outside 1–3, and `members` other than the current set.
    /// @dev Trust: only the initial validator can derive the DEK, so only it can tell. Anyone can
    /// check `MalformedHeader` and `UnknownKasKey` against the header in `ContentRegistered` and
    /// the validator's registered KAS keys, but `PolicyMismatch` only where the binding is an
    /// ECDSA signature (an encrypted binding opens only with the DEK). A malicious initial
    /// validator can therefore mark a good content unusable — but it could equally withhold the
    /// DEK, which until the first member pulls exists only with it; the report makes that refusal
    /// public and attributable instead of silent. Validators that already hold the DEK keep it
    /// and still serve rewraps; only replication stops. Making a false report challengeable and
    /// slashable is the accountability work of issue #25. The verdict is final: the publisher
    /// registers the content again under a new CID.
    /// @param reason An `UnusableReason` other than `None`.
    /// @param members The current replica set of a `stake(k)` content in slot order (checked
    /// against the stored commitment); empty for the other modes.
    function reportUnusable(bytes32 contentId, uint8 reason, address[] calldata members) external;

    /// @notice Whether the content's initial validator reported it unusable.
    function isUnusable(bytes32 contentId) external view returns (bool);

    /// @notice The policy a content is registered under (0 if unknown).
    function policyOf(bytes32 contentId) external view returns (uint64);

    /// @notice Whether `members` is the current replica set of `contentId`.
    function isReplicaSet(bytes32 contentId, address[] calldata members) external view returns (bool);

    /// @notice The access decision for `account` on `contentId`, by its policy's rule.
    function canAccessContent(bytes32 contentId, address account)
        external
        view
        returns (bool allowed, AccessReason reason);
}
