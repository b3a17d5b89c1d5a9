// The audit explorer (docs/explorer.md): its page at /explorer, plain ES modules from
// indexer/explorer/ served from memory, and the REST endpoints its views need beyond /audit,
// /holders and /policies:
//   GET /audit/batches?validator=&cursor=&limit=      recent audit batches, newest first
//   GET /audit/batches/:validator/:batchId            one batch with its records decoded
//   GET /audit/series?cid=&validator=&from=&to=&buckets=   rewraps over time per validator
//   GET /validators/:node                             status, stake and status history, holdings
// Their reads run behind the public query gate (gate.ts): a page anyone can open is a public
// query surface, and must not take PGlite's thread from the validators' reads.
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context, Hono } from "hono";
import type { Address } from "viem";
import { decodeAuditRecords } from "../../../node/protocol/auditRecords.js";
import { decodeCursor, encodeCursor } from "../../lib/cursor.js";
import { ApiError, badRequest } from "../../lib/errors.js";
import { AUDIT_LIMIT, parseAddress, parseContentRef, parseLimit, parseUint64, rejectUnknownParameters } from "../../lib/params.js";
import { VersionedCache } from "./cache.js";
import { readBatch, readBatches, readSeries, readValidator, type BatchFilter, type SeriesQuery } from "./explorerQueries.js";
import type { QueryGate } from "./gate.js";
import { answer, errorResponse, respond, stringify, type Found } from "./http.js";
import { currentVersion, type IndexedBlock, type Reader, type Version } from "./version.js";

/** Most buckets a series may have (the chart's resolution). */
export const MAX_SERIES_BUCKETS = 500;
const DEFAULT_SERIES_BUCKETS = 60;
/** Longest a series answer is held (chain seconds), however long its step. */
const MAX_SERIES_HOLD_S = 15;

/**
 * Series answers held for a while after they were read. Every audit batch changes the data a
 * series reads, so per data version every open chart's series would be read again every block;
 * but a point covers `step` seconds, so an answer a few seconds old draws the same chart. An answer is held while the indexed head's time
 * is less than min(step, 15 s) past the head it was read at, and is labelled with that head.
 */
class HeldSeries {
  #held = new Map<string, { head: IndexedBlock; value: string }>();

  async get(key: string, holdSeconds: number, read: () => Promise<{ head: IndexedBlock; value: string }>): Promise<{ head: IndexedBlock; value: string }> {
    const now = (await currentVersion()).head;
    const held = this.#held.get(key);
    if (held && now.timestamp - held.head.timestamp < holdSeconds && now.number >= held.head.number) return held;
    const fresh = await read();
    if (this.#held.size >= 10_000) this.#held.clear();
    this.#held.set(key, fresh);
    return fresh;
  }
}

// ---------------------------------------------------------------- the page

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** Nothing but this origin: no script, style, font or image from elsewhere, and no inline script. */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** The page's files, read once: name → [content type, text]. */
function loadAssets(): Map<string, { type: string; text: string }> {
  const dir = fileURLToPath(new URL("../../explorer/", import.meta.url));
  const assets = new Map<string, { type: string; text: string }>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const type = CONTENT_TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const path = join(entry.parentPath, entry.name).slice(dir.length).replaceAll("\\", "/");
    assets.set(path, { type, text: readFileSync(join(entry.parentPath, entry.name), "utf8") });
  }
  return assets;
}

function registerPage(app: Hono): void {
  const assets = loadAssets();
  const page = assets.get("index.html")!;
  const send = (c: Context, asset: { type: string; text: string }) =>
    c.body(asset.text, 200, { "content-type": asset.type, ...PAGE_HEADERS });
  app.get("/explorer/assets/*", (c) => {
    const asset = assets.get(c.req.path.slice("/explorer/".length));
    return asset ? send(c, asset) : errorResponse(c, new ApiError(404, "not_found", "no such file"));
  });
  // Every other path under /explorer is a view of the page (its router reads the path).
  app.get("/explorer", (c) => send(c, page));
  app.get("/explorer/*", (c) => send(c, page));
}

// ---------------------------------------------------------------- data

async function loadBatches(db: Reader, q: BatchFilter): Promise<{ version: Version; value: string }> {
  const { version, row } = await readBatches(db, q);
  const page = row.batches.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    version,
    value: stringify({
      limit: q.limit,
      batches: page,
      // A record cursor at the last batch's first record: older batches, or their records on /audit.
      nextCursor: row.batches.length > q.limit && last ? encodeCursor({ blockNumber: BigInt(last.blockNumber), logIndex: last.logIndex, recordIndex: 0 }) : null,
    }),
  };
}

async function loadBatch(db: Reader, node: Address, batchId: bigint): Promise<{ version: Version; value: Found }> {
  const { version, row } = await readBatch(db, node, batchId);
  if (!row.batch) return { version, value: { notFound: new ApiError(404, "batch_not_found", "no audit batch with this validator and id") } };
  const { records, ...batch } = row.batch;
  const cids = row.cids ?? {};
  const decoded = decodeAuditRecords(records).map((r, recordIndex) => ({
    recordIndex,
    contentId: r.contentId,
    cid: cids[r.contentId] ?? null,
    requester: r.requester,
    requestDigest: r.requestDigest,
    servedAt: r.servedAt,
  }));
  // The explorer does not check evidence itself: a record's evidence, Merkle proof and verdict are served by
  // GET /audit/:validator/:batchId/:index (./auditEvidence.ts), which fetches the validator's blob.
  return { version, value: { body: stringify({ batch: { ...batch, records: decoded }, verification: null }) } };
}

async function loadValidator(db: Reader, node: Address): Promise<{ version: Version; value: Found }> {
  const { version, row } = await readValidator(db, node);
  if (!row.validator) return { version, value: { notFound: new ApiError(404, "validator_not_found", "no validator with this node address") } };
  return { version, value: { body: stringify(row) } };
}

function parseSeries(q: Record<string, string>): SeriesQuery {
  rejectUnknownParameters(q, ["cid", "validator", "from", "to", "buckets"]);
  if (q.from === undefined || q.to === undefined) throw badRequest("invalid_range", "from and to are required");
  const from = parseUint64(q.from, "from", "invalid_time");
  const to = parseUint64(q.to, "to", "invalid_time");
  if (from > to) throw badRequest("invalid_range", "from is after to");
  if (to >= 1n << 62n) throw badRequest("invalid_time", "to must be a unix time in seconds");
  let buckets = DEFAULT_SERIES_BUCKETS;
  if (q.buckets !== undefined) {
    if (!/^\d{1,4}$/.test(q.buckets) || Number(q.buckets) < 1 || Number(q.buckets) > MAX_SERIES_BUCKETS) {
      throw badRequest("invalid_buckets", `buckets must be an integer from 1 to ${MAX_SERIES_BUCKETS}`);
    }
    buckets = Number(q.buckets);
  }
  const span = to - from + 1n;
  const query: SeriesQuery = { from, to, step: (span + BigInt(buckets) - 1n) / BigInt(buckets) };
  if (q.cid !== undefined) query.contentId = parseContentRef(q.cid).contentId;
  if (q.validator !== undefined) query.validator = parseAddress(q.validator, "validator");
  return query;
}

export function registerExplorer(app: Hono, gate: QueryGate): void {
  registerPage(app);
  // Each endpoint's answers are cached per data version like the other REST answers; a miss
  // waits for the public query gate.
  const gated = <T>(load: (db: Reader) => Promise<{ version: Version; value: T }>) => (db: Reader) => gate.run(() => load(db));
  const batchesCache = new VersionedCache<string>(["audit"]);
  const batchCache = new VersionedCache<Found>(["audit", "contents"]);
  const validatorCache = new VersionedCache<Found>(["validators", "contents", "audit"]);
  const seriesCache = new VersionedCache<string>(["audit"]);
  const heldSeries = new HeldSeries();

  app.get("/audit/batches", async (c) => {
    try {
      const q = c.req.query();
      rejectUnknownParameters(q, ["validator", "cursor", "limit"]);
      const query: BatchFilter = { limit: parseLimit(q.limit, AUDIT_LIMIT) };
      if (q.validator !== undefined) query.validator = parseAddress(q.validator, "validator");
      if (q.cursor !== undefined) query.before = decodeCursor(q.cursor);
      const { head, value } = await batchesCache.get(stringify(query), gated((db) => loadBatches(db, query)));
      return respond(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  app.get("/audit/batches/:validator/:batchId", async (c) => {
    try {
      rejectUnknownParameters(c.req.query(), []);
      const node = parseAddress(c.req.param("validator"), "validator");
      const batchId = parseUint64(c.req.param("batchId"), "batch id", "invalid_batch_id");
      const { head, value } = await batchCache.get(`${node}/${batchId}`, gated((db) => loadBatch(db, node, batchId)));
      return answer(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  app.get("/audit/series", async (c) => {
    try {
      const query = parseSeries(c.req.query());
      const key = stringify(query);
      const hold = Math.min(Number(query.step), MAX_SERIES_HOLD_S);
      const { head, value } = await heldSeries.get(key, hold, () => seriesCache.get(key, gated(async (db) => {
        const { version, row } = await readSeries(db, query);
        return { version, value: stringify({ from: query.from, to: query.to, step: query.step, points: row.points }) };
      })));
      return respond(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });

  // Registered after /validators/active (registerValidators), which therefore keeps its path.
  app.get("/validators/:node", async (c) => {
    try {
      rejectUnknownParameters(c.req.query(), []);
      const node = parseAddress(c.req.param("node"), "node");
      const { head, value } = await validatorCache.get(node, gated((db) => loadValidator(db, node)));
      return answer(c, head, value);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
}
