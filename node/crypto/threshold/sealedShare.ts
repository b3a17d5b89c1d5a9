/**
 * A share sealed to a member's KAS key, as the registration carries it (docs/threshold.md#dealing).
 * ECIES as every dekmesh envelope (ecies.ts); the content id and the share index enter the key
 * schedule and the AAD, so a sealed share opens only as share i of its own content. The KID
 * travels in clear so the contract can check that share i is addressed to the member drawn for
 * slot i, and the member finds the key among its rotated ones.
 *
 * Layout (92 bytes):
 *   version        1   0x01
 *   index          2   uint16, the share's x
 *   kid            8   KID of the member's KAS key
 *   ephemeralKey  33   ECIES ephemeral P-256 key
 *   wrappedShare  48   AES-256-GCM(f(index)) ‖ tag
 */
import { bytesToHex } from "viem";
import { EnvelopeError } from "../envelopes/errors.js";
import { eciesOpen, eciesSeal } from "../envelopes/ecies.js";
import { bytesEqual, concatBytes, u16be, utf8 } from "../keys/bytes.js";
import { KasKeyRing } from "../keys/keyring.js";
import { kasKeyId } from "../keys/kid.js";
import type { P256PrivateKey } from "../keys/p256.js";
import { ThresholdError } from "./errors.js";
import { checkShareIndex, SHARE_LENGTH, type Share } from "./shares.js";

export const SEALED_SHARE_VERSION = 1;
export const SEALED_SHARE_LENGTH = 1 + 2 + 8 + 33 + 48;
const DOMAIN = utf8("dekmesh/threshold/sealed-share/v1");

function context(contentId: Uint8Array, index: number, kid: Uint8Array): Uint8Array {
  if (contentId.length !== 32) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "content id must be 32 bytes");
  return concatBytes(new Uint8Array([SEALED_SHARE_VERSION]), u16be(index), kid, contentId);
}

export function sealShare(params: { share: Share; contentId: Uint8Array; kasPublicKey: Uint8Array }): Uint8Array {
  const { share } = params;
  checkShareIndex(share.index);
  if (share.value.length !== SHARE_LENGTH) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "a share is 32 bytes");
  const kid = kasKeyId(params.kasPublicKey);
  // The clear part of the sealed share is the context's first 11 bytes: version, index, KID.
  const header = context(params.contentId, share.index, kid);
  let sealed: ReturnType<typeof eciesSeal>;
  try {
    sealed = eciesSeal({ recipientPublicKey: params.kasPublicKey, plaintext: share.value, salt: DOMAIN, context: header });
  } catch (cause) {
    if (cause instanceof EnvelopeError) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "a member's KAS key is not a P-256 point", { cause });
    throw cause;
  }
  return concatBytes(header.subarray(0, 11), sealed.ephemeralPublicKey, sealed.ciphertext);
}

/** The clear fields: which share it is and which KAS key it is sealed to. */
export function decodeSealedShare(sealed: Uint8Array): { index: number; kid: Uint8Array } {
  if (sealed.length !== SEALED_SHARE_LENGTH) {
    throw new ThresholdError("THRESHOLD_MALFORMED", "sealed share has the wrong length", { details: { length: sealed.length } });
  }
  if (sealed[0] !== SEALED_SHARE_VERSION) {
    throw new ThresholdError("THRESHOLD_UNSUPPORTED_VERSION", "unknown sealed share version", { details: { version: sealed[0] } });
  }
  return { index: (sealed[1]! << 8) | sealed[2]!, kid: sealed.slice(3, 11) };
}

/**
 * The member's side: opens its share of `contentId`. The caller checks the result against the
 * registered commitments (isValidShare) before it confirms the holding.
 */
export function openSealedShare(params: { sealed: Uint8Array; contentId: Uint8Array; kasKey: P256PrivateKey | KasKeyRing; expectedIndex: number }): Share {
  const { index, kid } = decodeSealedShare(params.sealed);
  if (index !== params.expectedIndex) {
    throw new ThresholdError("THRESHOLD_WRONG_INDEX", "sealed share is for another slot", { details: { index, expectedIndex: params.expectedIndex } });
  }
  const key = params.kasKey instanceof KasKeyRing ? params.kasKey.get(kid) : params.kasKey;
  if (key === undefined || !bytesEqual(key.kid, kid)) {
    throw new ThresholdError("THRESHOLD_UNKNOWN_KID", "share is sealed to a KAS key this node does not hold", { details: { kid: bytesToHex(kid) } });
  }
  try {
    const value = eciesOpen({
      recipientKey: key,
      ephemeralPublicKey: params.sealed.subarray(11, 44),
      ciphertext: params.sealed.subarray(44),
      salt: DOMAIN,
      context: context(params.contentId, index, kid),
    });
    return { index, value };
  } catch (cause) {
    if (cause instanceof EnvelopeError) throw new ThresholdError("THRESHOLD_WRAP_FAILED", "sealed share does not open for this content and slot", { cause });
    throw cause;
  }
}
