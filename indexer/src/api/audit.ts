// GET /audit?cid=&requester=&validator=&from=&to=&cursor=&limit= — the rewrap audit trail,
// newest first, in pages with stable cursors. The auditors' surface (the validators never read
// it) and the explorer's: a cache miss waits for the public query gate (gate.ts).
import type { Hono } from "hono";
import { decodeCursor, encodeCursor } from "../../lib/cursor.js";
import { badRequest } from "../../lib/errors.js";
import { parseAddress, parseContentRef, parseLimit, parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import type { QueryGate } from "./gate.js";
import { errorResponse, respond, stringify } from "./http.js";
import { readAudit, type AuditFilter } from "./queries.js";
import type { Reader, Version } from "./version.js";

const PARAMETERS = ["cid", "requester", "validator", "from", "to", "cursor", "limit"] as const;
/** A parsed, normalised audit query: also the cache key. */
type AuditQuery = AuditFilter;

function parseQuery(q: Record<string, string>): AuditQuery {
  rejectUnknownParameters(q, PARAMETERS);
  const query: AuditQuery = { limit: parseLimit(q.limit) };
  if (q.cid !== undefined) query.contentId = parseContentRef(q.cid).contentId;
  if (q.requester !== undefined) query.requester = parseAddress(q.requester, "requester");
  if (q.validator !== undefined) query.validator = parseAddress(q.validator, "validator");
  if (q.from !== undefined) query.from = parseUint64(q.from, "from", "invalid_time");
  if (q.to !== undefined) query.to = parseUint64(q.to, "to", "invalid_time");
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw badRequest("invalid_range", "from is after to");
  }
  if (q.cursor !== undefined) query.before = decodeCursor(q.cursor);
  return query;
}

async function loadPage(db: Reader, q: AuditQuery): Promise<{ version: Version; value: string }> {
  const { version, row } = await readAudit(db, q);
  const page = row.records.slice(0, q.limit);
  const last = page[page.length - 1];
  const value = stringify({
    limit: q.limit,
    records: page,
    // Another page exists exactly when the query found more than `limit` rows.
    nextCursor: row.records.length > q.limit && last ? encodeCursor({ blockNumber: BigInt(last.blockNumber), logIndex: last.logIndex, recordIndex: last.recordIndex }) : null,
  });
  return { version, value };
}

const cache = new VersionedCache<string>(["audit", "contents"]);

export function registerAudit(app: Hono, gate: QueryGate): void {
  app.get("/audit", async (c) => {
    try {
      const query = parseQuery(c.req.query());
      const { head, value } = await cache.get(stringify(query), (db) => gate.run(() => loadPage(db, query)));
      return respond(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
