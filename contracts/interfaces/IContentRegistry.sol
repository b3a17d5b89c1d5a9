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

    /// @notice One slot of a `Threshold` content's member list: the member, the x of the share it
    /// holds, and while it is being enrolled the member it replaces (released once it confirms).
    struct ThresholdSlot {
        address member;
        uint16 index;
        address previous;
    }

    /// @notice What a publisher sends to register a `Threshold` content (`registerThreshold`).
    /// @param drawBlock A block among the last 64 whose hash, with the content id, seeds the
    /// member draw the shares are sealed to.
    /// @param commitments The m Feldman commitments, 33-byte compressed P-256 points; the first is
    /// the content public key the header is made against.
    /// @param sealedShares n sealed shares of 112 bytes in slot order: version 1, uint16 index
    /// (slot + 1), the member's address, the KID of its KAS key, then the ECIES ciphertext.
    struct ThresholdRegistration {
        bytes cid;
        uint64 policyId;
        bytes header;
        bytes recoveryEnvelope;
        uint256 drawBlock;
        bytes commitments;
        bytes sealedShares;
    }

    /// @notice A publisher's new dealing of a `Threshold` content's key (`redealThreshold`): the
    /// same fields as a registration's, with a block among the last 64 to draw the members from.
    struct ThresholdDeal {
        uint256 drawBlock;
        bytes commitments;
        bytes sealedShares;
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
    /// @notice A `Threshold` content's key was dealt: slot i of `members` holds share i + 1, sealed
    /// in `sealedShares`; any `m` of them recover the key. `seed` = keccak256(blockhash(drawBlock),
    /// contentId) drew the members.
    event ThresholdSharesDealt(
        bytes32 indexed contentId,
        uint8 m,
        address[] members,
        uint256 drawBlock,
        uint256 seed,
        bytes commitments,
        bytes sealedShares
    );
    /// @notice The publisher dealt a `Threshold` content's key again (its recovery envelope holds
    /// it): `members` replace every slot, slot i holding share `firstIndex + i` of the new
    /// polynomial, whose commitments and sealed shares are here. Earlier shares no longer count.
    event ThresholdSharesRedealt(
        bytes32 indexed contentId,
        uint8 m,
        address[] members,
        uint16 firstIndex,
        uint256 drawBlock,
        uint256 seed,
        bytes commitments,
        bytes sealedShares
    );
    /// @notice Slot `slot` of a `Threshold` content was re-drawn: `replacement` is to be enrolled
    /// with the fresh share index `index` in place of `previous`.
    event ThresholdSlotRepaired(
        bytes32 indexed contentId, uint256 slot, address indexed previous, address indexed replacement, uint16 index
    );
    /// @notice `member` holds its enrolled share `index` of slot `slot`; `released`, the member it
    /// replaced, no longer counts the slot.
    event ThresholdEnrollmentConfirmed(
        bytes32 indexed contentId, uint256 slot, address indexed member, uint16 index, address indexed released
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
    /// @notice `register` got a `Threshold` policy, or `registerThreshold` another mode.
    error ContentRegistryWrongMode(uint64 policyId, ReplicationMode mode);
    error ContentRegistryNotThresholdMode(bytes32 contentId);
    error ContentRegistryInvalidDrawBlock(uint256 drawBlock);
    error ContentRegistryInvalidCommitments();
    error ContentRegistryInvalidSealedShares();
    /// @notice Sealed share `slot` is not share slot + 1 addressed to the member drawn for it.
    error ContentRegistrySealedShareMismatch(uint256 slot);
    error ContentRegistryNotEnoughValidators(uint256 needed, uint256 available);
    error ContentRegistryNotEnrolling(bytes32 contentId, uint256 slot);
    error ContentRegistryNotSlotMember(bytes32 contentId, uint256 slot, address account);

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

    /// @notice Registers a `Threshold` content in one transaction: the members are drawn by stake
    /// from keccak256(blockhash(drawBlock), contentId), and the registration is accepted only if
    /// sealed share i is share i + 1 addressed to the member drawn for slot i.
    /// The publisher may go offline afterwards. Each member's slot counts in `assignedReplicas`.
    /// @dev The publisher computes the same draw off chain before sealing; its only freedom is the
    /// choice of one of 64 blocks (and re-encrypting to a new CID), see docs/threshold.md.
    /// @return contentId keccak256(cid).
    function registerThreshold(ThresholdRegistration calldata registration) external returns (bytes32 contentId);

    /// @notice Re-draws every slot of a `Threshold` content whose member is no longer active, each
    /// with a fresh share index. The member being replaced keeps counting the slot until its
    /// replacement confirms enrollment; an unconfirmed replacement that left is replaced in turn.
    /// Callable by anyone.
    /// @param slots The current slots (checked against the stored commitment).
    /// @return repaired The slots after the repair.
    function repairThreshold(bytes32 contentId, ThresholdSlot[] calldata slots)
        external
        returns (ThresholdSlot[] memory repaired);

    /// @notice The caller, the active member of slot `slot` being enrolled, confirms it holds its
    /// share (checked against the commitments off chain); the member it replaced is released.
    /// @param slots The current slots (checked against the stored commitment).
    function confirmEnrollment(bytes32 contentId, ThresholdSlot[] calldata slots, uint256 slot) external;

    /// @notice The content's publisher (the owner of its policy) deals its key again, from its
    /// recovery envelope, to members drawn as at registration: for a content with fewer than m
    /// members left, which nobody else can bring back. Every slot is replaced (its members, and
    /// a replaced slot's `previous`, are released); the new shares take fresh indexes above every
    /// index in use, so no share of the earlier dealing is ever confused with a new one.
    /// @param slots The current slots (checked against the stored commitment).
    /// @return dealt The new slots.
    function redealThreshold(bytes32 contentId, ThresholdSlot[] calldata slots, ThresholdDeal calldata deal)
        external
        returns (ThresholdSlot[] memory dealt);

    /// @notice Whether `slots` are the current slots of `Threshold` content `contentId`.
    function isThresholdSlots(bytes32 contentId, ThresholdSlot[] calldata slots) external view returns (bool);

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
