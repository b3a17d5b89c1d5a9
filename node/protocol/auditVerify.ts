/**
 * Checking audit records against their evidence off chain, with the rules of
 * RewrapAuditLog.verifyRecord (contracts/libraries/AuditEvidence.sol), so the CLI, the indexer
 * and the contract give one verdict: the signed request's digest is the record's (for a bulk
 * request, its item digest, and the content is among its ids), the record was served before the
 * request (and its session grant) expired, and the signature is the requester's (secp256k1) or
 * its session key's (P-256/SHA-256), with a low s.
 */
import { p256 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hashTypedData, hexToBytes, type Address, type Hex } from "viem";
import { evidenceTree, type AuditEvidence, type EvidencedRecord, AuditEvidenceError } from "./auditEvidence.js";
import { parseEvidenceBlob } from "./auditEvidenceBlob.js";
import type { DecodedAuditRecord, RewrapRecord } from "./auditRecords.js";
import { rewrapBulkRequestTypedData, rewrapRequestTypedData, sessionGrantTypedData, type RewrapDomain } from "./rewrap/eip712.js";

/** Why a record's evidence fails (the contract's error of the same name: RewrapAuditLog<Code in PascalCase>). */
export type RecordVerdictCode =
  | "EVIDENCE_MISSING"
  | "EVIDENCE_NOT_IN_BATCH"
  | "MALFORMED_EVIDENCE"
  | "REQUEST_MISMATCH"
  | "SERVED_AFTER_EXPIRY"
  | "SIGNATURE_INVALID"
  | "GRANT_INVALID";

export type RecordVerdict = { valid: true } | { valid: false; code: RecordVerdictCode };

const VALID: RecordVerdict = { valid: true };
const invalid = (code: RecordVerdictCode): RecordVerdict => ({ valid: false, code });

function recoverAccount(digest: Uint8Array, signature: Uint8Array): Address | undefined {
  if (signature.length !== 65) return undefined;
  const v = signature[64]!;
  const bit = v >= 27 ? v - 27 : v;
  if (bit > 1) return undefined;
  try {
    const sig = secp256k1.Signature.fromBytes(signature.subarray(0, 64), "compact").addRecoveryBit(bit);
    if (sig.hasHighS()) return undefined;
    const point = sig.recoverPublicKey(digest).toBytes(false);
    return bytesToHex(keccak_256(point.subarray(1)).subarray(12));
  } catch {
    return undefined;
  }
}

function signedDigest(domain: RewrapDomain, record: RewrapRecord, evidence: AuditEvidence): Uint8Array | undefined {
  const fields = { clientPublicKey: evidence.clientPublicKey, nonce: evidence.nonce, expiry: evidence.expiry };
  const ids = evidence.bulkContentIds;
  if (ids === undefined) {
    const digest = hashTypedData(rewrapRequestTypedData(domain, { contentId: record.contentId, ...fields }));
    return digest === record.requestDigest.toLowerCase() ? hexToBytes(digest) : undefined;
  }
  const digest = hexToBytes(hashTypedData(rewrapBulkRequestTypedData(domain, { contentIds: [...ids], ...fields })));
  const item = bytesToHex(keccak_256(new Uint8Array([...digest, ...hexToBytes(record.contentId)])));
  const listed = ids.some((id) => id.toLowerCase() === record.contentId.toLowerCase());
  return item === record.requestDigest.toLowerCase() && listed ? digest : undefined;
}

/** Whether `evidence` is the requester's signed request behind `record` (the Merkle proof aside). */
export function verifyRecordEvidence(domain: RewrapDomain, record: RewrapRecord, evidence: AuditEvidence | undefined): RecordVerdict {
  if (evidence === undefined) return invalid("EVIDENCE_MISSING");
  if (evidence.clientPublicKey.length !== 33) return invalid("MALFORMED_EVIDENCE");
  if (BigInt(record.servedAt) >= BigInt(evidence.expiry)) return invalid("SERVED_AFTER_EXPIRY");
  const digest = signedDigest(domain, record, evidence);
  if (digest === undefined) return invalid("REQUEST_MISMATCH");
  const requester = record.requester.toLowerCase();
  const grant = evidence.grant;
  if (grant === undefined) {
    if (evidence.signature.length !== 65) return invalid("MALFORMED_EVIDENCE");
    return recoverAccount(digest, evidence.signature) === requester ? VALID : invalid("SIGNATURE_INVALID");
  }
  if (grant.account.toLowerCase() !== requester || BigInt(record.servedAt) >= BigInt(grant.expiry)) return invalid("GRANT_INVALID");
  if (grant.signature.length !== 65) return invalid("MALFORMED_EVIDENCE");
  const grantDigest = hexToBytes(hashTypedData(sessionGrantTypedData(domain, grant)));
  if (recoverAccount(grantDigest, grant.signature) !== requester) return invalid("GRANT_INVALID");
  if (evidence.signature.length !== 64) return invalid("MALFORMED_EVIDENCE");
  try {
    // ECDSA P-256/SHA-256 over the digest; lowS as the contract's P256 library demands.
    return p256.verify(evidence.signature, sha256(digest), grant.sessionPublicKey, { prehash: false, lowS: true })
      ? VALID
      : invalid("SIGNATURE_INVALID");
  } catch {
    return invalid("SIGNATURE_INVALID");
  }
}

export interface BatchOnChain {
  batchId: bigint;
  /** The records of RewrapBatchRecorded, in order. */
  records: readonly DecodedAuditRecord[];
  /** From RewrapBatchEvidenceCommitted. */
  evidenceRoot: Hex;
}

export interface VerifiedRecord {
  index: number;
  record: RewrapRecord;
  evidence: AuditEvidence | undefined;
  proof: Hex[];
  verdict: RecordVerdict;
}

/**
 * Each record of a batch checked against the blob: the blob must be this batch's (its id, its
 * records in order, its tree's root the root on chain — else AuditEvidenceError, for the blob as a
 * whole), then each record gets its proof and verdict.
 */
export function verifyBatchEvidence(domain: RewrapDomain, batch: BatchOnChain, blob: Uint8Array): VerifiedRecord[] {
  const contents = parseEvidenceBlob(blob);
  if (contents.batchId !== batch.batchId) {
    throw new AuditEvidenceError("AUDIT_EVIDENCE_ROOT_MISMATCH", `the blob is batch ${contents.batchId}'s, not ${batch.batchId}'s`);
  }
  assertSameRecords(contents.records, batch.records);
  const tree = evidenceTree(contents.records);
  if (tree.root.toLowerCase() !== batch.evidenceRoot.toLowerCase()) {
    throw new AuditEvidenceError("AUDIT_EVIDENCE_ROOT_MISMATCH", "the blob's tree does not have the batch's evidence root");
  }
  return contents.records.map(({ record, evidence }, index) => ({
    index,
    record,
    evidence,
    proof: tree.getProof(index) as Hex[],
    verdict: verifyRecordEvidence(domain, record, evidence),
  }));
}

function assertSameRecords(blob: readonly EvidencedRecord[], chain: readonly DecodedAuditRecord[]): void {
  const same = (a: RewrapRecord, b: RewrapRecord) =>
    a.contentId.toLowerCase() === b.contentId.toLowerCase() &&
    a.requester.toLowerCase() === b.requester.toLowerCase() &&
    a.requestDigest.toLowerCase() === b.requestDigest.toLowerCase() &&
    BigInt(a.servedAt) === BigInt(b.servedAt);
  if (blob.length !== chain.length || blob.some((e, i) => !same(e.record, chain[i]!))) {
    throw new AuditEvidenceError("AUDIT_EVIDENCE_ROOT_MISMATCH", "the blob's records are not the batch's records on chain");
  }
}
