/**
 * The publisher's dealing (docs/threshold.md#dealing): a fresh content key k_c, split with
 * Feldman VSS into n shares of which any m recover it, and each share sealed to the KAS key of
 * the member drawn for its slot. The NanoTDF header is then made against K_c = k_c·G exactly as
 * against a validator's KAS key (createNanoTdfHeader with kasPublicKey = K_c), so the file
 * format does not change.
 */
import { p256_FROST } from "@noble/curves/nist.js";
import { randomBytes as systemRandomBytes } from "node:crypto";
import { P256PrivateKey } from "../keys/p256.js";
import { sealShare, type ShareRecipient } from "./sealedShare.js";
import { checkShareIndex, checkThresholdParameters, identifier, type Share } from "./shares.js";

/** A source of uniform random bytes; tests pass a seeded one to get known answers. */
export type RandomBytes = (length: number) => Uint8Array;

export interface DealSharesParameters {
  /** Shares needed to recover the key. */
  m: number;
  /** Shares dealt, for indexes firstIndex..firstIndex + n − 1. */
  n: number;
  /** The index of the first share; default 1. A re-deal starts above every index in use. */
  firstIndex?: number;
  /** k_c to deal (a publisher's re-deal from its recovery envelope); default a fresh one. */
  contentKey?: Uint8Array;
  randomBytes?: RandomBytes;
}

export interface DealSharesReturnType {
  /** k_c. Only the recovery envelope keeps it; treat as a secret. */
  contentKey: P256PrivateKey;
  /** C_0..C_{m−1}, compressed; C_0 is the content public key K_c. */
  commitments: Uint8Array[];
  shares: Share[];
}

export function dealShares({ m, n, firstIndex = 1, contentKey: given, randomBytes = systemRandomBytes }: DealSharesParameters): DealSharesReturnType {
  checkThresholdParameters(m, n);
  const rng = (length = 32) => new Uint8Array(randomBytes(length));
  const secret = given === undefined ? p256_FROST.utils.randomScalar(rng) : P256PrivateKey.fromBytes(given).exportPrivateKey();
  const indexes = Array.from({ length: n }, (_, i) => firstIndex + i);
  indexes.forEach(checkShareIndex);
  const dealt = p256_FROST.trustedDealer({ min: m, max: n }, indexes.map(identifier), secret, rng);
  const contentKey = P256PrivateKey.fromBytes(secret);
  secret.fill(0);
  return {
    contentKey,
    commitments: dealt.public.commitments.map((c) => new Uint8Array(c)),
    shares: indexes.map((index) => ({ index, value: new Uint8Array(dealt.secretShares[identifier(index)]!.signingShare) })),
  };
}

export interface DealSealedSharesParameters {
  m: number;
  /** The drawn members in slot order: slot i (1-based) receives share i. */
  members: readonly ShareRecipient[];
  contentId: Uint8Array;
  randomBytes?: RandomBytes;
}

export interface DealSealedSharesReturnType {
  contentKey: P256PrivateKey;
  commitments: Uint8Array[];
  /** Share i sealed to member i's KAS key, bound to (content id, i); in slot order. */
  sealedShares: Uint8Array[];
}

/** What the registration carries: commitments and one sealed share per drawn member. */
export function dealSealedShares(params: DealSealedSharesParameters): DealSealedSharesReturnType {
  const n = params.members.length;
  const { contentKey, commitments, shares } = dealShares({ m: params.m, n, randomBytes: params.randomBytes });
  try {
    const sealedShares = shares.map((share, slot) => sealShare({ share, contentId: params.contentId, member: params.members[slot]! }));
    return { contentKey, commitments, sealedShares };
  } finally {
    for (const share of shares) share.value.fill(0);
  }
}
