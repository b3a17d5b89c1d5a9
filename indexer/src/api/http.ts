// Shared plumbing of the REST endpoints: the indexed head every response carries, JSON with
// bigints, and typed refusals.
import type { Context } from "hono";
import { db } from "ponder:api";
import { sql } from "ponder";
import { ApiError } from "../../lib/errors.js";

/** The latest block the indexer has processed: what a reader's staleness check compares with. */
export interface IndexedBlock {
  number: number;
  timestamp: number;
}

/**
 * Reads Ponder's checkpoint of the (single) chain. The encoded checkpoint starts with the
 * block timestamp (10 digits), then the chain id (16) and the block number (16); see
 * ponder/src/utils/checkpoint.ts.
 */
export async function readHead(): Promise<IndexedBlock> {
  const result = (await db.execute(sql`SELECT latest_checkpoint FROM _ponder_checkpoint LIMIT 1`)) as unknown as {
    rows: { latest_checkpoint: string }[];
  };
  const checkpoint = result.rows[0]?.latest_checkpoint;
  if (checkpoint === undefined) throw new ApiError(503, "not_ready", "the indexer has not indexed a block yet");
  return { number: Number(checkpoint.slice(26, 42)), timestamp: Number(checkpoint.slice(0, 10)) };
}

const replacer = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

/** A JSON response; uint64/uint256 values (bigints) become decimal strings. */
export function json(c: Context, body: object, status: 200 | 400 | 404 | 500 | 503 = 200): Response {
  return c.body(JSON.stringify(body, replacer), status, { "content-type": "application/json; charset=utf-8" });
}

/** `{ error: { code, message } }`, with the head when it can be read (a 404 may just mean "not yet"). */
export async function errorResponse(c: Context, error: unknown): Promise<Response> {
  const apiError =
    error instanceof ApiError ? error : new ApiError(500, "internal", "internal error while answering the request");
  if (!(error instanceof ApiError)) console.error(`REST ${c.req.method} ${c.req.path} failed`, error);
  let block: IndexedBlock | undefined;
  if (apiError.status !== 503) block = await readHead().catch(() => undefined);
  return json(c, { error: { code: apiError.code, message: apiError.message }, ...(block ? { block } : {}) }, apiError.status);
}
