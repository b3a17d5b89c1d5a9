/**
 * A member's answer to a share request (docs/threshold.md#reading): its share wrapped to the
 * reader's ephemeral key as a rewrap wraps a DEK, and signed with the member's KAS key over
 * (request digest, content id, index, wrapped share). The request digest and content id bind
 * the wrap (key schedule and AAD), so an answer opens for no other request; the signature makes
 * a wrong share attributable: the reader keeps the answer and its own ephemeral key as evidence.
 *
 * Layout (148 bytes):
 *   version        1   0x01
 *   index          2   uint16, the share's x
 *   ephemeralKey  33   ECIES ephemeral P-256 key
 *   wrappedShare  48   AES-256-GCM(f(index)) ‖ tag
 *   signature     64   ECDSA-P256-SHA256 r‖s by the member's KAS key over
 *                      "dekmesh/threshold/share-answer/v1" ‖ requestDigest ‖ contentId ‖ all bytes above
 */
import { EnvelopeError } from "../envelopes/errors.js";
import { eciesOpen, eciesSeal } from "../envelopes/ecies.js";
import { concatBytes, u16be, utf8 } from "../keys/bytes.js";
import { verifyP256Signature, type P256PrivateKey } from "../keys/p256.js";
import { SHARE_ANSWER_LENGTH } from "../../protocol/threshold.js";
import { ThresholdError } from "./errors.js";
import { checkShareIndex, isValidShare, SHARE_LENGTH, type Share } from "./shares.js";

export const SHARE_ANSWER_VERSION = 1;
const WRAPPED_LENGTH = 1 + 2 + 33 + 48;
export { SHARE_ANSWER_LENGTH };
const DOMAIN = utf8("dekmesh/threshold/share-answer/v1");

function binding(requestDigest: Uint8Array, contentId: Uint8Array, index: number): Uint8Array {
  if (requestDigest.length !== 32 || contentId.length !== 32) {
    throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "request digest and content id must be 32 bytes");
  }
  return concatBytes(DOMAIN, requestDigest, contentId, new Uint8Array([SHARE_ANSWER_VERSION]), u16be(index));
}

/** Member side, after every rewrap check passed and the audit record is persisted. */
export function answerShare(params: {
  share: Share;
  contentId: Uint8Array;
  requestDigest: Uint8Array;
  clientPublicKey: Uint8Array;
  kasKey: P256PrivateKey;
}): Uint8Array {
  const { share } = params;
  checkShareIndex(share.index);
  if (share.value.length !== SHARE_LENGTH) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "a share is 32 bytes");
  const context = binding(params.requestDigest, params.contentId, share.index);
  let sealed: ReturnType<typeof eciesSeal>;
  try {
    sealed = eciesSeal({ recipientPublicKey: params.clientPublicKey, plaintext: share.value, salt: DOMAIN, context });
  } catch (cause) {
    if (cause instanceof EnvelopeError) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "client key is not a P-256 point", { cause });
    throw cause;
  }
  const wrapped = concatBytes(new Uint8Array([SHARE_ANSWER_VERSION]), u16be(share.index), sealed.ephemeralPublicKey, sealed.ciphertext);
  return concatBytes(wrapped, params.kasKey.sign(concatBytes(context, wrapped)));
}

export interface OpenShareAnswerParameters {
  answer: Uint8Array;
  contentId: Uint8Array;
  requestDigest: Uint8Array;
  clientPrivateKey: P256PrivateKey;
  /** The member asked, from the registration: its slot's index and the KAS key its share is sealed to. */
  member: { index: number; kasPublicKey: Uint8Array };
  commitments: readonly Uint8Array[];
}

/**
 * Reader side: checks the member's signature, unwraps the share and checks it against the
 * commitments. THRESHOLD_WRAP_FAILED and THRESHOLD_SHARE_INVALID come with a valid signature of
 * the member: the member is at fault, and `answer` is the evidence.
 */
export function openShareAnswer(params: OpenShareAnswerParameters): Share {
  const { answer, member } = params;
  if (answer.length !== SHARE_ANSWER_LENGTH) {
    throw new ThresholdError("THRESHOLD_MALFORMED", "share answer has the wrong length", { details: { length: answer.length } });
  }
  if (answer[0] !== SHARE_ANSWER_VERSION) {
    throw new ThresholdError("THRESHOLD_UNSUPPORTED_VERSION", "unknown share answer version", { details: { version: answer[0] } });
  }
  const index = (answer[1]! << 8) | answer[2]!;
  if (index !== member.index) {
    throw new ThresholdError("THRESHOLD_WRONG_INDEX", "answer carries another slot's share", { details: { index, expectedIndex: member.index } });
  }
  const context = binding(params.requestDigest, params.contentId, index);
  const wrapped = answer.subarray(0, WRAPPED_LENGTH);
  if (!verifyP256Signature(member.kasPublicKey, concatBytes(context, wrapped), answer.subarray(WRAPPED_LENGTH))) {
    throw new ThresholdError("THRESHOLD_BAD_SIGNATURE", "answer is not signed by the member's KAS key", { details: { index } });
  }
  let value: Uint8Array;
  try {
    value = eciesOpen({ recipientKey: params.clientPrivateKey, ephemeralPublicKey: wrapped.subarray(3, 36), ciphertext: wrapped.subarray(36), salt: DOMAIN, context });
  } catch (cause) {
    if (cause instanceof EnvelopeError) throw new ThresholdError("THRESHOLD_WRAP_FAILED", "the member signed a wrapped share that does not open", { details: { index }, cause });
    throw cause;
  }
  const share = { index, value };
  if (!isValidShare(params.commitments, share)) {
    value.fill(0);
    throw new ThresholdError("THRESHOLD_SHARE_INVALID", "the member's share fails the commitments check", { details: { index } });
  }
  return share;
}
