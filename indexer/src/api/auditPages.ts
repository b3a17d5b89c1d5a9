// The cached pages of GET /audit, carried forward as audit batches arrive instead of read again.
//
// Every block with an audit batch changes the audit data, so a cache keyed by data version
// (cache.ts) loses every /audit page each block, and each page costs a statement on PGlite's
// thread: under bench:indexer's load that was ~28 statements a block, and /audit's p99 ran at
// several times /health's. But a batch only ever adds records newer than every cached page's,
// so one statement per change reads the batches added since the last one, and each cached page
// takes the new records that match its filter in JavaScript: a page with a cursor is older
// than anything added and stays as it is; a first page gets the matching records in front.
// Two things are not additions and drop every page: a reorg (the newest batch applied is no
// longer there with the same transaction) and a change to contents (a record's `cid` text
// comes from the content table).
import { content, rewrapBatch } from "ponder:schema";
import { sql } from "ponder";
import type { Hex } from "viem";
import { decodeAuditRecords } from "../../../node/protocol/auditRecords.js";
import { encodeCursor } from "../../lib/cursor.js";
import { stringify } from "./http.js";
import type { AuditFilter, AuditRecordJson } from "./queries.js";
import { currentVersion, selectWithVersion, type IndexedBlock, type Reader, type Version } from "./version.js";

/** Bounds memory when many distinct queries are asked. */
const MAX_PAGES = 20_000;
/** Batches read per step (up to 1,000 records each); a larger gap drops the pages instead. */
const MAX_ADDED = 20;

interface BatchPosition {
  blockNumber: number;
  logIndex: number;
  txHash: Hex;
}

interface AddedBatch extends BatchPosition {
  validator: Hex;
  batchId: string;
  blockTimestamp: number;
  records: Hex;
}

interface Delta {
  /** Whether the newest batch applied so far is still there (no reorg removed it). */
  kept: boolean;
  /** Batches after it, oldest first (at most MAX_ADDED + 1). */
  added: AddedBatch[];
  /** The newest batch of all (what to carry on from when nothing was applied yet). */
  newest: BatchPosition | null;
  cids: Record<Hex, string> | null;
}

/**
 * The batches after `after` (every batch when there was none yet; none when nothing is held, at
 * the start), whether `after` is still there, and the newest batch.
 */
function readDelta(db: Reader, after: BatchPosition | "all" | "none"): Promise<{ version: Version; row: Delta }> {
  const position = (b: string) => sql.raw(`json_build_object('blockNumber', ${b}.block_number, 'logIndex', ${b}.log_index, 'txHash', ${b}.tx_hash)`);
  const since =
    after === "none" ? sql`FALSE` : after === "all" ? sql`TRUE` : sql`(b.block_number, b.log_index) > (${after.blockNumber}, ${after.logIndex})`;
  const added = sql`(SELECT * FROM ${rewrapBatch} b WHERE ${since} ORDER BY b.block_number, b.log_index LIMIT ${MAX_ADDED + 1})`;
  return selectWithVersion<Delta>(
    db,
    sql`${typeof after === "object" ? sql`EXISTS (SELECT 1 FROM ${rewrapBatch} b WHERE b.block_number = ${after.blockNumber}
           AND b.log_index = ${after.logIndex} AND b.tx_hash = ${after.txHash})` : sql`TRUE`} AS kept,
       (SELECT coalesce(json_agg(${position("a")}::jsonb || jsonb_build_object('validator', a.validator,
           'batchId', a.batch_id::text, 'blockTimestamp', a.block_timestamp, 'records', '0x' || encode(a.records, 'hex'))
           ORDER BY a.block_number, a.log_index), '[]') FROM ${added} a) AS added,
       (SELECT ${position("n")} FROM ${rewrapBatch} n ORDER BY n.block_number DESC, n.log_index DESC LIMIT 1) AS newest,
       (SELECT json_object_agg(c.content_id, c.cid) FROM ${content} c
         WHERE c.cid IS NOT NULL AND c.content_id IN (SELECT unnest(a.content_ids) FROM ${added} a)) AS cids`,
  );
}

/** The records of `batches` (oldest first) that `q` selects, newest first, as GET /audit gives them. */
function matching(q: AuditFilter, batches: AddedBatch[], cids: Record<Hex, string>): AuditRecordJson[] {
  const out: AuditRecordJson[] = [];
  for (const b of batches) {
    if (q.validator && b.validator !== q.validator) continue;
    if (q.from !== undefined && BigInt(b.blockTimestamp) < q.from) continue;
    if (q.to !== undefined && BigInt(b.blockTimestamp) > q.to) continue;
    decodeAuditRecords(b.records).forEach((r, recordIndex) => {
      if (q.contentId && r.contentId !== q.contentId) return;
      if (q.requester && r.requester !== q.requester) return;
      out.push({
        contentId: r.contentId,
        cid: cids[r.contentId] ?? null,
        requester: r.requester,
        validator: b.validator,
        requestDigest: r.requestDigest,
        servedAt: r.servedAt.toString(),
        batchId: b.batchId,
        blockNumber: b.blockNumber,
        logIndex: b.logIndex,
        recordIndex,
        blockTimestamp: b.blockTimestamp,
        txHash: b.txHash,
      });
    });
  }
  return out.reverse();
}

/** A page's JSON: `limit` records and the cursor after the last, when more exist. */
export function pageJson(q: AuditFilter, records: AuditRecordJson[]): string {
  const page = records.slice(0, q.limit);
  const last = page[page.length - 1];
  return stringify({
    limit: q.limit,
    records: page,
    // Another page exists exactly when the query found more than `limit` rows.
    nextCursor: records.length > q.limit && last ? encodeCursor({ blockNumber: BigInt(last.blockNumber), logIndex: last.logIndex, recordIndex: last.recordIndex }) : null,
  });
}

interface Page {
  query: AuditFilter;
  /** Up to limit + 1 records: one more says another page exists. */
  records: AuditRecordJson[];
  text: string;
}

export class AuditPages {
  #pages = new Map<string, Page>();
  /** What the pages hold: the data version they were read or carried to, and its newest batch. */
  #state: { audit: string | undefined; contents: string | undefined; head: IndexedBlock; newest: BatchPosition | undefined } | undefined;
  #advancing: Promise<void> | undefined;
  /** Pages being read: clients asking for the same one at once share one statement. */
  #loading = new Map<string, Promise<{ version: Version; row: { records: AuditRecordJson[] } }>>();

  /**
   * @param run Runs a statement's read (the public query gate).
   * @param load Reads one page: `limit + 1` records from GET /audit's statement.
   */
  constructor(
    readonly run: <T>(read: () => Promise<T>) => Promise<T>,
    readonly load: (db: Reader, q: AuditFilter) => Promise<{ version: Version; row: { records: AuditRecordJson[] } }>,
  ) {}

  /** The page for `q` and the head it holds at. */
  async get(db: Reader, key: string, q: AuditFilter): Promise<{ head: IndexedBlock; text: string }> {
    const current = await currentVersion();
    if (!this.#state || this.#state.audit !== current.data.audit || this.#state.contents !== current.data.contents) {
      this.#advancing ??= this.#advance(db).finally(() => (this.#advancing = undefined));
      await this.#advancing;
    }
    const state = this.#state!;
    // Nothing the pages read has changed since the poll's head: they hold at it too.
    const head = state.audit === current.data.audit && state.contents === current.data.contents && current.head.number > state.head.number ? current.head : state.head;
    const hit = this.#pages.get(key);
    if (hit) return { head, text: hit.text };
    let loading = this.#loading.get(key);
    if (!loading) {
      loading = this.run(() => this.load(db, q)).finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    const { version, row } = await loading;
    const page = { query: q, records: row.records, text: pageJson(q, row.records) };
    // Read at another version than the pages hold: answered, not kept.
    if (this.#state === state && version.data.audit === state.audit && version.data.contents === state.contents) {
      if (this.#pages.size >= MAX_PAGES) this.#pages.clear();
      this.#pages.set(key, page);
    }
    return { head: version.head, text: page.text };
  }

  /** Brings every page to the data version one statement reads. */
  async #advance(db: Reader): Promise<void> {
    const before = this.#state;
    const after = before?.newest;
    const { version, row } = await this.run(() => readDelta(db, before === undefined ? "none" : (after ?? "all")));
    const carried = before !== undefined && version.data.contents === before.contents && row.kept && row.added.length <= MAX_ADDED;
    if (!carried) this.#pages.clear();
    else if (row.added.length > 0) {
      const cids = row.cids ?? {};
      for (const page of this.#pages.values()) {
        if (page.query.before) continue;
        const fresh = matching(page.query, row.added, cids);
        if (fresh.length === 0) continue;
        page.records = [...fresh, ...page.records].slice(0, page.query.limit + 1);
        page.text = pageJson(page.query, page.records);
      }
    }
    const last = row.added[row.added.length - 1];
    this.#state = {
      audit: version.data.audit,
      contents: version.data.contents,
      head: version.head,
      newest: carried && last ? { blockNumber: last.blockNumber, logIndex: last.logIndex, txHash: last.txHash } : carried ? after : (row.newest ?? undefined),
    };
  }
}
