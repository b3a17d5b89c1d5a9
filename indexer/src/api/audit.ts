// GET /audit?cid=&requester=&validator=&from=&to=&cursor=&limit= — the rewrap audit trail,
// newest first, in pages with stable cursors. Pages are carried forward as batches arrive
// (auditPages.ts). The auditors' surface and the explorer's (the validators never read it):
// its statements wait for the public query gate (gate.ts).
import { db } from "ponder:api";
import type { Hono } from "hono";
import { decodeCursor } from "../../lib/cursor.js";
import { badRequest } from "../../lib/errors.js";
import { AUDIT_LIMIT, parseAddress, parseContentRef, parseLimit, parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { AuditPages } from "./auditPages.js";
import type { QueryGate } from "./gate.js";
import { errorResponse, respond, stringify } from "./http.js";
import { readAudit, type AuditFilter } from "./queries.js";

const PARAMETERS = ["cid", "requester", "validator", "from", "to", "cursor", "limit"] as const;
/** A parsed, normalised audit query: also the cache key. */
type AuditQuery = AuditFilter;

function parseQuery(q: Record<string, string>): AuditQuery {
  rejectUnknownParameters(q, PARAMETERS);
  const query: AuditQuery = { limit: parseLimit(q.limit, AUDIT_LIMIT) };
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

export function registerAudit(app: Hono, gate: QueryGate): void {
  const pages = new AuditPages((read) => gate.run(read), readAudit);
  app.get("/audit", async (c) => {
    try {
      const query = parseQuery(c.req.query());
      const { head, text } = await pages.get(db, stringify(query), query);
      return respond(c, head, text);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
