// What the indexed data looks like right now: the latest indexed block (every REST response
// carries it) and, per domain, the last applied event, which changes exactly when that
// domain's rows change. A background poll reads both in one statement every POLL_MS, so
// requests never wait for it. Every REST read is a single SQL statement that selects the
// same version columns next to its data: one statement sees one snapshot, so an answer and
// the head it is labelled with always belong together (PGlite and Postgres alike).
import { db } from "ponder:api";
import { indexerState } from "ponder:schema";
import { sql } from "ponder";
import type { Domain } from "../../lib/domains.js";
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
  /** Last applied event per domain (absent before the domain's first event). */
  data: Partial<Record<Domain, string>>;
}

/** The read-only Drizzle database (raw SQL statements only). */
export type Reader = Pick<typeof db, "execute">;
type Fragment = ReturnType<typeof sql>;

/** How stale the in-memory version may get: small against 1-second blocks, cheap for PGlite. */
export const POLL_MS = 20;

declare global {
  // Set by Ponder before the API is built; its client() middleware reads it the same way.
  var PONDER_NAMESPACE_BUILD: { schema: string } | undefined;
  var DEKMESH_API_GENERATION: number | undefined;
}

const schemaName = globalThis.PONDER_NAMESPACE_BUILD?.schema ?? "public";
const checkpointTable = sql.raw(`"${schemaName.replaceAll('"', '""')}"."_ponder_checkpoint"`);

/** Select-list items giving the version; every REST statement starts with them. */
const versionColumns = sql`(SELECT latest_checkpoint FROM ${checkpointTable} LIMIT 1) AS "_checkpoint",
  (SELECT json_object_agg(domain, last_event) FROM ${indexerState}) AS "_data"`;

interface VersionRow {
  _checkpoint: string | null;
  _data: Partial<Record<Domain, string>> | string | null;
}

/**
 * Decodes Ponder's checkpoint: block timestamp (10 digits), chain id (16), block number (16), …
 * (ponder/src/utils/checkpoint.ts).
 */
function versionOf(row: VersionRow | undefined): Version {
  const checkpoint = row?._checkpoint;
  if (!checkpoint) throw new ApiError(503, "not_ready", "the indexer has not indexed a block yet");
  const data = typeof row._data === "string" ? JSON.parse(row._data) : (row._data ?? {});
  return {
    head: { number: Number(checkpoint.slice(26, 42)), timestamp: Number(checkpoint.slice(0, 10)) },
    checkpoint,
    data,
  };
}

/** Runs `SELECT <version>, <select>` and returns the version with the rest of the row. */
export async function selectWithVersion<T>(reader: Reader, select: Fragment): Promise<{ version: Version; row: T }> {
  const result = (await reader.execute(sql`SELECT ${versionColumns}, ${select}`)) as unknown as {
    rows: (VersionRow & T)[];
  };
  const row = result.rows[0];
  return { version: versionOf(row), row: row as T };
}

async function readVersion(): Promise<Version> {
  const result = (await db.execute(sql`SELECT ${versionColumns}`)) as unknown as { rows: VersionRow[] };
  return versionOf(result.rows[0]);
}

let latest: Version | undefined;
let first: Promise<Version> | undefined;

// `ponder dev` rebuilds the API on edits; a generation number stops the previous build's loop.
const generation = (globalThis.DEKMESH_API_GENERATION = (globalThis.DEKMESH_API_GENERATION ?? 0) + 1);
void (async () => {
  while (globalThis.DEKMESH_API_GENERATION === generation) {
    try {
      latest = await readVersion();
    } catch {
      // Not ready yet, or shutting down: keep the last known version and try again.
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS).unref());
  }
})();

/** The version as of the last poll (≤ POLL_MS old); the first call waits for a read. */
export async function currentVersion(): Promise<Version> {
  if (latest) return latest;
  first ??= readVersion().finally(() => (first = undefined));
  return (latest = await first);
}
