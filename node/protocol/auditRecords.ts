/**
 * The packed form RewrapAuditLog takes and emits audit records in (IRewrapAuditLog.sol): 92
 * bytes per record, back to back —
 *
 *   contentId (32) ‖ requester (20) ‖ requestDigest (32) ‖ servedAt (uint64, big endian, 8)
 *
 * The validator encodes its batches with `encodeAuditRecords`; the indexer decodes the event
 * with `decodeAuditRecords`. The contract checks only the length, so the encoder checks every
 * field and the decoder refuses anything that is not whole records.
 */
import type { Address, Hex } from "viem";
import { MAX_AUDIT_BATCH } from "./limits.js";
import { isAddress, isBytes32 } from "./ids.js";

/** RewrapAuditLog.RECORD_SIZE. */
export const AUDIT_RECORD_BYTES = 92;

/** One served rewrap, as the audit log records it. */
export interface RewrapRecord {
  contentId: Hex;
  requester: Address;
  requestDigest: Hex;
  /** Unix seconds. */
  servedAt: number | bigint;
}

/** A record as decoded from the chain: servedAt as the uint64 it is there. */
export type DecodedAuditRecord = RewrapRecord & { servedAt: bigint };

/** A value the encoder or decoder refused; the chain actions turn it into CHAIN_INVALID_ARGUMENT. */
export class AuditRecordsError extends Error {
  override readonly name = "AuditRecordsError";
}

const UINT64_LIMIT = 1n << 64n;

/** `records` packed: 1–1,000 of them, each field checked (hex of the right length, servedAt a uint64). */
export function encodeAuditRecords(records: readonly RewrapRecord[]): Hex {
  if (records.length === 0 || records.length > MAX_AUDIT_BATCH) {
    throw new AuditRecordsError(`an audit batch carries 1–${MAX_AUDIT_BATCH} records, not ${records.length}`);
  }
  const parts = new Array<string>(records.length + 1);
  parts[0] = "0x";
  records.forEach((r, i) => {
    if (!isBytes32(r.contentId)) throw new AuditRecordsError(`record ${i}: contentId is not 32 bytes of hex`);
    if (!isAddress(r.requester)) throw new AuditRecordsError(`record ${i}: requester is not an address`);
    if (!isBytes32(r.requestDigest)) throw new AuditRecordsError(`record ${i}: requestDigest is not 32 bytes of hex`);
    const servedAt = typeof r.servedAt === "bigint" ? r.servedAt : Number.isSafeInteger(r.servedAt) ? BigInt(r.servedAt) : -1n;
    if (servedAt < 0n || servedAt >= UINT64_LIMIT) throw new AuditRecordsError(`record ${i}: servedAt is not a uint64`);
    parts[i + 1] = `${r.contentId.slice(2)}${r.requester.slice(2)}${r.requestDigest.slice(2)}${servedAt.toString(16).padStart(16, "0")}`;
  });
  return parts.join("").toLowerCase() as Hex;
}

/**
 * Records already packed (the store's outbox reads them so) as the hex the call takes. Only
 * the length can be checked: every 92-byte slice is some record.
 */
export function packedAuditRecordsHex(packed: Uint8Array): Hex {
  const count = packed.length / AUDIT_RECORD_BYTES;
  if (!Number.isInteger(count) || count === 0 || count > MAX_AUDIT_BATCH) {
    throw new AuditRecordsError(`not 1–${MAX_AUDIT_BATCH} packed audit records of ${AUDIT_RECORD_BYTES} bytes (${packed.length} bytes)`);
  }
  return `0x${Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength).toString("hex")}`;
}

/** The records of a packed batch (addresses and hex lowercase), or AuditRecordsError if it is not 1–1,000 whole records. */
export function decodeAuditRecords(packed: Hex): DecodedAuditRecord[] {
  const hex = packed.startsWith("0x") ? packed.slice(2) : packed;
  const recordChars = AUDIT_RECORD_BYTES * 2;
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length === 0 || hex.length % recordChars !== 0 || hex.length / recordChars > MAX_AUDIT_BATCH) {
    throw new AuditRecordsError(`not 1–${MAX_AUDIT_BATCH} packed audit records of ${AUDIT_RECORD_BYTES} bytes (${hex.length} hex digits)`);
  }
  const lower = hex.toLowerCase();
  const records: DecodedAuditRecord[] = [];
  for (let at = 0; at < lower.length; at += recordChars) {
    records.push({
      contentId: `0x${lower.slice(at, at + 64)}`,
      requester: `0x${lower.slice(at + 64, at + 104)}`,
      requestDigest: `0x${lower.slice(at + 104, at + 168)}`,
      servedAt: BigInt(`0x${lower.slice(at + 168, at + 184)}`),
    });
  }
  return records;
}
