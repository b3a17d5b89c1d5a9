// Opaque, stable cursors for newest-first audit pages. A cursor names a position in the
// chain — (block number, log index) of the last record returned — not an offset, so records
// added while a client pages through never shift or repeat a page.
import { badRequest } from "./errors.js";

export interface AuditPosition {
  blockNumber: bigint;
  logIndex: number;
}

const VERSION = "a1";
const BODY = /^a1\.(\d{1,16})\.(\d{1,9})$/;

export function encodeCursor(position: AuditPosition): string {
  return Buffer.from(`${VERSION}.${position.blockNumber}.${position.logIndex}`, "utf8").toString("base64url");
}

export function decodeCursor(raw: string): AuditPosition {
  const invalid = () => badRequest("invalid_cursor", "cursor is not one this API returned");
  if (raw.length === 0 || raw.length > 64 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  const match = BODY.exec(Buffer.from(raw, "base64url").toString("utf8"));
  if (!match) throw invalid();
  return { blockNumber: BigInt(match[1]!), logIndex: Number(match[2]!) };
}
