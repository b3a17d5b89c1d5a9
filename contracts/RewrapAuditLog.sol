// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IRewrapAuditLog} from "./interfaces/IRewrapAuditLog.sol";
import {IValidatorRegistry} from "./interfaces/IValidatorRegistry.sol";
import {AuditEvidence} from "./libraries/AuditEvidence.sol";

/// @title RewrapAuditLog
/// @notice Accepts rewrap audit batches from active validators, and from exiting ones for the
/// rewraps they served before their exit. Records are events; the storage is each validator's
/// last batch id, which makes resubmission idempotent, and each verifiable batch's evidence root,
/// which `verifyRecord` (and a challenge) checks against. It is also the EIP-712 domain of every
/// signed rewrap message.
contract RewrapAuditLog is IRewrapAuditLog, EIP712 {
    /// @notice Bytes per packed record (see IRewrapAuditLog).
    uint256 public constant RECORD_SIZE = 92;
    /// @notice Records per batch at most.
    uint256 public constant MAX_BATCH = 1000;
    /// @notice How long after leaving the active set a validator's served rewraps are still
    /// recorded: the time its daemon may take to see its own exit and stop serving (it polls the
    /// chain every block; its clock, which `servedAt` comes from, may be a little ahead).
    uint64 public constant EXIT_GRACE = 300;
    /// @notice Longest evidence CID accepted (a CIDv1 with a sha2-256 multihash is 36 bytes).
    uint256 public constant MAX_CID_BYTES = 64;

    /// @notice The validator set consulted for activity.
    IValidatorRegistry public immutable validators;

    mapping(address validator => uint64 batchId) private _lastBatch;
    mapping(address validator => mapping(uint64 batchId => BatchCommitment)) private _commitments;

    constructor(IValidatorRegistry validators_) EIP712("dekmesh", "1") {
        validators = validators_;
    }

    /// @inheritdoc IRewrapAuditLog
    function recordRewraps(uint64 batchId, bytes calldata records) external {
        _recordBatch(batchId, records);
    }

    /// @inheritdoc IRewrapAuditLog
    function recordVerifiableRewraps(uint64 batchId, bytes calldata records, bytes32 evidenceRoot_, bytes calldata evidenceCid)
        external
    {
        if (evidenceRoot_ == bytes32(0) || evidenceCid.length == 0 || evidenceCid.length > MAX_CID_BYTES) {
            revert RewrapAuditLogInvalidEvidenceCommitment();
        }
        _recordBatch(batchId, records);
        _commitments[msg.sender][batchId] = BatchCommitment(evidenceRoot_, keccak256(records));
        emit RewrapBatchEvidenceCommitted(msg.sender, batchId, evidenceRoot_, evidenceCid);
    }

    /// @inheritdoc IRewrapAuditLog
    function evidenceRoot(address validator, uint64 batchId) external view returns (bytes32) {
        return _commitments[validator][batchId].evidenceRoot;
    }

    /// @inheritdoc IRewrapAuditLog
    function recordAt(address validator, uint64 batchId, bytes calldata records, uint256 index)
        external
        view
        returns (RewrapRecord memory record)
    {
        bytes32 committed = _commitments[validator][batchId].recordsHash;
        if (committed == bytes32(0)) revert RewrapAuditLogNoEvidence(validator, batchId);
        if (keccak256(records) != committed) revert RewrapAuditLogNotTheBatch(validator, batchId);
        uint256 start = index * RECORD_SIZE;
        if (start >= records.length) revert RewrapAuditLogNotTheBatch(validator, batchId);
        bytes calldata packed = records[start:start + RECORD_SIZE];
        record = RewrapRecord(bytes32(packed[0:32]), address(bytes20(packed[32:52])), bytes32(packed[52:84]), uint64(bytes8(packed[84:92])));
    }

    /// @inheritdoc IRewrapAuditLog
    function verifyRecord(
        address validator,
        uint64 batchId,
        RewrapRecord calldata record,
        RewrapEvidence calldata evidence,
        bytes32[] calldata proof
    ) external view {
        bytes32 root = _commitments[validator][batchId].evidenceRoot;
        if (root == bytes32(0)) revert RewrapAuditLogNoEvidence(validator, batchId);
        if (!MerkleProof.verifyCalldata(proof, root, AuditEvidence.leaf(record, evidence))) {
            revert RewrapAuditLogEvidenceNotInBatch(validator, batchId);
        }
        AuditEvidence.check(record, evidence, _domainSeparatorV4());
    }

    /// @inheritdoc IRewrapAuditLog
    function nextBatchId(address validator) external view returns (uint64) {
        return _lastBatch[validator] + 1;
    }

    /// @dev The one path a batch is recorded by: length, the caller's standing, the batch id, then the event.
    function _recordBatch(uint64 batchId, bytes calldata records) private {
        uint256 length = records.length;
        if (length == 0 || length % RECORD_SIZE != 0 || length > MAX_BATCH * RECORD_SIZE) revert RewrapAuditLogInvalidBatch(length);
        if (!validators.isActive(msg.sender)) _requireServedBeforeExit(records);
        uint64 expected = _lastBatch[msg.sender] + 1;
        if (batchId != expected) revert RewrapAuditLogBatchOutOfOrder(msg.sender, expected, batchId);
        _lastBatch[msg.sender] = batchId;
        emit RewrapBatchRecorded(msg.sender, batchId, records);
    }

    /// @dev For a caller that is not active: it must be exiting (not revoked), and every record's
    /// servedAt (a record's last 8 bytes) at most its exit time plus EXIT_GRACE.
    function _requireServedBeforeExit(bytes calldata records) private view {
        uint64 leftAt = validators.leftActiveSetAt(msg.sender);
        if (leftAt == 0) revert RewrapAuditLogValidatorNotActive(msg.sender);
        uint64 latest = leftAt + EXIT_GRACE;
        for (uint256 end = RECORD_SIZE; end <= records.length; end += RECORD_SIZE) {
            uint64 servedAt = uint64(bytes8(records[end - 8:end]));
            if (servedAt > latest) revert RewrapAuditLogServedAfterExit(msg.sender, servedAt, leftAt);
        }
    }
}
