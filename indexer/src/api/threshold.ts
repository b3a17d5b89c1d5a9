// GET /threshold/:node — a validator's threshold work list (docs/threshold.md#at-the-member):
// the threshold(m, n) contents whose current slots name the node as member, each with what the
// member needs to act without another read: the registered header (its KID must be C_0's),
// m, n, the commitments and every slot as the contract commits to it (the node passes them as
// they are to confirmEnrollment). A dealt slot carries the share sealed to the node; a repaired
// one has none (the share comes by enrollment) and names the member it replaces until the
// enrollment is confirmed. /replication/:node keeps these contents out: there is no DEK to
// replicate. Paged by (dealt block, content id), one statement per page, one snapshot;
// `content=<id>` narrows it to one content (a member asked for a share it has not taken yet).
import type { Hono } from "hono";
import { content, thresholdDealing, thresholdSlot } from "ponder:schema";
import { sql } from "ponder";
import type { Hex } from "viem";
import { badRequest } from "../../lib/errors.js";
import { decodeContentCursor, encodeContentCursor, type ContentPosition } from "../../lib/cursor.js";
import { parseAddress, parseLimit, type LimitBounds, parseContentRef, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { errorResponse, respond, stringify } from "./http.js";
import type { ThresholdSlotJson } from "./queries.js";
import { selectWithVersion, type Reader, type Version } from "./version.js";

const THRESHOLD_LIMIT: LimitBounds = { default: 500, max: 500 };

interface WorkRow {
  contentId: Hex;
  policyId: string;
  dealtBlock: number;
  header: Hex;
  m: number;
  n: number;
  commitments: Hex;
  slots: ThresholdSlotJson[];
}

interface WorkQuery {
  node: Hex;
  contentId: Hex | undefined;
  after: ContentPosition | undefined;
  limit: number;
}

function readWork(db: Reader, { node, contentId, after, limit }: WorkQuery): Promise<{ version: Version; row: { contents: WorkRow[] } }> {
  const afterBlock = after?.block ?? -1n;
  const afterId = after?.contentId ?? "0x";
  return selectWithVersion(
    db,
    sql`(SELECT coalesce(json_agg(x ORDER BY x."dealtBlock", x."contentId"), '[]') FROM (
         SELECT d.content_id AS "contentId", c.policy_id::text AS "policyId", d.dealt_block AS "dealtBlock", c.header AS header,
           d.m AS m, d.n AS n, d.commitments AS commitments,
           (SELECT json_agg(json_build_object('slot', t.slot, 'member', t.member, 'index', t.share_index, 'previous', t.previous,
               'sealedShare', t.sealed_share) ORDER BY t.slot)
             FROM ${thresholdSlot} t WHERE t.content_id = d.content_id) AS slots
         FROM ${thresholdDealing} d JOIN ${content} c ON c.content_id = d.content_id
         WHERE (d.dealt_block > ${afterBlock} OR (d.dealt_block = ${afterBlock} AND d.content_id > ${afterId}))
           ${contentId === undefined ? sql.raw("") : sql`AND d.content_id = ${contentId}`}
           AND EXISTS (SELECT 1 FROM ${thresholdSlot} s WHERE s.content_id = d.content_id AND s.member = ${node})
         ORDER BY d.dealt_block, d.content_id
         LIMIT ${limit}) x) AS contents`,
  );
}

async function loadWork(db: Reader, query: WorkQuery): Promise<{ version: Version; value: string }> {
  const { version, row } = await readWork(db, query);
  const { node, limit } = query;
  const last = row.contents.at(-1);
  const nextCursor = row.contents.length === limit && last ? encodeContentCursor("t1", { block: BigInt(last.dealtBlock), contentId: last.contentId }) : null;
  return { version, value: stringify({ node, contents: row.contents, nextCursor }) };
}

const cache = new VersionedCache<string>(["contents"]);

export function registerThreshold(app: Hono): void {
  app.get("/threshold/:node", async (c) => {
    try {
      const query = c.req.query();
      rejectUnknownParameters(query, ["cursor", "limit", "content"]);
      const work: WorkQuery = {
        node: parseAddress(c.req.param("node"), "node"),
        contentId: query.content === undefined ? undefined : parseContentRef(query.content).contentId,
        after: query.cursor === undefined ? undefined : decodeContentCursor("t1", query.cursor),
        limit: parseLimit(query.limit, THRESHOLD_LIMIT),
      };
      const key = `${work.node}/${work.contentId ?? ""}/${query.cursor ?? ""}/${work.limit}`;
      const { head, value } = await cache.get(key, (db) => loadWork(db, work));
      return respond(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
