// Opaque, stable cursors. A cursor names a position in the chain, not an offset, so rows added
// while a client pages through never shift or repeat a page. Newest-first audit pages: (block
// number, log index, record index within the batch) of the last record returned; version a2 (a1
// cursors, from before audit batches were one event, are refused). A validator's work lists
// (/replication/:node, /threshold/:node): (block, content id) of the last content returned, under
// the list's own tag, so one list's cursor is refused by the other.
import type { Hex } from "viem";
import { badRequest } from "./errors.js";

const invalidCursor = () => badRequest("invalid_cursor", "cursor is not one this API returned");

export interface AuditPosition {
  blockNumber: bigint;
  logIndex: number;
  recordIndex: number;
}

const VERSION = "a2";
const BODY = /^a2\.(\d{1,16})\.(\d{1,9})\.(\d{1,4})$/;

export function encodeCursor(position: AuditPosition): string {
  return Buffer.from(`${VERSION}.${position.blockNumber}.${position.logIndex}.${position.recordIndex}`, "utf8").toString("base64url");
}

export function decodeCursor(raw: string): AuditPosition {
  if (raw.length === 0 || raw.length > 64 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalidCursor();
  const match = BODY.exec(Buffer.from(raw, "base64url").toString("utf8"));
  if (!match) throw invalidCursor();
  return { blockNumber: BigInt(match[1]!), logIndex: Number(match[2]!), recordIndex: Number(match[3]!) };
}

/** Where a work list's page ended: the (block, content id) of its last content. */
export interface ContentPosition {
  block: bigint;
  contentId: Hex;
}

/** The tag of a work list's cursors: r1 for /replication/:node, t1 for /threshold/:node. */
export type WorkListTag = "r1" | "t1";

export function encodeContentCursor(tag: WorkListTag, position: ContentPosition): string {
  return Buffer.from(`${tag}.${position.block}.${position.contentId}`, "utf8").toString("base64url");
}

export function decodeContentCursor(tag: WorkListTag, raw: string): ContentPosition {
  if (raw.length > 128 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalidCursor();
  const match = /^(r1|t1)\.(\d{1,16})\.(0x[0-9a-f]{64})$/.exec(Buffer.from(raw, "base64url").toString("utf8"));
  if (!match || match[1] !== tag) throw invalidCursor();
  return { block: BigInt(match[2]!), contentId: match[3] as Hex };
}
