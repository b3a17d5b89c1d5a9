// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IReplicaAssignments
/// @notice What the validator registry asks before an exiting validator may withdraw: how
/// many stake-assigned replica slots still name it. The content registry implements it.
interface IReplicaAssignments {
    /// @notice Number of replica slots (of `stake(k)` contents) currently assigned to `validator`.
    function assignedReplicas(address validator) external view returns (uint256);
}
