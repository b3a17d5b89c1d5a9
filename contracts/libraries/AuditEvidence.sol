// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {IRewrapAuditLog} from "../interfaces/IRewrapAuditLog.sol";

/// @title AuditEvidence
/// @notice The evidence behind an audit record (docs/accountability.md): the reader's signed
/// rewrap request, checked exactly as a validator checks it before serving. The EIP-712 types are
/// those of node/protocol/rewrap/constants.ts; the domain is RewrapAuditLog's.
/// @dev Hashes are fixed here and in node/protocol/auditEvidence.ts, which the test vectors tie:
///
///     grantHash    = keccak256(account ‖ keccak256(sessionPublicKey) ‖ expiry (uint64) ‖ nonce ‖ signature)
///     evidenceHash = keccak256(idsHash ‖ keccak256(clientPublicKey) ‖ nonce ‖ expiry (uint64) ‖ grantHash ‖ signature)
///     leaf         = keccak256(keccak256(record (92 packed bytes) ‖ evidenceHash))
///
/// idsHash is keccak256 of a bulk request's content ids (zero for a single request), grantHash
/// zero for an account-signed request, sessionPublicKey compressed (as the grant signs it). The
/// hashes do not depend on the EIP-712 domain, so a validator's store builds the tree alone. The signature is the
/// only variable-length part and comes last, so the packing is unambiguous; the leaf is hashed
/// twice as OpenZeppelin's StandardMerkleTree does, so no leaf can pass for an inner node.
library AuditEvidence {
    bytes32 internal constant REQUEST_TYPEHASH =
        keccak256("RewrapRequest(bytes32 contentId,bytes clientPublicKey,uint256 nonce,uint64 expiry)");
    bytes32 internal constant BULK_TYPEHASH =
        keccak256("RewrapBulkRequest(bytes32[] contentIds,bytes clientPublicKey,uint256 nonce,uint64 expiry)");
    bytes32 internal constant GRANT_TYPEHASH =
        keccak256("SessionGrant(address account,bytes sessionPublicKey,uint64 expiry,uint256 nonce)");

    uint256 private constant COMPRESSED_P256_KEY = 33;
    uint256 private constant ACCOUNT_SIGNATURE = 65;
    uint256 private constant SESSION_SIGNATURE = 64;

    /// @notice The Merkle leaf of `record` with evidence `evidence` (see above).
    function leaf(IRewrapAuditLog.RewrapRecord calldata record, IRewrapAuditLog.RewrapEvidence calldata evidence)
        internal
        pure
        returns (bytes32)
    {
        bytes32 inner = keccak256(
            abi.encodePacked(record.contentId, record.requester, record.requestDigest, record.servedAt, evidenceHash(evidence))
        );
        return keccak256(bytes.concat(inner));
    }

    function evidenceHash(IRewrapAuditLog.RewrapEvidence calldata evidence) internal pure returns (bytes32) {
        bytes32 idsHash = evidence.bulkContentIds.length == 0 ? bytes32(0) : keccak256(abi.encodePacked(evidence.bulkContentIds));
        bytes32 grant = evidence.grant.account == address(0) ? bytes32(0) : grantHash(evidence.grant);
        return keccak256(
            abi.encodePacked(idsHash, keccak256(evidence.clientPublicKey), evidence.nonce, evidence.expiry, grant, evidence.signature)
        );
    }

    function grantHash(IRewrapAuditLog.SessionGrantEvidence calldata grant) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(grant.account, keccak256(_compressed(grant)), grant.expiry, grant.nonce, grant.signature));
    }

    /// @notice Reverts unless `evidence` is a request the requester signed, for `record`'s content,
    /// whose digest is `record.requestDigest`, unexpired at `servedAt` (and so is its session grant).
    function check(IRewrapAuditLog.RewrapRecord calldata record, IRewrapAuditLog.RewrapEvidence calldata evidence, bytes32 domainSeparator)
        internal
        view
    {
        if (evidence.clientPublicKey.length != COMPRESSED_P256_KEY) revert IRewrapAuditLog.RewrapAuditLogMalformedEvidence();
        if (record.servedAt >= evidence.expiry) revert IRewrapAuditLog.RewrapAuditLogServedAfterExpiry(record.servedAt, evidence.expiry);
        bytes32 signedDigest = _signedDigest(record, evidence, domainSeparator);
        if (evidence.grant.account == address(0)) {
            if (evidence.signature.length != ACCOUNT_SIGNATURE) revert IRewrapAuditLog.RewrapAuditLogMalformedEvidence();
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(signedDigest, evidence.signature);
            if (error != ECDSA.RecoverError.NoError || signer != record.requester) revert IRewrapAuditLog.RewrapAuditLogSignatureInvalid();
        } else {
            _checkGrant(record, evidence.grant, domainSeparator);
            if (evidence.signature.length != SESSION_SIGNATURE) revert IRewrapAuditLog.RewrapAuditLogMalformedEvidence();
            bytes32 r = bytes32(evidence.signature[0:32]);
            bytes32 s = bytes32(evidence.signature[32:64]);
            // The session key signs the digest with ECDSA P-256/SHA-256, so the signed hash is sha256(digest).
            bytes32 h = sha256(abi.encodePacked(signedDigest));
            if (!P256.verify(h, r, s, evidence.grant.sessionKeyX, evidence.grant.sessionKeyY)) {
                revert IRewrapAuditLog.RewrapAuditLogSignatureInvalid();
            }
        }
    }

    /// @notice The EIP-712 digest of a session grant; its key is signed over in compressed form.
    function grantDigest(IRewrapAuditLog.SessionGrantEvidence calldata grant, bytes32 domainSeparator) internal pure returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(
            domainSeparator, keccak256(abi.encode(GRANT_TYPEHASH, grant.account, keccak256(_compressed(grant)), grant.expiry, grant.nonce))
        );
    }

    /// @dev The session key as the grant signs it: 0x02 | (y & 1) ‖ x.
    function _compressed(IRewrapAuditLog.SessionGrantEvidence calldata grant) private pure returns (bytes memory) {
        return abi.encodePacked(bytes1(uint8(2) | uint8(uint256(grant.sessionKeyY) & 1)), grant.sessionKeyX);
    }

    /// @dev The digest the requester signed; reverts unless it (or, for a bulk request, its item
    /// digest for the record's content) is the record's requestDigest.
    function _signedDigest(
        IRewrapAuditLog.RewrapRecord calldata record,
        IRewrapAuditLog.RewrapEvidence calldata evidence,
        bytes32 domainSeparator
    ) private pure returns (bytes32 digest) {
        bytes32 clientKeyHash = keccak256(evidence.clientPublicKey);
        bytes32[] calldata ids = evidence.bulkContentIds;
        if (ids.length == 0) {
            digest = MessageHashUtils.toTypedDataHash(
                domainSeparator, keccak256(abi.encode(REQUEST_TYPEHASH, record.contentId, clientKeyHash, evidence.nonce, evidence.expiry))
            );
            if (digest != record.requestDigest) revert IRewrapAuditLog.RewrapAuditLogRequestMismatch();
            return digest;
        }
        digest = MessageHashUtils.toTypedDataHash(
            domainSeparator,
            keccak256(abi.encode(BULK_TYPEHASH, keccak256(abi.encodePacked(ids)), clientKeyHash, evidence.nonce, evidence.expiry))
        );
        if (keccak256(abi.encodePacked(digest, record.contentId)) != record.requestDigest || !_contains(ids, record.contentId)) {
            revert IRewrapAuditLog.RewrapAuditLogRequestMismatch();
        }
    }

    function _checkGrant(
        IRewrapAuditLog.RewrapRecord calldata record,
        IRewrapAuditLog.SessionGrantEvidence calldata grant,
        bytes32 domainSeparator
    ) private pure {
        if (grant.account != record.requester || record.servedAt >= grant.expiry) revert IRewrapAuditLog.RewrapAuditLogGrantInvalid();
        if (grant.signature.length != ACCOUNT_SIGNATURE) revert IRewrapAuditLog.RewrapAuditLogMalformedEvidence();
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(grantDigest(grant, domainSeparator), grant.signature);
        if (error != ECDSA.RecoverError.NoError || signer != grant.account) revert IRewrapAuditLog.RewrapAuditLogGrantInvalid();
    }

    function _contains(bytes32[] calldata ids, bytes32 id) private pure returns (bool) {
        for (uint256 i = 0; i < ids.length; ++i) {
            if (ids[i] == id) return true;
        }
        return false;
    }
}
