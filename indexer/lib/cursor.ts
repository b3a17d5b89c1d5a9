// Opaque, stable cursors for newest-first audit pages. A cursor names a position in the
// chain — (block number, log index, record index within the batch) of the last record
// returned — not an offset, so records added while a client pages through never shift or
// repeat a page. Version a2: a1 cursors (before audit batches were one event) are refused.
import { badRequest } from "./errors.js";

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
  const invalid = () => badRequest("invalid_cursor", "cursor is not one this API returned");
  if (raw.length === 0 || raw.length > 64 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  const match = BODY.exec(Buffer.from(raw, "base64url").toString("utf8"));
  if (!match) throw invalid();
  return { blockNumber: BigInt(match[1]!), logIndex: Number(match[2]!), recordIndex: Number(match[3]!) };
}
