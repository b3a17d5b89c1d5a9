/**
 * Shares of a content key and the Feldman commitments they are checked against
 * (docs/threshold.md#dealing). The content key k_c is f(0) of a polynomial f of degree m − 1
 * over the P-256 scalar field; member i holds the share f(i); the registration publishes
 * C_j = a_j·G for each coefficient a_j, so C_0 is the content public key K_c, and anyone can
 * check a share: f(i)·G = Σ C_j·i^j. The arithmetic is @noble/curves' RFC 9591 (FROST)
 * toolkit for P-256; this file fixes dekmesh's encodings around it.
 */
import { p256, p256_FROST } from "@noble/curves/nist.js";
import { MAX_THRESHOLD_MEMBERS, MIN_THRESHOLD } from "../../protocol/limits.js";
import { bytesEqual, concatByteArrays } from "../keys/bytes.js";
import { P256PrivateKey } from "../keys/p256.js";
import { COMMITMENT_LENGTH, isThreshold } from "../../protocol/threshold.js";
import { ThresholdError } from "./errors.js";

export const SHARE_LENGTH = 32;
/** Indexes travel as uint16: slot i starts at index i, a repaired slot takes a fresh index. */
export const MAX_SHARE_INDEX = 0xffff;

type Point = InstanceType<typeof p256.Point>;
const Fn = p256_FROST.utils.Fn;

/** Member `index`'s share f(index), a 32-byte big-endian scalar. A secret. */
export interface Share {
  index: number;
  value: Uint8Array;
}

/** Throws THRESHOLD_INVALID_ARGUMENT unless 2 ≤ m ≤ n ≤ 16. */
export function checkThresholdParameters(m: number, n: number): void {
  if (!isThreshold(m, n)) {
    throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", `threshold(m, n) needs ${MIN_THRESHOLD} ≤ m ≤ n ≤ ${MAX_THRESHOLD_MEMBERS}`, { details: { m, n } });
  }
}

export function checkShareIndex(index: number): void {
  if (!Number.isInteger(index) || index < 1 || index > MAX_SHARE_INDEX) {
    throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "share index must be an integer in 1..65535", { details: { index } });
  }
}

/** The Feldman commitments as the registration carries them: m compressed points, C_0 first. */
export function encodeCommitments(commitments: readonly Uint8Array[]): Uint8Array {
  return concatByteArrays(commitments);
}

/** Splits and checks registered commitments: every one a point on P-256, their count m in range. */
export function decodeCommitments(encoded: Uint8Array): Uint8Array[] {
  const m = encoded.length / COMMITMENT_LENGTH;
  if (!Number.isInteger(m) || m < MIN_THRESHOLD || m > MAX_THRESHOLD_MEMBERS) {
    throw new ThresholdError("THRESHOLD_MALFORMED", "commitments must be 2 to 16 compressed P-256 points", { details: { length: encoded.length } });
  }
  const commitments = Array.from({ length: m }, (_, j) => encoded.slice(j * COMMITMENT_LENGTH, (j + 1) * COMMITMENT_LENGTH));
  commitments.forEach(parsePoint);
  return commitments;
}

/**
 * Decompressed commitments by their bytes. A reader checks m shares against the same m points
 * and decompressing one costs a modular square root, the larger part of a share check; the
 * points are public, and the oldest entries go first beyond the bound.
 */
const decompressed = new Map<string, Point>();
const DECOMPRESSED_CACHE_SIZE = 1024;

function parsePoint(bytes: Uint8Array): Point {
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  const cached = decompressed.get(key);
  if (cached !== undefined) return cached;
  let point: Point;
  try {
    if (bytes.length !== COMMITMENT_LENGTH) throw new Error("not compressed");
    point = p256.Point.fromBytes(bytes);
    point.assertValidity();
  } catch (cause) {
    throw new ThresholdError("THRESHOLD_MALFORMED", "commitment is not a compressed P-256 point", { cause });
  }
  if (decompressed.size >= DECOMPRESSED_CACHE_SIZE) decompressed.delete(decompressed.keys().next().value!);
  decompressed.set(key, point);
  return point;
}

export function identifier(index: number): string {
  checkShareIndex(index);
  return p256_FROST.Identifier.fromNumber(index);
}

/**
 * Whether `share` is f(index) for the committed polynomial: f(i)·G = Σ C_j·i^j (RFC 9591's
 * vss_verify). s·G is computed natively and the right side by Horner's rule over the public
 * commitments with small scalars: 2.4× the library's constant-time validateSecret on the
 * reader's path (m checks per read, docs/threshold.md); the two are tested to agree.
 */
export function isValidShare(commitments: readonly Uint8Array[], share: Share): boolean {
  if (share.value.length !== SHARE_LENGTH) return false;
  try {
    return bytesEqual(P256PrivateKey.fromBytes(share.value).publicKey, sharePoint(commitments, share.index).toBytes(true));
  } catch {
    // Not a scalar in 1..n−1, an index out of range, or f(i)·G the identity: not a share.
    return false;
  }
}

/** S_i = f(i)·G = Σ C_j·i^j, by Horner's rule: the public point of member i's share. */
export function sharePoint(commitments: readonly Uint8Array[], index: number): Point {
  checkShareIndex(index);
  const x = BigInt(index);
  let acc = p256.Point.ZERO;
  for (let j = commitments.length - 1; j >= 0; j--) acc = acc.multiplyUnsafe(x).add(parsePoint(commitments[j]!));
  return acc;
}

/** λ_i(x) = Π_{j ≠ i} (x − j)/(i − j) over the index set: f(x) = Σ λ_i(x)·f(i). */
export function lagrangeCoefficient(indexes: readonly number[], i: number, x: number): bigint {
  let num = Fn.ONE;
  let den = Fn.ONE;
  for (const j of indexes) {
    if (j === i) continue;
    num = Fn.mul(num, Fn.sub(Fn.create(BigInt(x)), Fn.create(BigInt(j))));
    den = Fn.mul(den, Fn.sub(Fn.create(BigInt(i)), Fn.create(BigInt(j))));
  }
  return Fn.div(num, den);
}

export { Fn as scalarField, type Point };
