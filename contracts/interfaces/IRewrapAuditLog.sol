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
interface IRewrapAuditLog {
    /// @notice Batch `batchId` of `validator`: `records` as packed above.
    event RewrapBatchRecorded(address indexed validator, uint64 indexed batchId, bytes records);

    error RewrapAuditLogValidatorNotActive(address validator);
    /// @notice An exiting validator's batch has a record served after its exit (plus the grace).
    error RewrapAuditLogServedAfterExit(address validator, uint64 servedAt, uint64 leftActiveSetAt);
    error RewrapAuditLogBatchOutOfOrder(address validator, uint64 expected, uint64 given);
    /// @notice `length` bytes is not 1–1,000 whole records.
    error RewrapAuditLogInvalidBatch(uint256 length);

    /// @notice Records a batch of rewraps served by the caller: an active validator, or one that is
    /// exiting (not revoked) for records served by the time it left the active set plus
    /// `EXIT_GRACE`, so no rewrap served before an exit goes unrecorded.
    /// @param batchId Must equal `nextBatchId(msg.sender)`; a replayed batch reverts.
    /// @param records 1–1,000 packed records of 92 bytes each.
    function recordRewraps(uint64 batchId, bytes calldata records) external;

    /// @notice The batch id the validator must submit next (starts at 1).
    function nextBatchId(address validator) external view returns (uint64);
}
