// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IRewrapAuditLog
/// @notice The on-chain audit trail of rewraps (SPEC §6). Validators submit the rewraps they
/// served in numbered batches, so that a validator that crashes and resubmits can never record
/// a batch twice; each batch is one `RewrapBatchRecorded` event carrying all of its records.
interface IRewrapAuditLog {
    /// @notice One served rewrap.
    struct RewrapRecord {
        bytes32 contentId;
        address requester;
        bytes32 requestDigest;
        uint64 servedAt;
    }

    /// @notice Batch `batchId` of `validator`: for each record, `validator` rewrapped the DEK of
    /// `contentId` for `requester` at `servedAt`; `requestDigest` is the EIP-712 digest of the
    /// signed request.
    /// @dev One event per batch rather than per record: the records' own events cost every
    /// log consumer (the chain's receipts and log queries, the indexer's per-log checks) more
    /// than the validator spent serving the rewraps. Logs can be filtered by validator and batch
    /// id; queries by content or requester go to the indexer (`/audit`).
    event RewrapBatchRecorded(address indexed validator, uint64 indexed batchId, RewrapRecord[] records);

    error RewrapAuditLogValidatorNotActive(address validator);
    error RewrapAuditLogBatchOutOfOrder(address validator, uint64 expected, uint64 given);
    error RewrapAuditLogInvalidBatch(uint256 size);

    /// @notice Records a batch of rewraps served by the caller, an active validator.
    /// @param batchId Must equal `nextBatchId(msg.sender)`; a replayed batch reverts.
    /// @param records 1–500 records.
    function recordRewraps(uint64 batchId, RewrapRecord[] calldata records) external;

    /// @notice The batch id the validator must submit next (starts at 1).
    function nextBatchId(address validator) external view returns (uint64);
}
