// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IRewrapAuditLog
/// @notice The on-chain audit trail of rewraps (docs/architecture.md#rewrap-and-forwarding). Validators submit the rewraps they
/// served in numbered batches, so that a validator that crashes and resubmits can never record
/// a batch twice; each batch is one `RewrapBatchRecorded` event carrying all of its records.
///
/// Records travel packed, 92 bytes each, back to back:
///
///     contentId (bytes32) ‖ requester (address, 20 bytes) ‖ requestDigest (bytes32) ‖ servedAt (uint64, big endian)
///
/// meaning that the validator rewrapped the DEK of `contentId` for `requester` at `servedAt`
/// (Unix seconds); `requestDigest` is the EIP-712 digest of the signed request.
/// @dev Packed rather than an ABI array of structs: the contract only checks the length and
/// emits the bytes as they came, where an array is decoded and re-encoded record by record
/// (an EVM execution cost that grows with the batch), and every log consumer reads 92 bytes per
/// record instead of 128. A batch of 500 uses 9 % less gas (1.80 M against 1.98 M; calldata
/// dominates both). Queries by content or requester go to the indexer (`/audit`), which decodes.
///
/// A verifiable batch (`recordVerifiableRewraps`) also commits to the evidence behind each
/// record — the reader's signed request — as a Merkle root and the IPFS CID of the evidence blob
/// (docs/accountability.md). `verifyRecord` checks one record against it on chain.
interface IRewrapAuditLog {
    /// @notice One audit record, unpacked.
    struct RewrapRecord {
        bytes32 contentId;
        address requester;
        bytes32 requestDigest;
        uint64 servedAt;
    }

    /// @notice A session grant as evidence: the session key uncompressed (the grant signs its
    /// compressed form, 0x02 | (y & 1) ‖ x).
    struct SessionGrantEvidence {
        address account;
        bytes32 sessionKeyX;
        bytes32 sessionKeyY;
        uint64 expiry;
        uint256 nonce;
        /// @dev The account's r ‖ s ‖ v.
        bytes signature;
    }

    /// @notice What a verifiable batch commits to on chain: its evidence root and the keccak256 of
    /// its packed records (so that "record i of the batch" can be pinned on chain: `recordAt`).
    struct BatchCommitment {
        bytes32 evidenceRoot;
        bytes32 recordsHash;
    }

    /// @notice The signed request behind one record.
    struct RewrapEvidence {
        /// @dev A bulk request's content ids; empty for a single request (its content is the record's).
        bytes32[] bulkContentIds;
        /// @dev The reader's compressed P-256 key (33 bytes).
        bytes clientPublicKey;
        uint256 nonce;
        uint64 expiry;
        /// @dev The account's r ‖ s ‖ v, or for a session request the session key's r ‖ s.
        bytes signature;
        /// @dev The session grant; its account is zero for an account-signed request.
        SessionGrantEvidence grant;
    }

    /// @notice Batch `batchId` of `validator`: `records` as packed above.
    event RewrapBatchRecorded(address indexed validator, uint64 indexed batchId, bytes records);
    /// @notice Batch `batchId` of `validator` commits to its evidence: the Merkle root of its
    /// leaves and the CID (binary) of the evidence blob. Emitted right after RewrapBatchRecorded.
    event RewrapBatchEvidenceCommitted(address indexed validator, uint64 indexed batchId, bytes32 evidenceRoot, bytes evidenceCid);

    error RewrapAuditLogValidatorNotActive(address validator);
    /// @notice An exiting validator's batch has a record served after its exit (plus the grace).
    error RewrapAuditLogServedAfterExit(address validator, uint64 servedAt, uint64 leftActiveSetAt);
    error RewrapAuditLogBatchOutOfOrder(address validator, uint64 expected, uint64 given);
    /// @notice `length` bytes is not 1–1,000 whole records.
    error RewrapAuditLogInvalidBatch(uint256 length);
    /// @notice A zero evidence root, or a CID that is empty or longer than MAX_CID_BYTES.
    error RewrapAuditLogInvalidEvidenceCommitment();
    /// @notice The batch committed to no evidence (sent with recordRewraps, or never sent).
    error RewrapAuditLogNoEvidence(address validator, uint64 batchId);
    /// @notice The records given are not the batch's, or the index is past its end.
    error RewrapAuditLogNotTheBatch(address validator, uint64 batchId);
    /// @notice The record and evidence are not a leaf of the batch's root under the proof given.
    error RewrapAuditLogEvidenceNotInBatch(address validator, uint64 batchId);
    /// @notice A key or signature of the wrong length.
    error RewrapAuditLogMalformedEvidence();
    /// @notice The signed request is not the record's: another digest, or a bulk request without its content.
    error RewrapAuditLogRequestMismatch();
    /// @notice The record says it was served at or after the request expired.
    error RewrapAuditLogServedAfterExpiry(uint64 servedAt, uint64 expiry);
    /// @notice The request's signature is not the requester's (or its session key's).
    error RewrapAuditLogSignatureInvalid();
    /// @notice The session grant is not the requester's, not signed by it, or expired when served.
    error RewrapAuditLogGrantInvalid();

    /// @notice Records a batch of rewraps served by the caller: an active validator, or one that is
    /// exiting (not revoked) for records served by the time it left the active set plus
    /// `EXIT_GRACE`, so no rewrap served before an exit goes unrecorded.
    /// @param batchId Must equal `nextBatchId(msg.sender)`; a replayed batch reverts.
    /// @param records 1–1,000 packed records of 92 bytes each.
    function recordRewraps(uint64 batchId, bytes calldata records) external;

    /// @notice As recordRewraps, and commits the batch to its evidence: `evidenceRoot` over the
    /// records' leaves (AuditEvidence.sol) and `evidenceCid`, the evidence blob's CID.
    function recordVerifiableRewraps(uint64 batchId, bytes calldata records, bytes32 evidenceRoot, bytes calldata evidenceCid) external;

    /// @notice The evidence root of a verifiable batch; zero for any other.
    function evidenceRoot(address validator, uint64 batchId) external view returns (bytes32);

    /// @notice Record `index` of a verifiable batch, given the batch's packed records as emitted
    /// (checked against the commitment): how a challenge names a record the chain only has in a log.
    function recordAt(address validator, uint64 batchId, bytes calldata records, uint256 index)
        external
        view
        returns (RewrapRecord memory);

    /// @notice Reverts with the reason unless `record`, with `evidence`, is a leaf of the
    /// batch's evidence root under `proof` and the evidence is the requester's signed request
    /// for it (secp256k1 via ecrecover; P-256 via RIP-7212 where the chain has it, else in Solidity).
    function verifyRecord(
        address validator,
        uint64 batchId,
        RewrapRecord calldata record,
        RewrapEvidence calldata evidence,
        bytes32[] calldata proof
    ) external view;

    /// @notice The batch id the validator must submit next (starts at 1).
    function nextBatchId(address validator) external view returns (uint64);
}
