/**
 * What a validator posts on chain to answer a withheld-service challenge against it
 * (docs/challenges.md, contracts/Adjudicator.sol `answerWithheld`). Built from the node's
 * ordinary rewrap crypto: the rewrap envelope a reader would get over HTTP (wrapForClient), or
 * for a threshold member its share answer (answerShare), which is signed already.
 *
 * Rewrap answer layout (146 bytes):
 *   envelope   82   the rewrap envelope (node/crypto/envelopes/rewrap.ts)
 *   signature  64   ECDSA-P256-SHA256 r‖s by the holder's KAS key over
 *                   "dekmesh/challenge/rewrap-answer/v1" ‖ requestDigest ‖ contentId ‖ envelope
 * The envelope is sealed to the reader's one-time key, so publishing it reveals nothing.
 */
import { p256 } from "@noble/curves/nist.js";
import { bytesToHex, type Hex } from "viem";
import { wrapForClient } from "../../crypto/envelopes/rewrap.js";
import { concatBytes, utf8 } from "../../crypto/keys/bytes.js";
import type { P256PrivateKey } from "../../crypto/keys/p256.js";
import { answerShare } from "../../crypto/threshold/index.js";
import type { Share } from "../../crypto/threshold/shares.js";

export const REWRAP_ANSWER_DOMAIN = utf8("dekmesh/challenge/rewrap-answer/v1");

export interface ChallengeRequest {
  contentId: Uint8Array;
  requestDigest: Uint8Array;
  /** The reader's one-time compressed P-256 key named in the challenge. */
  clientPublicKey: Uint8Array;
}

/** The 146-byte answer of a holder of the DEK (all and stake(k) contents). */
export function rewrapChallengeAnswer(request: ChallengeRequest, dek: Uint8Array, kasKey: P256PrivateKey): Uint8Array {
  const envelope = wrapForClient({ dek, clientPublicKey: request.clientPublicKey, requestDigest: request.requestDigest });
  const signature = kasKey.sign(concatBytes(REWRAP_ANSWER_DOMAIN, request.requestDigest, request.contentId, envelope));
  return concatBytes(envelope, signature);
}

/** The 148-byte answer of a threshold member: its share answer, as POST /v1/rewrap/share gives it. */
export function shareChallengeAnswer(request: ChallengeRequest, share: Share, kasKey: P256PrivateKey): Uint8Array {
  return answerShare({ share, contentId: request.contentId, requestDigest: request.requestDigest, clientPublicKey: request.clientPublicKey, kasKey });
}

/** The affine coordinates of a compressed P-256 key, as the contract takes the key that signed. */
export function kasKeyCoordinates(publicKey: Uint8Array): { x: Hex; y: Hex } {
  const uncompressed = p256.Point.fromBytes(publicKey).toBytes(false);
  return { x: bytesToHex(uncompressed.subarray(1, 33)), y: bytesToHex(uncompressed.subarray(33, 65)) };
}
