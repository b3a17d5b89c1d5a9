/**
 * The evidence behind audit records (docs/accountability.md): for each record, the reader's
 * signed request — for an account-signed request its typed data and signature; for a session
 * request the session-key signature and the signed session grant, which the batch's blob holds
 * once. A verifiable batch commits to it on chain with a Merkle root over one leaf per record
 * and the CID of the evidence blob. The hashes are those of contracts/libraries/AuditEvidence.sol:
 *
 *   grantHash    = keccak256(account ‖ keccak256(sessionPublicKey) ‖ expiry (uint64) ‖ nonce ‖ signature)
 *   evidenceHash = keccak256(idsHash ‖ keccak256(clientPublicKey) ‖ nonce ‖ expiry (uint64) ‖ grantHash ‖ signature)
 *   leaf         = keccak256(keccak256(record (92 packed bytes) ‖ evidenceHash))
 *
 * idsHash = keccak256(a bulk request's content ids), zero for a single request; grantHash zero
 * for an account-signed request. A record stored without evidence has evidenceHash zero: it is
 * committed to, and provably unproven. The tree is OpenZeppelin's SimpleMerkleTree (sorted
 * pairs, as MerkleProof.verify expects). Signatures enter the evidence with a low s (the
 * contract's ECDSA and P256 refuse a high one; the validator accepted either).
 */
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { p256 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, type Address, type Hex } from "viem";
import { AUDIT_RECORD_BYTES, type RewrapRecord } from "./auditRecords.js";
import type { SignedRewrapBulkRequest, SignedRewrapRequest } from "./rewrap/types.js";

/** The blob's `format`. */
export const AUDIT_EVIDENCE_FORMAT = "dekmesh-audit-evidence/1";

export interface AuditGrantEvidence {
  account: Address;
  /** Compressed P-256 key, as signed. */
  sessionPublicKey: Uint8Array;
  expiry: number;
  nonce: bigint;
  /** The account's r ‖ s ‖ v. */
  signature: Uint8Array;
}

/** The signed request behind one record. */
export interface AuditEvidence {
  /** A bulk request's content ids; absent for a single request. */
  bulkContentIds?: readonly Hex[];
  clientPublicKey: Uint8Array;
  nonce: bigint;
  expiry: number;
  /** The account's r ‖ s ‖ v, or the session key's r ‖ s. */
  signature: Uint8Array;
  /** Present for a session request. */
  grant?: AuditGrantEvidence;
}

/** One record with its evidence (absent: stored without). */
export interface EvidencedRecord {
  record: RewrapRecord;
  evidence: AuditEvidence | undefined;
}

export type AuditEvidenceErrorCode = "AUDIT_EVIDENCE_MALFORMED" | "AUDIT_EVIDENCE_CID_MISMATCH" | "AUDIT_EVIDENCE_ROOT_MISMATCH";

export class AuditEvidenceError extends Error {
  override readonly name = "AuditEvidenceError";
  readonly code: AuditEvidenceErrorCode;
  constructor(code: AuditEvidenceErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** What a validator keeps of a request it served: its fields and signatures, by reference (no copy on the rewrap path). */
export function evidenceOfRequest(signed: SignedRewrapRequest | SignedRewrapBulkRequest): AuditEvidence {
  const { request, auth } = signed;
  const evidence: AuditEvidence = {
    clientPublicKey: request.clientPublicKey,
    nonce: request.nonce,
    expiry: request.expiry,
    signature: auth.signature,
  };
  if ("contentIds" in request) evidence.bulkContentIds = request.contentIds;
  if (auth.kind === "session") {
    const { account, sessionPublicKey, expiry, nonce, signature } = auth.grant;
    evidence.grant = { account, sessionPublicKey, expiry, nonce, signature };
  }
  return evidence;
}

// ------------------------------------------------------------------ hashes
// Built from Buffers directly: a batch of 1,000 records is hashed on the validator's event loop
// when it is assigned, and viem's checked hex helpers cost ~10 × the keccak work itself.

const ZERO_WORD = new Uint8Array(32);

const bytesOf = (hex: Hex): Buffer => Buffer.from(hex.slice(2), "hex");

function uint256Bytes(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, "0"), "hex");
}

function uint64Bytes(value: number | bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

/** Hashes of bulk requests' id lists already computed: every record of a bulk request shares its list (up to 1,000 ids). */
const idsHashes = new WeakMap<readonly Hex[], Uint8Array>();
/** The same for session grants: a batch's session records share a few grants. */
const grantHashes = new WeakMap<AuditGrantEvidence, Uint8Array>();

/** keccak256 of a bulk request's content ids, back to back (as the EIP-712 struct hashes them). */
export function contentIdsHash(ids: readonly Hex[]): Uint8Array {
  let hash = idsHashes.get(ids);
  if (hash === undefined) {
    hash = keccak_256(Buffer.from(ids.map((id) => id.slice(2)).join(""), "hex"));
    idsHashes.set(ids, hash);
  }
  return hash;
}

export function grantHash(grant: AuditGrantEvidence): Uint8Array {
  let hash = grantHashes.get(grant);
  if (hash === undefined) {
    hash = keccak_256(
      Buffer.concat([bytesOf(grant.account), keccak_256(grant.sessionPublicKey), uint64Bytes(grant.expiry), uint256Bytes(grant.nonce), grant.signature]),
    );
    grantHashes.set(grant, hash);
  }
  return hash;
}

/** The evidence's hash (zero for a record stored without evidence). */
export function evidenceHash(evidence: AuditEvidence | undefined): Uint8Array {
  if (evidence === undefined) return ZERO_WORD;
  return keccak_256(
    Buffer.concat([
      evidence.bulkContentIds === undefined ? ZERO_WORD : contentIdsHash(evidence.bulkContentIds),
      keccak_256(evidence.clientPublicKey),
      uint256Bytes(evidence.nonce),
      uint64Bytes(evidence.expiry),
      evidence.grant === undefined ? ZERO_WORD : grantHash(evidence.grant),
      evidence.signature,
    ]),
  );
}

/** The Merkle leaf of a record and its evidence (the record packed as the contract emits it). */
export function auditLeaf(record: RewrapRecord, evidence: AuditEvidence | undefined): Hex {
  const packed = Buffer.concat([bytesOf(record.contentId), bytesOf(record.requester), bytesOf(record.requestDigest), uint64Bytes(record.servedAt)]);
  if (packed.length !== AUDIT_RECORD_BYTES) throw new AuditEvidenceError("AUDIT_EVIDENCE_MALFORMED", "a record's fields are not 32, 20, 32 bytes");
  return `0x${Buffer.from(keccak_256(keccak_256(Buffer.concat([packed, evidenceHash(evidence)])))).toString("hex")}`;
}

/** The tree over a batch's leaves, in record order (`getProof(i)` proves record i). For the root alone, `evidenceRoot`. */
export function evidenceTree(entries: readonly EvidencedRecord[]): SimpleMerkleTree {
  return SimpleMerkleTree.of(entries.map((e) => auditLeaf(e.record, e.evidence)));
}

/**
 * The root `evidenceTree` has, computed without building the library's tree (which costs ~150 µs
 * a leaf): OpenZeppelin's layout — leaves sorted, a complete binary tree in one array with the
 * leaves at its end, each node keccak256 of its children in sorted order. The tests hold it to
 * SimpleMerkleTree's root for every size from 1 to 300.
 */
export function evidenceRoot(entries: readonly EvidencedRecord[]): Hex {
  const leaves = entries.map((e) => Buffer.from(auditLeaf(e.record, e.evidence).slice(2), "hex")).sort(Buffer.compare);
  const n = leaves.length;
  const tree = new Array<Buffer>(2 * n - 1);
  leaves.forEach((leaf, i) => (tree[tree.length - 1 - i] = leaf));
  for (let i = tree.length - 1 - n; i >= 0; i--) {
    const [a, b] = [tree[2 * i + 1]!, tree[2 * i + 2]!];
    tree[i] = Buffer.from(keccak_256(Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a])));
  }
  return `0x${tree[0]!.toString("hex")}`;
}

// ------------------------------------------------------------------ low s

const P256_N = p256.Point.CURVE().n;
const SECP256K1_N = secp256k1.Point.CURVE().n;

function lowS(signature: Uint8Array, n: bigint): Uint8Array {
  const s = BigInt(bytesToHex(signature.subarray(32, 64)));
  if (s <= n / 2n) return signature;
  const out = new Uint8Array(signature);
  out.set(uint256Bytes(n - s), 32);
  // An account signature's v names the recovered point's parity, which negating s flips.
  if (out.length === 65) out[64] = out[64] === 27 ? 28 : out[64] === 28 ? 27 : out[64]! ^ 1;
  return out;
}

/** Canonical grants by grant object: the records of a session share one, and so one hash. */
const canonicalGrants = new WeakMap<AuditGrantEvidence, AuditGrantEvidence>();

function canonicalGrant(grant: AuditGrantEvidence): AuditGrantEvidence {
  let canonical = canonicalGrants.get(grant);
  if (canonical === undefined) {
    const signature = lowS(grant.signature, SECP256K1_N);
    canonical = signature === grant.signature ? grant : { ...grant, signature };
    canonicalGrants.set(grant, canonical);
  }
  return canonical;
}

/** The evidence with every signature's s in the low half (the same signatures, as the contract takes them). */
export function canonicalEvidence(evidence: AuditEvidence): AuditEvidence {
  const session = evidence.grant !== undefined;
  const out: AuditEvidence = { ...evidence, signature: lowS(evidence.signature, session ? P256_N : SECP256K1_N) };
  if (evidence.grant !== undefined) out.grant = canonicalGrant(evidence.grant);
  return out;
}

const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

/** `evidence` as RewrapAuditLog.verifyRecord takes it (IRewrapAuditLog.RewrapEvidence; the session key uncompressed). */
export function contractEvidence(evidence: AuditEvidence) {
  const grant = evidence.grant;
  let sessionKey = { x: bytesToHex(ZERO_WORD), y: bytesToHex(ZERO_WORD) };
  if (grant !== undefined) {
    const point = p256.Point.fromBytes(grant.sessionPublicKey).toBytes(false);
    sessionKey = { x: bytesToHex(point.subarray(1, 33)), y: bytesToHex(point.subarray(33)) };
  }
  return {
    bulkContentIds: [...(evidence.bulkContentIds ?? [])],
    clientPublicKey: bytesToHex(evidence.clientPublicKey),
    nonce: evidence.nonce,
    expiry: BigInt(evidence.expiry),
    signature: bytesToHex(evidence.signature),
    grant: {
      account: grant?.account ?? ZERO_ADDRESS,
      sessionKeyX: sessionKey.x,
      sessionKeyY: sessionKey.y,
      expiry: BigInt(grant?.expiry ?? 0),
      nonce: grant?.nonce ?? 0n,
      signature: grant === undefined ? "0x" : bytesToHex(grant.signature),
    },
  } as const;
}

/** A record as RewrapAuditLog.verifyRecord takes it. */
export function contractRecord(record: RewrapRecord) {
  return { contentId: record.contentId, requester: record.requester, requestDigest: record.requestDigest, servedAt: BigInt(record.servedAt) } as const;
}
