// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IRewrapAuditLog} from "./interfaces/IRewrapAuditLog.sol";
import {IValidatorRegistry} from "./interfaces/IValidatorRegistry.sol";

/// @title RewrapAuditLog
/// @notice Accepts rewrap audit batches from active validators, and from exiting ones for the
/// rewraps they served before their exit. Records are events; the only storage is each
/// validator's last batch id, which makes resubmission idempotent.
contract RewrapAuditLog is IRewrapAuditLog {
    /// @notice Bytes per packed record (see IRewrapAuditLog).
    uint256 public constant RECORD_SIZE = 92;
    /// @notice Records per batch at most.
    uint256 public constant MAX_BATCH = 1000;
    /// @notice How long after leaving the active set a validator's served rewraps are still
    /// recorded: the time its daemon may take to see its own exit and stop serving (it polls the
    /// chain every block; its clock, which `servedAt` comes from, may be a little ahead).
    uint64 public constant EXIT_GRACE = 300;

    /// @notice The validator set consulted for activity.
    IValidatorRegistry public immutable validators;

    mapping(address validator => uint64 batchId) private _lastBatch;

    constructor(IValidatorRegistry validators_) {
        validators = validators_;
    }

    /// @inheritdoc IRewrapAuditLog
    function recordRewraps(uint64 batchId, bytes calldata records) external {
        uint256 length = records.length;
        if (length == 0 || length % RECORD_SIZE != 0 || length > MAX_BATCH * RECORD_SIZE) revert RewrapAuditLogInvalidBatch(length);
        if (!validators.isActive(msg.sender)) _requireServedBeforeExit(records);
        uint64 expected = _lastBatch[msg.sender] + 1;
        if (batchId != expected) revert RewrapAuditLogBatchOutOfOrder(msg.sender, expected, batchId);
        _lastBatch[msg.sender] = batchId;
        emit RewrapBatchRecorded(msg.sender, batchId, records);
    }

    /// @inheritdoc IRewrapAuditLog
    function nextBatchId(address validator) external view returns (uint64) {
        return _lastBatch[validator] + 1;
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
