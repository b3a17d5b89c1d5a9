// GET /replication/:node — a validator's replication work list (docs/replication.md): the
// contents whose replica set includes the node, that name it as initial validator, or that it
// confirmed, each with its replica set, confirmed holders and registered header (the initial
// validator derives the DEK from it; a puller checks a received DEK against its policy binding)
// — except contents their initial validator reported unusable: nobody can derive their DEK, so
// nobody is to pull them. Also the node's own record (with every KAS key id it ever registered:
// a header naming none of them was never sealed to it) and the validators a node may talk to
// (active, and exiting but not revoked: an exiting validator still serves pulls while it hands
// off). One statement, one snapshot; xor/all replica sets are computed with
// node/protocol/placement.ts exactly like /holders.
import { createHash } from "node:crypto";
import type { Hono } from "hono";
import { content, holding, kasKey, policy, replicaSlot, validator } from "ponder:schema";
import { sql } from "ponder";
import type { Hex } from "viem";
import { allReplicaSet, xorReplicaSet } from "../../../node/protocol/placement.js";
import { badRequest } from "../../lib/errors.js";
import { decodeContentCursor, encodeContentCursor, type ContentPosition } from "../../lib/cursor.js";
import { parseAddress, parseLimit, type LimitBounds, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { errorResponse, respond, stringify } from "./http.js";
import { selectWithVersion, type Reader, type Version } from "./version.js";

const REPLICATION_LIMIT: LimitBounds = { default: 1_000, max: 1_000 };

interface PeerRow {
  node: Hex;
  status: string;
  revoked: boolean;
  peerId: string;
  multiaddrs: string[];
  endpoint: string;
  kid: Hex;
  kasPublicKey: Hex;
  xorId: Hex;
}

interface ContentRow {
  contentId: Hex;
  policyId: string;
  initialValidator: Hex;
  registeredBlock: number;
  header: Hex;
  mode: "all" | "stake" | "xor" | "explicit";
  k: number;
  explicitMembers: Hex[];
  slots: (Hex | null)[];
  holders: Hex[];
}

interface Row {
  self: PeerRow | null;
  selfKids: Hex[];
  peers: PeerRow[];
  contents: ContentRow[];
}

const peerJson = sql.raw(`json_build_object('node', v.node, 'status', v.status, 'revoked', v.revoked, 'peerId', v.peer_id,
  'multiaddrs', v.multiaddrs, 'endpoint', v.endpoint, 'kid', v.current_kid, 'kasPublicKey', v.kas_public_key, 'xorId', v.xor_id)`);

function readReplication(db: Reader, node: Hex, after: ContentPosition | undefined, limit: number): Promise<{ version: Version; row: Row }> {
  const afterBlock = after?.block ?? -1n;
  const afterId = after?.contentId ?? "0x";
  return selectWithVersion<Row>(
    db,
    sql`(SELECT ${peerJson} FROM ${validator} v WHERE v.node = ${node}) AS self,
       (SELECT coalesce(json_agg(k.kid ORDER BY k.added_block, k.kid), '[]') FROM ${kasKey} k WHERE k.node = ${node}) AS "selfKids",
       (SELECT coalesce(json_agg(${peerJson} ORDER BY v.node), '[]') FROM ${validator} v
         WHERE v.status = 'active' OR (v.status = 'exiting' AND NOT v.revoked)) AS peers,
       (SELECT coalesce(json_agg(x ORDER BY x."registeredBlock", x."contentId"), '[]') FROM (
         SELECT c.content_id AS "contentId", c.policy_id::text AS "policyId", c.initial_validator AS "initialValidator",
           c.registered_block AS "registeredBlock",
           c.header AS header,
           p.mode AS mode, p.k AS k, p.explicit_members AS "explicitMembers",
           (SELECT coalesce(json_agg(s.validator ORDER BY s.slot), '[]') FROM ${replicaSlot} s WHERE s.content_id = c.content_id) AS slots,
           (SELECT coalesce(json_agg(h.validator ORDER BY h.validator), '[]') FROM ${holding} h WHERE h.content_id = c.content_id) AS holders
         FROM ${content} c JOIN ${policy} p ON p.id = c.policy_id
         WHERE (c.registered_block > ${afterBlock} OR (c.registered_block = ${afterBlock} AND c.content_id > ${afterId}))
           AND c.unusable_reason IS NULL
           -- A threshold content has no DEK to replicate: its members hold shares (docs/threshold.md).
           AND p.mode <> 'threshold'
           AND (p.mode IN ('xor', 'all') OR c.initial_validator = ${node} OR ${node} = ANY(p.explicit_members)
             OR EXISTS (SELECT 1 FROM ${replicaSlot} s WHERE s.content_id = c.content_id AND s.validator = ${node})
             OR EXISTS (SELECT 1 FROM ${holding} h WHERE h.content_id = c.content_id AND h.validator = ${node}))
         ORDER BY c.registered_block, c.content_id
         LIMIT ${limit}) x) AS contents`,
  );
}

/** A page as cached: its JSON text and a tag of it (`known=<tag>` is answered "unchanged"). */
interface Page {
  text: string;
  tag: string;
}

async function loadReplication(db: Reader, node: Hex, after: ContentPosition | undefined, limit: number): Promise<{ version: Version; value: Page }> {
  const { version, row } = await readReplication(db, node, after, limit);
  const active = row.peers.filter((p) => p.status === "active");
  const contents = [];
  for (const c of row.contents) {
    const replicaSet: (Hex | null)[] =
      c.mode === "stake"
        ? c.slots
        : c.mode === "explicit"
          ? c.explicitMembers
          : c.mode === "xor"
            ? xorReplicaSet(c.contentId, active, c.k).map((v) => v.node)
            : allReplicaSet(active).map((v) => v.node);
    // xor/all rows were read without a node filter: keep the ones that concern the node.
    if (c.initialValidator !== node && !replicaSet.includes(node) && !c.holders.includes(node)) continue;
    contents.push({
      contentId: c.contentId,
      policyId: c.policyId,
      mode: c.mode,
      k: c.k,
      initialValidator: c.initialValidator,
      registeredBlock: c.registeredBlock,
      header: c.header,
      replicaSet,
      holders: c.holders,
    });
  }
  const last = row.contents.at(-1);
  const nextCursor = row.contents.length === limit && last ? encodeContentCursor("r1", { block: BigInt(last.registeredBlock), contentId: last.contentId }) : null;
  const strip = ({ xorId: _xorId, revoked: _revoked, ...peer }: PeerRow) => peer;
  const body = stringify({
    node: row.self ? { ...strip(row.self), revoked: row.self.revoked, kids: row.selfKids } : null,
    peers: row.peers.map(strip),
    contents,
    nextCursor,
  });
  // Holder confirmations change the contents domain every block; a node polling its list then
  // gets "unchanged" (a few bytes) whenever the page it already has is still the answer.
  const tag = createHash("sha256").update(body).digest("base64url").slice(0, 22);
  return { version, value: { text: `{"tag":"${tag}",${body.slice(1)}`, tag } };
}

const TAG = /^[A-Za-z0-9_-]{22}$/;
const cache = new VersionedCache<Page>(["validators", "policies", "contents"]);

export function registerReplication(app: Hono): void {
  app.get("/replication/:node", async (c) => {
    try {
      const query = c.req.query();
      rejectUnknownParameters(query, ["cursor", "limit", "known"]);
      const node = parseAddress(c.req.param("node"), "node");
      const after = query.cursor === undefined ? undefined : decodeContentCursor("r1", query.cursor);
      const limit = parseLimit(query.limit, REPLICATION_LIMIT);
      if (query.known !== undefined && !TAG.test(query.known)) throw badRequest("invalid_cursor", "known is not a tag this API returned");
      const key = `${node}/${query.cursor ?? ""}/${limit}`;
      const { head, value } = await cache.get(key, (db) => loadReplication(db, node, after, limit));
      if (query.known === value.tag) return respond(c, head, stringify({ tag: value.tag, unchanged: true }));
      return respond(c, head, value.text);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
