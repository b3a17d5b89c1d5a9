// GET /audit?cid=&requester=&validator=&from=&to=&cursor=&limit= — the rewrap audit trail,
// newest first, in pages with stable cursors.
import type { Hono } from "hono";
import { db } from "ponder:api";
import { content, rewrap } from "ponder:schema";
import { and, desc, eq, gte, lte, sql } from "ponder";
import { decodeCursor, encodeCursor } from "../../lib/cursor.js";
import { badRequest } from "../../lib/errors.js";
import { parseAddress, parseContentRef, parseLimit, parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { errorResponse, json, readHead } from "./http.js";

type Condition = NonNullable<ReturnType<typeof and>>;

const PARAMETERS = ["cid", "requester", "validator", "from", "to", "cursor", "limit"] as const;

export function registerAudit(app: Hono): void {
  app.get("/audit", async (c) => {
    try {
      const q = c.req.query();
      rejectUnknownParameters(q, PARAMETERS);
      const filters: Condition[] = [];
      if (q.cid !== undefined) filters.push(eq(rewrap.contentId, parseContentRef(q.cid).contentId));
      if (q.requester !== undefined) filters.push(eq(rewrap.requester, parseAddress(q.requester, "requester")));
      if (q.validator !== undefined) filters.push(eq(rewrap.validator, parseAddress(q.validator, "validator")));
      // from/to: inclusive bounds on the timestamp of the block that recorded the record.
      const from = q.from === undefined ? undefined : parseUint64(q.from, "from", "invalid_time");
      const to = q.to === undefined ? undefined : parseUint64(q.to, "to", "invalid_time");
      if (from !== undefined && to !== undefined && from > to) throw badRequest("invalid_range", "from is after to");
      // Block timestamps fit int8; a larger bound is clamped so the comparison stays in range.
      const INT8_MAX = (1n << 63n) - 1n;
      if (from !== undefined) filters.push(gte(rewrap.blockTimestamp, from > INT8_MAX ? INT8_MAX : from));
      if (to !== undefined) filters.push(lte(rewrap.blockTimestamp, to > INT8_MAX ? INT8_MAX : to));
      if (q.cursor !== undefined) {
        const after = decodeCursor(q.cursor);
        filters.push(sql`(${rewrap.blockNumber}, ${rewrap.logIndex}) < (${after.blockNumber}, ${after.logIndex})`);
      }
      const limit = parseLimit(q.limit);

      const block = await readHead();
      const rows = await db
        .select({ record: rewrap, cid: content.cid })
        .from(rewrap)
        .leftJoin(content, eq(content.contentId, rewrap.contentId))
        .where(filters.length ? and(...filters) : undefined)
        .orderBy(desc(rewrap.blockNumber), desc(rewrap.logIndex))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1]?.record;
      return json(c, {
        block,
        limit,
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
        nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
      });
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
