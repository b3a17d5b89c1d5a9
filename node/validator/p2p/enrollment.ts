/**
 * The blinded-enrollment protocol (`/dekmesh/threshold-enroll/1.0.0`, docs/threshold.md#healing-blinded-enrollment):
 * the replacement member of a repaired threshold slot asks each helper it chose for its
 * contribution. One request, one answer:
 *
 *   request   JSON { contentId, index, helpers }   the content, the replacement's fresh share
 *                                                  index r, the helper set H (share indexes)
 *   answer    the helper's 181-byte contribution (node/crypto/threshold/enrollment.ts)
 *
 * A helper refuses with a typed code (EnrollmentRefusal) and sends nothing else. The helper set
 * is part of the request because every contribution depends on the whole set: the masks of a
 * pair cancel only within the set both helpers were given.
 */
import type { Hex } from "viem";
import { MAX_SHARE_INDEX } from "../../crypto/threshold/index.js";
import { MAX_THRESHOLD_MEMBERS } from "../../protocol/limits.js";
import { isBytes32 } from "../../protocol/ids.js";
import { decodeJson, encodeJson } from "./codec.js";
import { protocolId } from "./constants.js";
import { P2pError } from "./errors.js";

export const PROTOCOL_THRESHOLD_ENROLL = protocolId("threshold-enroll");

/** A request is a content id, an index and at most MAX_THRESHOLD_MEMBERS indexes: well under 1 KiB. */
export const MAX_ENROLL_REQUEST_BYTES = 1024;
/**
 * The contribution is 181 bytes and the response status byte one more; a refusal (a JSON error
 * with code, message and details) needs room too, or it is dropped and the requester sees only
 * a truncated stream.
 */
export const MAX_ENROLL_ANSWER_BYTES = 2048;

export interface EnrollRequest {
  contentId: Hex;
  /** The replacement's share index r. */
  index: number;
  /** The helpers' share indexes, ascending. */
  helpers: number[];
}

const isIndex = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SHARE_INDEX;

export function encodeEnrollRequest(request: EnrollRequest): Uint8Array {
  return encodeJson(request);
}

/** P2P_MALFORMED unless the payload is a well-formed request. */
export function decodeEnrollRequest(bytes: Uint8Array): EnrollRequest {
  const value = decodeJson(bytes) as Partial<EnrollRequest> | null;
  const helpers = value?.helpers;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof value.contentId !== "string" ||
    !isBytes32(value.contentId) ||
    !isIndex(value.index) ||
    !Array.isArray(helpers) ||
    helpers.length < 2 ||
    helpers.length > MAX_THRESHOLD_MEMBERS ||
    !helpers.every(isIndex) ||
    helpers.some((h, i) => i > 0 && h <= helpers[i - 1]!)
  ) {
    throw new P2pError("P2P_MALFORMED", "not an enrollment request: { contentId, index, helpers (2 to 16 ascending share indexes) }");
  }
  return { contentId: value.contentId.toLowerCase() as Hex, index: value.index, helpers };
}
