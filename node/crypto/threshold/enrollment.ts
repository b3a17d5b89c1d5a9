/**
 * Blinded enrollment of a replacement member (docs/threshold.md#healing). The chain assigns
 * the new member a fresh index r; m or more remaining members (the helpers H) each send it
 *
 *   σ_h = λ_h(r)·f(h) + μ_h,   μ_h = Σ_{h' ∈ H, h' ≠ h} ±δ_{h,h'}   (+ if h < h', − otherwise)
 *
 * where δ_{h,h'} is a mask both helpers of the pair derive alone, from the ECDH of their KAS
 * keys and the enrollment transcript: no helper-to-helper round. The masks cancel in the sum,
 * Σ σ_h = f(r), while each σ_h alone is uniform: the new member learns f(r) and nothing of any
 * f(h); a helper learns only masks. Each helper also publishes M_h = μ_h·G and signs its
 * contribution, so the new member checks every contribution on its own
 * (σ_h·G = λ_h(r)·S_h + M_h, with S_h from the commitments) and names the helper that cheated,
 * and Σ M_h = 0 catches a helper whose mask is not the one its pair agreed on.
 *
 * Contribution layout (181 bytes):
 *   version        1   0x01
 *   helperIndex    2   uint16
 *   maskPoint     33   M_h, compressed
 *   ephemeralKey  33   ECIES ephemeral P-256 key (to the new member's KAS key)
 *   wrappedSigma  48   AES-256-GCM(σ_h) ‖ tag
 *   signature     64   ECDSA-P256-SHA256 by the helper's KAS key over transcript digest ‖ all bytes above
 */
import { p256 } from "@noble/curves/nist.js";
import { bytesToBigInt, bytesToHex } from "viem";
import { createHash } from "node:crypto";
import { EnvelopeError } from "../envelopes/errors.js";
import { eciesOpen, eciesSeal } from "../envelopes/ecies.js";
import { bytesEqual, concatBytes, u16be, utf8 } from "../keys/bytes.js";
import { hkdfSha256 } from "../keys/hkdf.js";
import { kasKeyId } from "../keys/kid.js";
import { P256_SIGNATURE_LENGTH, verifyP256Signature, type P256PrivateKey } from "../keys/p256.js";
import { ThresholdError } from "./errors.js";
import { checkShareIndex, isValidShare, lagrangeCoefficient, scalarField as Fn, sharePoint, SHARE_LENGTH, type Point, type Share } from "./shares.js";

export const ENROLLMENT_CONTRIBUTION_VERSION = 1;
const SIGNED_LENGTH = 1 + 2 + 33 + 33 + 48;
export const ENROLLMENT_CONTRIBUTION_LENGTH = SIGNED_LENGTH + P256_SIGNATURE_LENGTH;
const DOMAIN = utf8("dekmesh/threshold/enrollment/v1");

/** A helper as the chain names it: its slot's index and the KAS key its share is sealed to. */
export interface EnrollmentHelper {
  index: number;
  kasPublicKey: Uint8Array;
}

export interface EnrollmentContext {
  contentId: Uint8Array;
  /** Unique per repair (e.g. the repair's transaction hash): masks are never reused across repairs. */
  session: Uint8Array;
  /** The replacement's fresh index r and the KAS key it receives σ under. */
  newMember: { index: number; kasPublicKey: Uint8Array };
  /** Every helper taking part, m or more; each σ_h depends on the whole set. */
  helpers: readonly EnrollmentHelper[];
}

/** SHA-256 over everything the masks and signatures are bound to. */
function transcriptDigest(context: EnrollmentContext): Uint8Array {
  const { contentId, session, newMember, helpers } = context;
  if (contentId.length !== 32 || session.length !== 32) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "content id and session must be 32 bytes");
  checkShareIndex(newMember.index);
  const indexes = helpers.map((h) => h.index);
  indexes.forEach(checkShareIndex);
  if (helpers.length < 2 || new Set(indexes).size !== helpers.length || indexes.includes(newMember.index)) {
    throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "helpers must be two or more distinct members other than the new one", { details: { helpers: indexes, newIndex: newMember.index } });
  }
  const hash = createHash("sha256").update(DOMAIN).update(new Uint8Array([ENROLLMENT_CONTRIBUTION_VERSION])).update(contentId).update(session);
  hash.update(u16be(newMember.index)).update(kasKeyId(newMember.kasPublicKey));
  for (const h of [...helpers].sort((a, b) => a.index - b.index)) hash.update(u16be(h.index)).update(h.kasPublicKey);
  return new Uint8Array(hash.digest());
}

/** μ_h: the pairwise masks of helper `self`, signed so that they cancel over the whole set. */
function mask(transcript: Uint8Array, self: number, kasKey: P256PrivateKey, helpers: readonly EnrollmentHelper[]): bigint {
  let sum = Fn.ZERO;
  for (const other of helpers) {
    if (other.index === self) continue;
    const [low, high] = self < other.index ? [self, other.index] : [other.index, self];
    const okm = hkdfSha256(kasKey.ecdh(other.kasPublicKey), DOMAIN, concatBytes(transcript, u16be(low), u16be(high)), 48);
    const delta = Fn.create(bytesToBigInt(okm));
    sum = self < other.index ? Fn.add(sum, delta) : Fn.sub(sum, delta);
  }
  return sum;
}

function sigmaContext(transcript: Uint8Array, helperIndex: number): Uint8Array {
  return concatBytes(transcript, u16be(helperIndex));
}

/** Helper side: its contribution to the new member's share, after checking the repair on chain. */
export function contributeToEnrollment(params: EnrollmentContext & { share: Share; kasKey: P256PrivateKey }): Uint8Array {
  const { share, kasKey, helpers } = params;
  const transcript = transcriptDigest(params);
  const self = helpers.find((h) => h.index === share.index);
  if (self === undefined || !bytesEqual(self.kasPublicKey, kasKey.publicKey)) {
    throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "this member is not among the helpers under its KAS key", { details: { index: share.index } });
  }
  if (share.value.length !== SHARE_LENGTH) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "a share is 32 bytes");
  let mu: bigint;
  try {
    mu = mask(transcript, share.index, kasKey, helpers);
  } catch (cause) {
    throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "a helper's KAS key is not a P-256 point", { cause });
  }
  const lambda = lagrangeCoefficient(helpers.map((h) => h.index), share.index, params.newMember.index);
  const sigma = Fn.add(Fn.mul(lambda, Fn.fromBytes(share.value)), mu);
  const maskPoint = p256.Point.BASE.multiply(mu).toBytes(true);
  let sealed: ReturnType<typeof eciesSeal>;
  try {
    sealed = eciesSeal({ recipientPublicKey: params.newMember.kasPublicKey, plaintext: Fn.toBytes(sigma), salt: DOMAIN, context: sigmaContext(transcript, share.index) });
  } catch (cause) {
    if (cause instanceof EnvelopeError) throw new ThresholdError("THRESHOLD_INVALID_ARGUMENT", "the new member's KAS key is not a P-256 point", { cause });
    throw cause;
  }
  const signed = concatBytes(new Uint8Array([ENROLLMENT_CONTRIBUTION_VERSION]), u16be(share.index), maskPoint, sealed.ephemeralPublicKey, sealed.ciphertext);
  return concatBytes(signed, kasKey.sign(concatBytes(transcript, signed)));
}

interface OpenedContribution {
  helper: EnrollmentHelper;
  sigma: bigint;
  maskPoint: Point;
}

function openContribution(contribution: Uint8Array, transcript: Uint8Array, context: EnrollmentContext, kasKey: P256PrivateKey): OpenedContribution {
  if (contribution.length !== ENROLLMENT_CONTRIBUTION_LENGTH) {
    throw new ThresholdError("THRESHOLD_MALFORMED", "enrollment contribution has the wrong length", { details: { length: contribution.length } });
  }
  if (contribution[0] !== ENROLLMENT_CONTRIBUTION_VERSION) {
    throw new ThresholdError("THRESHOLD_UNSUPPORTED_VERSION", "unknown enrollment contribution version", { details: { version: contribution[0] } });
  }
  const index = (contribution[1]! << 8) | contribution[2]!;
  const helper = context.helpers.find((h) => h.index === index);
  if (helper === undefined) throw new ThresholdError("THRESHOLD_WRONG_INDEX", "contribution from a member outside the helper set", { details: { index } });
  const signed = contribution.subarray(0, SIGNED_LENGTH);
  if (!verifyP256Signature(helper.kasPublicKey, concatBytes(transcript, signed), contribution.subarray(SIGNED_LENGTH))) {
    throw new ThresholdError("THRESHOLD_BAD_SIGNATURE", "contribution is not signed by the helper's KAS key", { details: { index } });
  }
  let maskPoint: Point;
  let sigma: bigint;
  try {
    maskPoint = p256.Point.fromBytes(signed.subarray(3, 36));
  } catch (cause) {
    throw new ThresholdError("THRESHOLD_SHARE_INVALID", "the helper's mask point is not on P-256", { details: { index }, cause });
  }
  try {
    const plain = eciesOpen({ recipientKey: kasKey, ephemeralPublicKey: signed.subarray(36, 69), ciphertext: signed.subarray(69), salt: DOMAIN, context: sigmaContext(transcript, index) });
    sigma = Fn.fromBytes(plain);
    plain.fill(0);
  } catch (cause) {
    throw new ThresholdError("THRESHOLD_WRAP_FAILED", "the helper signed a contribution that does not open", { details: { index }, cause });
  }
  return { helper, sigma, maskPoint };
}

type ReceivedContributions = Omit<EnrollmentContext, "newMember"> & {
  newMember: { index: number; kasKey: P256PrivateKey };
  contributions: readonly Uint8Array[];
};

function receivedContext(params: ReceivedContributions): { context: EnrollmentContext; transcript: Uint8Array } {
  const context: EnrollmentContext = { ...params, newMember: { index: params.newMember.index, kasPublicKey: params.newMember.kasKey.publicKey } };
  return { context, transcript: transcriptDigest(context) };
}

/**
 * What the new member learns from each contribution, signature checked and opened but not
 * combined: the helper's index, σ_h and M_h. For analysis (what a replacement could learn);
 * completeEnrollment is the way to a share.
 */
export function openEnrollmentContributions(params: ReceivedContributions): { index: number; sigma: Uint8Array; maskPoint: Uint8Array }[] {
  const { context, transcript } = receivedContext(params);
  return params.contributions.map((c) => {
    const { helper, sigma, maskPoint } = openContribution(c, transcript, context, params.newMember.kasKey);
    return { index: helper.index, sigma: Fn.toBytes(sigma), maskPoint: maskPoint.toBytes(true) };
  });
}

/**
 * New member side: checks every helper's contribution, then sums them into f(r) and checks
 * it against the commitments. The error names the helper at fault when one can be named.
 */
export function completeEnrollment(params: ReceivedContributions & { commitments: readonly Uint8Array[] }): Share {
  const { context, transcript } = receivedContext(params);
  if (params.helpers.length < params.commitments.length) {
    throw new ThresholdError("THRESHOLD_NOT_ENOUGH_SHARES", "an enrollment needs m helpers", { details: { helpers: params.helpers.length, m: params.commitments.length } });
  }
  const opened = params.contributions.map((c) => openContribution(c, transcript, context, params.newMember.kasKey));
  const seen = new Set(opened.map((o) => o.helper.index));
  if (seen.size !== opened.length || seen.size !== params.helpers.length) {
    throw new ThresholdError("THRESHOLD_NOT_ENOUGH_SHARES", "one contribution from each helper is needed", { details: { contributions: opened.length, helpers: params.helpers.length } });
  }
  const indexes = params.helpers.map((h) => h.index);
  let maskSum = p256.Point.ZERO;
  let share = Fn.ZERO;
  for (const { helper, sigma, maskPoint } of opened) {
    const lambda = lagrangeCoefficient(indexes, helper.index, params.newMember.index);
    const expected = sharePoint(params.commitments, helper.index).multiplyUnsafe(lambda).add(maskPoint);
    if (!p256.Point.BASE.multiplyUnsafe(sigma).equals(expected)) {
      throw new ThresholdError("THRESHOLD_SHARE_INVALID", "the helper's contribution fails the commitments check", { details: { index: helper.index } });
    }
    maskSum = maskSum.add(maskPoint);
    share = Fn.add(share, sigma);
  }
  if (!maskSum.equals(p256.Point.ZERO)) {
    throw new ThresholdError("THRESHOLD_ENROLLMENT_INCONSISTENT", "the helpers' masks do not cancel: one of them used another mask than its pair", {
      details: { helpers: indexes },
    });
  }
  const result = { index: params.newMember.index, value: Fn.toBytes(share) };
  if (!isValidShare(params.commitments, result)) {
    throw new ThresholdError("THRESHOLD_ENROLLMENT_INCONSISTENT", "the enrolled share fails the commitments check", { details: { kid: bytesToHex(kasKeyId(context.newMember.kasPublicKey)) } });
  }
  return result;
}
