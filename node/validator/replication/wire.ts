/**
 * The two request formats of replication, JSON over the p2p framing (docs/p2p.md):
 *   /dekmesh/replicate/1.0.0  request {"contentId":"0x<32 bytes>"}   answer: the 251-byte envelope, raw
 *   /dekmesh/has/1.0.0        request {"contentId":"0x<32 bytes>"}   answer {"contentId":"0x…","has":true}
 * Exactly these keys; anything else is REPLICATION_MALFORMED. The requester's identity is the
 * Noise-authenticated peer id, never a field of the request.
 */
import type { Hex } from "viem";
import { ReplicationError } from "./errors.js";
import { isContentId } from "../../protocol/ids.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeContentRequest(contentId: Hex): Uint8Array {
  return encoder.encode(JSON.stringify({ contentId: contentId.toLowerCase() }));
}

export function decodeContentRequest(bytes: Uint8Array): Hex {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new ReplicationError("REPLICATION_MALFORMED", "request is not UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ReplicationError("REPLICATION_MALFORMED", "request must be a JSON object");
  const keys = Object.keys(value);
  const contentId = (value as { contentId?: unknown }).contentId;
  if (keys.length !== 1 || !isContentId(contentId)) {
    throw new ReplicationError("REPLICATION_MALFORMED", "request must be {\"contentId\": \"0x<64 hex>\"}");
  }
  return contentId.toLowerCase() as Hex;
}

export function encodeHasAnswer(contentId: Hex, has: boolean): Uint8Array {
  return encoder.encode(JSON.stringify({ contentId, has }));
}

export function decodeHasAnswer(bytes: Uint8Array, contentId: Hex): boolean {
  let value: { contentId?: unknown; has?: unknown };
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new ReplicationError("REPLICATION_MALFORMED", "has answer is not UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || value.contentId !== contentId || typeof value.has !== "boolean") {
    throw new ReplicationError("REPLICATION_MALFORMED", "has answer is not about this content");
  }
  return value.has;
}
