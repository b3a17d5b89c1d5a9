/**
 * threshold(m, n) facts several layers share (docs/threshold.md): how a policy's one-byte `k`
 * carries (m, n), as contracts/types/DekmeshTypes.sol `thresholdOf` reads it, and the sizes of
 * what a registration carries (contracts/libraries/ThresholdShares.sol checks the same).
 */
import { MAX_THRESHOLD_MEMBERS, MIN_THRESHOLD } from "./limits.js";

/** One Feldman commitment: a compressed P-256 point. */
export const COMMITMENT_LENGTH = 33;
/** One sealed share: version 1, index 2, member address 20, KID 8, ECIES key 33, wrapped share 48. */
export const SEALED_SHARE_LENGTH = 112;
/** One share answer: version 1, index 2, ECIES key 33, wrapped share 48, KAS signature 64. */
export const SHARE_ANSWER_LENGTH = 148;

/** Whether 2 ≤ m ≤ n ≤ 16. */
export function isThreshold(m: number, n: number): boolean {
  return Number.isInteger(m) && Number.isInteger(n) && m >= MIN_THRESHOLD && m <= n && n <= MAX_THRESHOLD_MEMBERS;
}

/** The policy's k for threshold(m, n): (m − 1) << 4 | (n − 1). Undefined outside 2 ≤ m ≤ n ≤ 16. */
export function thresholdK(m: number, n: number): number | undefined {
  return isThreshold(m, n) ? ((m - 1) << 4) | (n - 1) : undefined;
}

/**
 * m and n of the replication spec "threshold:M/N" (M and N of one or two digits) when
 * 2 ≤ M ≤ N ≤ 16; undefined for any other text. The SDK, the CLI's flag parser, its policy
 * reuse and its upload warnings all read the spec through this one function.
 */
export function parseThresholdSpec(text: string): { m: number; n: number } | undefined {
  const match = /^threshold:(\d{1,2})\/(\d{1,2})$/.exec(text);
  if (match === null) return undefined;
  const [m, n] = [Number(match[1]), Number(match[2])];
  return isThreshold(m, n) ? { m, n } : undefined;
}

/** (m, n) of a threshold policy's k. */
export function thresholdOf(k: number): { m: number; n: number } {
  return { m: (k >> 4) + 1, n: (k & 0x0f) + 1 };
}
