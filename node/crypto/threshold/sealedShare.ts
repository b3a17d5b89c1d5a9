/**
 * A share sealed to a member's KAS key, as the registration carries it (docs/threshold.md#dealing).
 * ECIES as every dekmesh envelope (ecies.ts); the clear part (content id aside) enters the key
 * schedule and the AAD, so a sealed share opens only as share i of its own content, for its own
 * member. The member's address travels in clear so the contract checks, without a call to the
 * validator registry, that share i is addressed to the member drawn for slot i; the KID lets the
 * member find the key among its rotated ones.
 *
 * Layout (112 bytes):
 *   version        1   0x01
 *   index          2   uint16, the share's x
 *   member        20   the member's node address
 *   kid            8   KID of the member's KAS key
 *   ephemeralKey  33   ECIES ephemeral P-256 key
 *   wrappedShare  48   AES-256-GCM(f(index)) ‖ tag
 */
import { bytesToHex } from "viem";
import { EnvelopeError } from "../envelopes/errors.js";
import { eciesOpen, eciesSeal } from "../envelopes/ecies.js";
import { bytesEqual, concatBytes, u16be, utf8 } from "../keys/bytes.js";
import { addressToBytes, sameAddress, toChecksumAddress, type Address } from "../keys/ethereum.js";
import { isAddress } from "../../protocol/ids.js";
import { SEALED_SHARE_LENGTH } from "../../protocol/threshold.js";
import { KasKeyRing } from "../keys/keyring.js";
import { kasKeyId } from "../keys/kid.js";
import type { P256PrivateKey } from "../keys/p256.js";
import { ThresholdError } from "./errors.js";
import { checkShareIndex, SHARE_LENGTH, type Share } from "./shares.js";

export { SEALED_SHARE_LENGTH };

export const SEALED_SHARE_VERSION = 1;
const CLEAR_LENGTH = 1 + 2 + 20 + 8;
const DOMAIN = utf8("dekmesh/threshold/sealed-share/v1");

/** The clear part (version, index, member, KID) followed by the content id. */
function context(contentId: Uint8Array, index: number, member: Address, kid: Uint8Array): Uint8Array {
  if (contentId.length !== 32) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "content id must be 32 bytes");
  return concatBytes(new Uint8Array([SEALED_SHARE_VERSION]), u16be(index), addressToBytes(member), kid, contentId);
}

/** A member as the draw names it: its node address and the KAS key its share is sealed to. */
export interface ShareRecipient {
  address: Address;
  kasPublicKey: Uint8Array;
}

export function sealShare(params: { share: Share; contentId: Uint8Array; member: ShareRecipient }): Uint8Array {
  const { share, member } = params;
  checkShareIndex(share.index);
  if (share.value.length !== SHARE_LENGTH) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "a share is 32 bytes");
  if (!isAddress(member.address)) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "member address is not an address");
  const kid = kasKeyId(member.kasPublicKey);
  const header = context(params.contentId, share.index, member.address, kid);
  let sealed: ReturnType<typeof eciesSeal>;
  try {
    sealed = eciesSeal({ recipientPublicKey: member.kasPublicKey, plaintext: share.value, salt: DOMAIN, context: header });
  } catch (cause) {
    if (cause instanceof EnvelopeError) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "a member's KAS key is not a P-256 point", { cause });
    throw cause;
  }
  return concatBytes(header.subarray(0, CLEAR_LENGTH), sealed.ephemeralPublicKey, sealed.ciphertext);
}

/** The clear fields: which share it is, for which member, under which KAS key. */
export function decodeSealedShare(sealed: Uint8Array): { index: number; member: Address; kid: Uint8Array } {
  if (sealed.length !== SEALED_SHARE_LENGTH) {
    throw new ThresholdError("THRESHOLD_MALFORMED", "sealed share has the wrong length", { details: { length: sealed.length } });
  }
  if (sealed[0] !== SEALED_SHARE_VERSION) {
    throw new ThresholdError("THRESHOLD_UNSUPPORTED_VERSION", "unknown sealed share version", { details: { version: sealed[0] } });
  }
  return { index: (sealed[1]! << 8) | sealed[2]!, member: toChecksumAddress(sealed.subarray(3, 23)), kid: sealed.slice(23, CLEAR_LENGTH) };
}

/**
 * The member's side: opens its share of `contentId`. The caller checks the result against the
 * registered commitments (isValidShare) before it confirms the holding.
 */
export function openSealedShare(params: {
  sealed: Uint8Array;
  contentId: Uint8Array;
  /** This node's address: the share must name it. */
  member: Address;
  kasKey: P256PrivateKey | KasKeyRing;
  expectedIndex: number;
}): Share {
  const { index, member, kid } = decodeSealedShare(params.sealed);
  if (index !== params.expectedIndex) {
    throw new ThresholdError("THRESHOLD_WRONG_INDEX", "sealed share is for another slot", { details: { index, expectedIndex: params.expectedIndex } });
  }
  if (!sameAddress(member, params.member)) {
    throw new ThresholdError("THRESHOLD_WRONG_RECIPIENT", "sealed share is addressed to another member", { details: { member } });
  }
  const key = params.kasKey instanceof KasKeyRing ? params.kasKey.get(kid) : params.kasKey;
  if (key === undefined || !bytesEqual(key.kid, kid)) {
    throw new ThresholdError("THRESHOLD_UNKNOWN_KID", "share is sealed to a KAS key this node does not hold", { details: { kid: bytesToHex(kid) } });
  }
  try {
    const value = eciesOpen({
      recipientKey: key,
      ephemeralPublicKey: params.sealed.subarray(CLEAR_LENGTH, CLEAR_LENGTH + 33),
      ciphertext: params.sealed.subarray(CLEAR_LENGTH + 33),
      salt: DOMAIN,
      context: context(params.contentId, index, member, kid),
    });
    return { index, value };
  } catch (cause) {
    if (cause instanceof EnvelopeError) throw new ThresholdError("THRESHOLD_WRAP_FAILED", "sealed share does not open for this content and slot", { cause });
    throw cause;
  }
}
