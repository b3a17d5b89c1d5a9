/**
 * The evidence blob of one audit batch (docs/accountability.md#the-evidence-blob): UTF-8 JSON,
 * the batch's records in order, each with its evidence, session grants and bulk requests' content
 * ids once per batch. The validator writes it once (in the transaction that assigns the batch),
 * serves it at GET /v1/audit/:batchId and pins it in IPFS; its CID goes on chain with the root.
 *
 *   { "format": "dekmesh-audit-evidence/1", "batchId": "7",
 *     "grants": [{ "account", "sessionPublicKey", "expiry", "nonce", "signature" }],
 *     "bulkRequests": [["0x<contentId>", …]],
 *     "records": [{ "contentId", "requester", "requestDigest", "servedAt",
 *                   "evidence": { "clientPublicKey", "nonce", "expiry", "signature", "grant"?: i, "bulk"?: i } | null }] }
 *
 * Bytes are 0x-hex, nonces decimal strings (uint256), times Unix seconds.
 */
import { bytesToHex, type Address, type Hex } from "viem";
import { AUDIT_EVIDENCE_FORMAT, AuditEvidenceError, type AuditEvidence, type AuditGrantEvidence, type EvidencedRecord } from "./auditEvidence.js";
import { MAX_AUDIT_BATCH } from "./limits.js";
import { MAX_BULK_CONTENTS } from "./rewrap/constants.js";
import { RewrapError } from "./rewrap/errors.js";
import { address, contentId, hexOfLength, keys, parseJsonObject, seconds, sessionGrantFromJson, sessionGrantToJson, uint256 } from "./rewrap/wire.js";

/** Largest blob a verifier reads: 1,000 records with their evidence, and room for bulk requests' ids. */
export const MAX_EVIDENCE_BLOB_BYTES = 8 * 1024 * 1024;
const DIGEST_HEX = 2 + 32 * 2;
const KEY_HEX = 2 + 33 * 2;
const ACCOUNT_SIGNATURE_HEX = 2 + 65 * 2;
const SESSION_SIGNATURE_HEX = 2 + 64 * 2;

interface EvidenceJson {
  clientPublicKey: Hex;
  nonce: string;
  expiry: number;
  signature: Hex;
  grant?: number;
  bulk?: number;
}

interface RecordJson {
  contentId: Hex;
  requester: Address;
  requestDigest: Hex;
  servedAt: number;
  evidence: EvidenceJson | null;
}

export interface EvidenceBlobContents {
  batchId: bigint;
  records: EvidencedRecord[];
}

/** The blob of batch `batchId`: its records in order, each with its evidence. */
export function encodeEvidenceBlob(batchId: bigint, records: readonly EvidencedRecord[]): Uint8Array {
  const grants: unknown[] = [];
  const grantIndex = new Map<string, number>();
  const bulkRequests: Hex[][] = [];
  const bulkIndex = new Map<readonly Hex[], number>();
  const bulkByKey = new Map<string, number>();
  const recordsJson: RecordJson[] = records.map(({ record, evidence }) => {
    const json: RecordJson = {
      contentId: record.contentId,
      requester: record.requester,
      requestDigest: record.requestDigest,
      servedAt: Number(record.servedAt),
      evidence: null,
    };
    if (evidence === undefined) return json;
    const e: EvidenceJson = {
      clientPublicKey: bytesToHex(evidence.clientPublicKey),
      nonce: evidence.nonce.toString(),
      expiry: evidence.expiry,
      signature: bytesToHex(evidence.signature),
    };
    if (evidence.grant !== undefined) {
      const g = sessionGrantToJson(evidence.grant);
      const key = JSON.stringify(g);
      let i = grantIndex.get(key);
      if (i === undefined) {
        i = grants.push(g) - 1;
        grantIndex.set(key, i);
      }
      e.grant = i;
    }
    if (evidence.bulkContentIds !== undefined) {
      const ids = evidence.bulkContentIds;
      let i = bulkIndex.get(ids);
      if (i === undefined) {
        const key = ids.join("");
        i = bulkByKey.get(key);
        if (i === undefined) {
          i = bulkRequests.push([...ids]) - 1;
          bulkByKey.set(key, i);
        }
        bulkIndex.set(ids, i);
      }
      e.bulk = i;
    }
    json.evidence = e;
    return json;
  });
  const blob = { format: AUDIT_EVIDENCE_FORMAT, batchId: batchId.toString(), grants, bulkRequests, records: recordsJson };
  return new TextEncoder().encode(JSON.stringify(blob));
}

// ------------------------------------------------------------------ parsing (untrusted input)
// The fields are the rewrap messages' (./rewrap/wire.ts parses them); a refusal there is this
// blob's AUDIT_EVIDENCE_MALFORMED.

function malformed(what: string): AuditEvidenceError {
  return new AuditEvidenceError("AUDIT_EVIDENCE_MALFORMED", `evidence blob: ${what}`);
}

function indexInto<T>(value: unknown, list: readonly T[], what: string): T {
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) >= list.length) throw malformed(`${what} names no entry`);
  return list[value as number]!;
}

function parseBulk(value: unknown, i: number): Hex[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_BULK_CONTENTS) throw malformed(`bulk request ${i} is not 1–${MAX_BULK_CONTENTS} content ids`);
  return value.map((id, j) => contentId(id, `bulkRequests[${i}][${j}]`));
}

function parseRecord(value: unknown, i: number, grants: readonly AuditGrantEvidence[], bulks: readonly Hex[][]): EvidencedRecord {
  const where = `records[${i}]`;
  const r = value as Record<string, unknown>;
  keys(r, where, ["contentId", "requester", "requestDigest", "servedAt", "evidence"]);
  const record = {
    contentId: contentId(r.contentId, `${where}.contentId`),
    requester: address(r.requester, `${where}.requester`),
    requestDigest: bytesToHex(hexOfLength(r.requestDigest, DIGEST_HEX, `${where}.requestDigest`)),
    servedAt: BigInt(seconds(r.servedAt, `${where}.servedAt`)),
  };
  if (r.evidence === null) return { record, evidence: undefined };
  const e = r.evidence as Record<string, unknown>;
  keys(e, `${where}.evidence`, ["clientPublicKey", "nonce", "expiry", "signature"], ["grant", "bulk"]);
  const grant = e.grant === undefined ? undefined : indexInto(e.grant, grants, `${where}.evidence.grant`);
  const evidence: AuditEvidence = {
    clientPublicKey: hexOfLength(e.clientPublicKey, KEY_HEX, `${where}.evidence.clientPublicKey`),
    nonce: uint256(e.nonce, `${where}.evidence.nonce`),
    expiry: seconds(e.expiry, `${where}.evidence.expiry`),
    signature: hexOfLength(e.signature, grant === undefined ? ACCOUNT_SIGNATURE_HEX : SESSION_SIGNATURE_HEX, `${where}.evidence.signature`),
  };
  if (grant !== undefined) evidence.grant = grant;
  if (e.bulk !== undefined) evidence.bulkContentIds = indexInto(e.bulk, bulks, `${where}.evidence.bulk`);
  return { record, evidence };
}

/** A blob's batch id and records, every field checked; AuditEvidenceError AUDIT_EVIDENCE_MALFORMED otherwise. */
export function parseEvidenceBlob(bytes: Uint8Array): EvidenceBlobContents {
  try {
    const blob = parseJsonObject(bytes, MAX_EVIDENCE_BLOB_BYTES);
    keys(blob, "the blob", ["format", "batchId", "grants", "bulkRequests", "records"]);
    if (blob.format !== AUDIT_EVIDENCE_FORMAT) throw malformed(`format is not ${AUDIT_EVIDENCE_FORMAT}`);
    if (typeof blob.batchId !== "string" || !/^[1-9][0-9]{0,19}$/.test(blob.batchId)) throw malformed("batchId is not a batch id");
    if (!Array.isArray(blob.grants) || !Array.isArray(blob.bulkRequests) || !Array.isArray(blob.records)) {
      throw malformed("grants, bulkRequests and records must be arrays");
    }
    if (blob.records.length === 0 || blob.records.length > MAX_AUDIT_BATCH) throw malformed(`not 1–${MAX_AUDIT_BATCH} records`);
    const grants = blob.grants.map((g, i) => sessionGrantFromJson(g, `grants[${i}]`));
    const bulks = blob.bulkRequests.map(parseBulk);
    return { batchId: BigInt(blob.batchId), records: blob.records.map((r, i) => parseRecord(r, i, grants, bulks)) };
  } catch (error) {
    if (error instanceof RewrapError) throw malformed(error.cause instanceof Error ? error.cause.message : error.code);
    if (error instanceof TypeError) throw malformed("a record or its evidence is not an object");
    throw error;
  }
}
