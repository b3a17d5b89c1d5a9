/**
 * Signed rewrap requests as readers make them (an account's EIP-712 signature, or a session
 * grant plus the session key's P-256/SHA-256 signature), turned into audit records with their
 * evidence, and the evidence hashes of contracts/libraries/AuditEvidence.sol written out again
 * with ethers — an implementation apart from node/protocol/auditEvidence.ts, which
 * test/node/protocol/auditEvidence.test.ts holds to the vector printed here (AUDIT_LEAF_VECTOR).
 */
import { p256 } from "@noble/curves/nist.js";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { ethers } from "ethers";

export interface Domain {
  chainId: bigint;
  verifyingContract: string;
}

export interface Grant {
  account: string;
  sessionPublicKey: Uint8Array;
  expiry: number;
  nonce: bigint;
  signature: string;
}

export interface Evidence {
  bulkContentIds?: string[];
  clientPublicKey: Uint8Array;
  nonce: bigint;
  expiry: number;
  signature: string;
  grant?: Grant;
}

export interface AuditRecord {
  contentId: string;
  requester: string;
  requestDigest: string;
  servedAt: number;
}

export interface Entry {
  record: AuditRecord;
  evidence: Evidence;
}

const TYPES = {
  RewrapRequest: [
    { name: "contentId", type: "bytes32" },
    { name: "clientPublicKey", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
  RewrapBulkRequest: [
    { name: "contentIds", type: "bytes32[]" },
    { name: "clientPublicKey", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
  SessionGrant: [
    { name: "account", type: "address" },
    { name: "sessionPublicKey", type: "bytes" },
    { name: "expiry", type: "uint64" },
    { name: "nonce", type: "uint256" },
  ],
};

function typedDigest(domain: Domain, primaryType: keyof typeof TYPES, message: Record<string, unknown>): string {
  return ethers.TypedDataEncoder.hash({ name: "dekmesh", version: "1", ...domain }, { [primaryType]: TYPES[primaryType] }, message);
}

export interface Reader {
  wallet: ethers.BaseWallet;
  session?: { secret: Uint8Array; grant: Grant };
}

let nonces = 1n;

/** A key derived from `label` (the gas benchmark's figures depend on every byte), or a random one. */
function secretOf(label: string | undefined): Uint8Array {
  return label === undefined ? p256.utils.randomSecretKey() : ethers.getBytes(ethers.id(label));
}

function walletOf(label: string | undefined): ethers.BaseWallet {
  return label === undefined ? ethers.Wallet.createRandom() : new ethers.Wallet(ethers.id(`wallet-${label}`));
}

export function accountReader(label?: string): Reader {
  return { wallet: walletOf(label) };
}

export function sessionReader(domain: Domain, expiry: number, label?: string): Reader {
  const wallet = walletOf(label);
  const secret = secretOf(label === undefined ? undefined : `session-${label}`);
  const fields = { account: wallet.address, sessionPublicKey: p256.getPublicKey(secret), expiry, nonce: nonces++ };
  const signature = wallet.signingKey.sign(typedDigest(domain, "SessionGrant", fields)).serialized;
  return { wallet, session: { secret, grant: { ...fields, signature } } };
}

/** An account's r‖s‖v, or a session key's r‖s (ECDSA P-256/SHA-256 over the digest; noble gives a low s). */
function sign(reader: Reader, digest: string): string {
  if (reader.session === undefined) return reader.wallet.signingKey.sign(digest).serialized;
  return ethers.hexlify(p256.sign(ethers.getBytes(digest), reader.session.secret));
}

/** A reader's one-time key; derived from the request's nonce when `fixed` (the gas benchmark). */
function clientKey(nonce: bigint, fixed: boolean): Uint8Array {
  return p256.getPublicKey(secretOf(fixed ? `client-${nonce}` : undefined));
}

/** Nonces count from 1 again (a benchmark that must sign the same bytes on every run). */
export function resetNonces(): void {
  nonces = 1n;
}

export function singleRecord(domain: Domain, reader: Reader, contentId: string, servedAt: number, fixed = false): Entry {
  const nonce = nonces++;
  const request = { contentId, clientPublicKey: clientKey(nonce, fixed), nonce, expiry: servedAt + 300 };
  const digest = typedDigest(domain, "RewrapRequest", request);
  const evidence: Evidence = { clientPublicKey: request.clientPublicKey, nonce: request.nonce, expiry: request.expiry, signature: sign(reader, digest) };
  if (reader.session !== undefined) evidence.grant = reader.session.grant;
  return { record: { contentId, requester: reader.wallet.address, requestDigest: digest, servedAt }, evidence };
}

export function bulkRecords(domain: Domain, reader: Reader, contentIds: string[], servedAt: number): Entry[] {
  const nonce = nonces++;
  const request = { contentIds, clientPublicKey: clientKey(nonce, false), nonce, expiry: servedAt + 300 };
  const digest = typedDigest(domain, "RewrapBulkRequest", request);
  const evidence: Evidence = { bulkContentIds: contentIds, clientPublicKey: request.clientPublicKey, nonce: request.nonce, expiry: request.expiry, signature: sign(reader, digest) };
  if (reader.session !== undefined) evidence.grant = reader.session.grant;
  return contentIds.map((contentId) => ({
    record: { contentId, requester: reader.wallet.address, requestDigest: ethers.solidityPackedKeccak256(["bytes32", "bytes32"], [digest, contentId]), servedAt },
    evidence,
  }));
}

// ------------------------------------------------------------------ hashes (AuditEvidence.sol)

function grantHash(grant: Grant): string {
  return ethers.solidityPackedKeccak256(
    ["address", "bytes32", "uint64", "uint256", "bytes"],
    [grant.account, ethers.keccak256(grant.sessionPublicKey), grant.expiry, grant.nonce, grant.signature],
  );
}

export function evidenceHash(evidence: Evidence): string {
  const ids = evidence.bulkContentIds;
  return ethers.solidityPackedKeccak256(
    ["bytes32", "bytes32", "uint256", "uint64", "bytes32", "bytes"],
    [
      ids === undefined ? ethers.ZeroHash : ethers.keccak256(ethers.concat(ids)),
      ethers.keccak256(evidence.clientPublicKey),
      evidence.nonce,
      evidence.expiry,
      evidence.grant === undefined ? ethers.ZeroHash : grantHash(evidence.grant),
      evidence.signature,
    ],
  );
}

export function packRecords(records: AuditRecord[]): string {
  return ethers.concat(
    records.map((r) => ethers.solidityPacked(["bytes32", "address", "bytes32", "uint64"], [r.contentId, r.requester, r.requestDigest, r.servedAt])),
  );
}

export function leaf(entry: Entry): string {
  return ethers.keccak256(ethers.keccak256(ethers.concat([packRecords([entry.record]), evidenceHash(entry.evidence)])));
}

export function tree(entries: Entry[]): SimpleMerkleTree {
  return SimpleMerkleTree.of(entries.map(leaf));
}

// ------------------------------------------------------------------ as the contract takes them

export function contractRecord(record: AuditRecord) {
  return { ...record, servedAt: BigInt(record.servedAt) };
}

export function contractEvidence(evidence: Evidence) {
  const grant = evidence.grant;
  let x = ethers.ZeroHash;
  let y = ethers.ZeroHash;
  if (grant !== undefined) {
    const point = p256.Point.fromBytes(grant.sessionPublicKey).toBytes(false);
    x = ethers.hexlify(point.subarray(1, 33));
    y = ethers.hexlify(point.subarray(33));
  }
  return {
    bulkContentIds: evidence.bulkContentIds ?? [],
    clientPublicKey: evidence.clientPublicKey,
    nonce: evidence.nonce,
    expiry: evidence.expiry,
    signature: evidence.signature,
    grant: {
      account: grant?.account ?? ethers.ZeroAddress,
      sessionKeyX: x,
      sessionKeyY: y,
      expiry: grant?.expiry ?? 0,
      nonce: grant?.nonce ?? 0n,
      signature: grant?.signature ?? "0x",
    },
  };
}

export const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
