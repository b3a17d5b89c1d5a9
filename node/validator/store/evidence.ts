/**
 * The evidence column of the audit outbox (docs/accountability.md): the signed request behind a
 * record, stored with it in the same insert, so a record is never durable without its evidence.
 * One BLOB per record, fixed fields first:
 *
 *   flags (1: bit 0 session, bit 1 bulk) ‖ clientPublicKey (33) ‖ nonce (32) ‖ expiry (8)
 *   ‖ [idsHash (32), bulk] ‖ [grant: account (20) ‖ sessionPublicKey (33) ‖ expiry (8) ‖ nonce (32) ‖ signature (65), session]
 *   ‖ signature (the rest: 65 account, 64 session)
 *
 * A bulk request's content ids are stored once, in audit_bulk_requests under their hash. Encoding
 * runs on the rewrap path, so it copies bytes and nothing more; signatures are folded to a low s
 * when the batch's blob is built (canonicalEvidence), not here.
 */
import { bytesToHex, type Hex } from "viem";
import type { AuditEvidence, AuditGrantEvidence } from "../../protocol/auditEvidence.js";

const SESSION = 1;
const BULK = 2;
const FIXED = 1 + 33 + 32 + 8;
const GRANT = 20 + 33 + 8 + 32 + 65;

function putUint(out: Uint8Array, at: number, bytes: number, value: bigint): void {
  const view = new DataView(out.buffer, out.byteOffset + at, bytes);
  for (let i = bytes - 8; i >= 0; i -= 8) {
    view.setBigUint64(i, value & 0xffff_ffff_ffff_ffffn);
    value >>= 64n;
  }
}

function getUint(bytes: Uint8Array, at: number, length: number): bigint {
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset + at, length).toString("hex")}`);
}

/** The column's bytes for `evidence`; `idsHash` is its bulk request's content-ids hash (bulk only). */
export function encodeStoredEvidence(evidence: AuditEvidence, idsHash: Uint8Array | undefined): Uint8Array {
  const grant = evidence.grant;
  const out = new Uint8Array(FIXED + (idsHash === undefined ? 0 : 32) + (grant === undefined ? 0 : GRANT) + evidence.signature.length);
  out[0] = (grant === undefined ? 0 : SESSION) | (idsHash === undefined ? 0 : BULK);
  out.set(evidence.clientPublicKey, 1);
  putUint(out, 34, 32, evidence.nonce);
  putUint(out, 66, 8, BigInt(evidence.expiry));
  let at = FIXED;
  if (idsHash !== undefined) {
    out.set(idsHash, at);
    at += 32;
  }
  if (grant !== undefined) {
    out.set(Buffer.from(grant.account.slice(2), "hex"), at);
    out.set(grant.sessionPublicKey, at + 20);
    putUint(out, at + 53, 8, BigInt(grant.expiry));
    putUint(out, at + 61, 32, grant.nonce);
    out.set(grant.signature, at + 93);
    at += GRANT;
  }
  out.set(evidence.signature, at);
  return out;
}

/**
 * The evidence back from the column; `bulkIds` finds a bulk request's content ids by their hash,
 * `grants` holds the session grants decoded so far (pass one map per batch).
 */
export function decodeStoredEvidence(bytes: Uint8Array, bulkIds: (idsHash: Uint8Array) => Hex[], grants: Map<string, AuditGrantEvidence>): AuditEvidence {
  const flags = bytes[0]!;
  const evidence: AuditEvidence = {
    clientPublicKey: bytes.slice(1, 34),
    nonce: getUint(bytes, 34, 32),
    expiry: Number(getUint(bytes, 66, 8)),
    signature: new Uint8Array(0),
  };
  let at = FIXED;
  if (flags & BULK) {
    evidence.bulkContentIds = bulkIds(bytes.subarray(at, at + 32));
    at += 32;
  }
  if (flags & SESSION) {
    // One object per distinct grant, so its hash is computed once per batch (auditEvidence.ts).
    const key = Buffer.from(bytes.buffer, bytes.byteOffset + at, GRANT).toString("base64");
    let grant = grants.get(key);
    if (grant === undefined) {
      grant = {
        account: bytesToHex(bytes.subarray(at, at + 20)),
        sessionPublicKey: bytes.slice(at + 20, at + 53),
        expiry: Number(getUint(bytes, at + 53, 8)),
        nonce: getUint(bytes, at + 61, 32),
        signature: bytes.slice(at + 93, at + GRANT),
      };
      grants.set(key, grant);
    }
    evidence.grant = grant;
    at += GRANT;
  }
  evidence.signature = bytes.slice(at);
  return evidence;
}
