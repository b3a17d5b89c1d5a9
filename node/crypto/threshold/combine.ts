/**
 * The reader's last step (docs/threshold.md#reading): m checked shares give k_c by Lagrange
 * interpolation at 0, and k_c gives the DEK from the NanoTDF header exactly as a validator's
 * KAS key would (deriveDekForKas), so the payload decrypts with the ordinary NanoTDF code.
 */
import { p256_FROST } from "@noble/curves/nist.js";
import { bytesToHex } from "viem";
import { bytesEqual } from "../keys/bytes.js";
import { kasKeyId } from "../keys/kid.js";
import { P256PrivateKey } from "../keys/p256.js";
import { deriveDekForKas } from "../tdf/dek.js";
import { headerKid, type NanoTdfHeader } from "../tdf/header.js";
import { ThresholdError } from "./errors.js";
import { identifier, type Share } from "./shares.js";

/**
 * Throws unless the header is one a threshold content can carry: made against K_c = C_0 (its
 * KID is C_0's) and with the ECDSA policy binding, which members check without the DEK.
 */
export function checkThresholdHeader(header: NanoTdfHeader, commitments: readonly Uint8Array[]): void {
  const kid = headerKid(header);
  const contentKid = kasKeyId(commitments[0]!);
  if (kid === undefined || !bytesEqual(kid, contentKid)) {
    throw new ThresholdError("THRESHOLD_COMMITMENTS_MISMATCH", "the header is not made against the committed content key", {
      details: { headerKid: kid === undefined ? null : bytesToHex(kid), contentKid: bytesToHex(contentKid) },
    });
  }
  if (!header.useEcdsaBinding) throw new ThresholdError("THRESHOLD_HEADER_UNSUPPORTED", "threshold contents use the ECDSA policy binding");
}

/** k_c from any m shares with distinct indexes, checked against C_0 = K_c. */
export function combineShares(params: { commitments: readonly Uint8Array[]; shares: readonly Share[] }): P256PrivateKey {
  const m = params.commitments.length;
  const shares = params.shares.slice(0, m);
  if (shares.length < m || new Set(shares.map((s) => s.index)).size < m) {
    throw new ThresholdError("THRESHOLD_NOT_ENOUGH_SHARES", `${m} shares with distinct indexes are needed`, { details: { shares: params.shares.length, m } });
  }
  let secret: Uint8Array | undefined;
  try {
    secret = p256_FROST.combineSecret(
      shares.map((share) => ({ identifier: identifier(share.index), signingShare: share.value })),
      { min: m, max: m },
    );
    const contentKey = P256PrivateKey.fromBytes(secret);
    if (!bytesEqual(contentKey.publicKey, params.commitments[0]!)) throw new Error("C_0 mismatch");
    return contentKey;
  } catch (cause) {
    throw new ThresholdError("THRESHOLD_SHARE_INVALID", "the shares do not combine to the committed content key", { cause });
  } finally {
    secret?.fill(0);
  }
}

/** The DEK of a threshold content's header from m checked shares. */
export function deriveThresholdDek(params: { header: NanoTdfHeader; commitments: readonly Uint8Array[]; shares: readonly Share[] }): Uint8Array {
  checkThresholdHeader(params.header, params.commitments);
  return deriveDekForKas(params.header, combineShares(params));
}
