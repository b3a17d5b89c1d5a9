// GET /audit?cid=&requester=&validator=&from=&to=&cursor=&limit= — the rewrap audit trail,
// newest first, in pages with stable cursors.
import type { Hono } from "hono";
import { content, rewrap } from "ponder:schema";
import { and, desc, eq, gte, lte, sql } from "ponder";
import type { Address, Hex } from "viem";
import { decodeCursor, encodeCursor, type AuditPosition } from "../../lib/cursor.js";
import { badRequest } from "../../lib/errors.js";
import { parseAddress, parseContentRef, parseLimit, parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { errorResponse, respond, stringify } from "./http.js";
import type { Reader } from "./version.js";

const PARAMETERS = ["cid", "requester", "validator", "from", "to", "cursor", "limit"] as const;
/** Block timestamps fit int8; larger bounds are clamped so the comparison stays in range. */
const INT8_MAX = (1n << 63n) - 1n;

/** A parsed, normalised audit query: also the cache key. */
interface AuditQuery {
  contentId?: Hex;
  requester?: Address;
  validator?: Address;
  /** Inclusive bounds on the timestamp of the block that recorded the record (unix seconds). */
  from?: bigint;
  to?: bigint;
  /** Return records strictly older than this position. */
  before?: AuditPosition;
  limit: number;
}

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

async function loadPage(db: Reader, q: AuditQuery): Promise<string> {
  const clamp = (t: bigint) => (t > INT8_MAX ? INT8_MAX : t);
  const filters = [
    q.contentId && eq(rewrap.contentId, q.contentId),
    q.requester && eq(rewrap.requester, q.requester),
    q.validator && eq(rewrap.validator, q.validator),
    q.from !== undefined && gte(rewrap.blockTimestamp, clamp(q.from)),
    q.to !== undefined && lte(rewrap.blockTimestamp, clamp(q.to)),
    q.before && sql`(${rewrap.blockNumber}, ${rewrap.logIndex}) < (${q.before.blockNumber}, ${q.before.logIndex})`,
  ].filter((f) => f !== undefined && f !== false);
  const rows = await db
    .select({ record: rewrap, cid: content.cid })
    .from(rewrap)
    .leftJoin(content, eq(content.contentId, rewrap.contentId))
    .where(and(...filters))
    .orderBy(desc(rewrap.blockNumber), desc(rewrap.logIndex))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1]?.record;
  return stringify({
    limit: q.limit,
    records: page.map(({ record: r, cid }) => ({
      contentId: r.contentId,
      cid,
      requester: r.requester,
      validator: r.validator,
      requestDigest: r.requestDigest,
      servedAt: r.servedAt,
      batchId: r.batchId,
      blockNumber: r.blockNumber,
      logIndex: r.logIndex,
      blockTimestamp: r.blockTimestamp,
      txHash: r.txHash,
    })),
    // Another page exists exactly when the query found more than `limit` rows.
    nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
  });
}

const cache = new VersionedCache<string>();

export function registerAudit(app: Hono): void {
  app.get("/audit", async (c) => {
    try {
      const query = parseQuery(c.req.query());
      const { head, value } = await cache.get(stringify(query), (db) => loadPage(db, query));
      return respond(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
