// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title SelfCallDelegate
/// @notice Test-only EIP-7702 delegate. An account that delegates to it calls a contract from its
/// own address in a transaction it sends to itself, as smart accounts batch their calls. The
/// indexer's scenario records one audit batch this way: a transaction whose `to` is not the audit
/// log, so the indexer must read the batch's records from the receipt's logs. Never deployed.
contract SelfCallDelegate {
    error SelfCallDelegateNotSelf(address caller);
    error SelfCallDelegateCallFailed(bytes reason);

    /// @notice Calls `target` with `data` as this account; only the account itself may ask.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != address(this)) revert SelfCallDelegateNotSelf(msg.sender);
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = target.call(data);
        if (!ok) revert SelfCallDelegateCallFailed(result);
    }
}
