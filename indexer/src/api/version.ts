// What the indexed data looks like right now: the latest indexed block (every REST response
// carries it) and a data version that changes exactly when indexed rows change. A background
// poll reads both in one statement every POLL_MS, so requests never wait for it; responses
// computed from a consistent snapshot are cached per data version (cache.ts).
import { db } from "ponder:api";
import { indexerState } from "ponder:schema";
import { sql } from "ponder";
import { ApiError } from "../../lib/errors.js";

/** The latest block the indexer has processed: what a reader's staleness check compares with. */
export interface IndexedBlock {
  number: number;
  timestamp: number;
}

export interface Version {
  head: IndexedBlock;
  /** Ponder's checkpoint of the head (changes with every block, also empty ones). */
  checkpoint: string;
  /** The last applied event (indexer_state), unique across forks; "" before the first event. */
  data: string;
}

/** The subset of the read-only Drizzle API the REST handlers use (also a transaction's). */
export type Reader = Pick<typeof db, "select" | "execute">;

/** How stale the in-memory version may get: small against 1-second blocks, cheap for PGlite. */
export const POLL_MS = 20;

declare global {
  // Set by Ponder before the API is built; its client() middleware reads it the same way.
  var PONDER_NAMESPACE_BUILD: { schema: string } | undefined;
  var DEKMESH_API_GENERATION: number | undefined;
}

const schemaName = globalThis.PONDER_NAMESPACE_BUILD?.schema ?? "public";
const checkpointTable = sql.raw(`"${schemaName.replaceAll('"', '""')}"."_ponder_checkpoint"`);

/**
 * Decodes Ponder's checkpoint: block timestamp (10 digits), chain id (16), block number (16), …
 * (ponder/src/utils/checkpoint.ts).
 */
function decodeHead(checkpoint: string): IndexedBlock {
  return { number: Number(checkpoint.slice(26, 42)), timestamp: Number(checkpoint.slice(0, 10)) };
}

export async function readVersion(reader: Reader): Promise<Version> {
  const result = (await reader.execute(
    sql`SELECT c.latest_checkpoint AS checkpoint, s.last_event AS data
        FROM ${checkpointTable} c LEFT JOIN ${indexerState} s ON s.id = 0 LIMIT 1`,
  )) as unknown as { rows: { checkpoint: string; data: string | null }[] };
  const row = result.rows[0];
  if (!row) throw new ApiError(503, "not_ready", "the indexer has not indexed a block yet");
  return { head: decodeHead(row.checkpoint), checkpoint: row.checkpoint, data: row.data ?? "" };
}

let latest: Version | undefined;
let first: Promise<Version> | undefined;

// `ponder dev` rebuilds the API on edits; a generation number stops the previous build's loop.
const generation = (globalThis.DEKMESH_API_GENERATION = (globalThis.DEKMESH_API_GENERATION ?? 0) + 1);
void (async () => {
  while (globalThis.DEKMESH_API_GENERATION === generation) {
    try {
      latest = await readVersion(db);
    } catch {
      // Not ready yet, or shutting down: keep the last known version and try again.
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS).unref());
  }
})();

/** The version as of the last poll (≤ POLL_MS old); the first call waits for a read. */
export async function currentVersion(): Promise<Version> {
  if (latest) return latest;
  first ??= readVersion(db).finally(() => (first = undefined));
  return (latest = await first);
}

interface Transactional {
  transaction<T>(
    fn: (tx: Reader) => Promise<T>,
    config: { isolationLevel: "repeatable read"; accessMode: "read only" },
  ): Promise<T>;
}

/**
 * Runs `load` in one read-only repeatable-read transaction together with a version read, so
 * the data and the head it is labelled with belong together (PGlite serialises transactions;
 * Postgres gives the transaction one snapshot).
 */
export async function snapshot<T>(load: (reader: Reader) => Promise<T>): Promise<{ version: Version; value: T }> {
  // ponder:api types `db` without `transaction`, but it is a Drizzle database that has one.
  return (db as unknown as Transactional).transaction(
    async (tx) => {
      const version = await readVersion(tx);
      return { version, value: await load(tx) };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
