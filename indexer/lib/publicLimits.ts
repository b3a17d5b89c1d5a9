// What a caller of the indexer's query surfaces (SQL over HTTP, GraphQL) may cost it. The REST
// endpoints the validators read run on the same database handle — on PGlite the same thread —
// so every public query is held to limits that keep those reads answering (docs/operations.md).

/** SQL over HTTP (`/sql/db`, `/sql/live`). */
export interface SqlLimits {
  /** `DEKMESH_PUBLIC_SQL=off` turns `/sql/*` off (403 `sql_disabled`). */
  enabled: boolean;
  /** Largest planner cost estimate (`EXPLAIN`'s total cost) a statement may have. */
  maxCost: number;
  /** Postgres only: `SET LOCAL statement_timeout` of a public statement, in ms (PGlite cannot interrupt one). */
  timeoutMs: number;
  /** Live queries open at once. */
  maxLive: number;
  /** Longest SQL text (Ponder's own parser refuses longer ones too). */
  maxTextLength: number;
  /** Longest string constant or string parameter (a LIKE pattern costs its length per row). */
  maxStringLength: number;
  /** A view is read in pages of at most this many rows (LIMIT + OFFSET). */
  maxViewRows: number;
  /** Most bound parameters, and most elements of an array parameter or `IN` list. */
  maxParams: number;
}

/** GraphQL (`POST /graphql`). Rows and statements are upper bounds computed from the query text. */
export interface GraphqlLimits {
  /** Largest request body, in bytes (a validator's bulk policy lookup sends 1,000 content ids: ~70 KB). */
  maxBodyBytes: number;
  /** Deepest field nesting (`contents { items { contentId } }` is 3). */
  maxDepth: number;
  /** Most rows the query may read: every list field's limit + offset, times the lists it is nested in. */
  maxRows: number;
  /** Most SQL statements: a list nested in a list runs one statement per parent row. */
  maxStatements: number;
  /** Largest `offset` (an offset is read and thrown away). */
  maxOffset: number;
  /** A view's list is read in pages of at most this many rows (limit + offset). */
  maxViewRows: number;
  /** Most tokens in the query text (Ponder's GraphQL refuses more too; it also allows at most 30 aliases). */
  maxTokens: number;
}

/** How many public queries run at once, and how long the others may wait for their turn. */
export interface GateLimits {
  concurrency: number;
  maxQueued: number;
  maxWaitMs: number;
}

export interface PublicLimits {
  sql: SqlLimits;
  graphql: GraphqlLimits;
  gate: GateLimits;
  /** Requests per client address and second over GraphQL and SQL together (src/api/rateLimit.ts); 0 = no rate. */
  ratePerSecond: number;
}

export const DEFAULT_SQL_LIMITS: SqlLimits = {
  enabled: true,
  maxCost: 2_000,
  timeoutMs: 2_000,
  maxLive: 32,
  maxTextLength: 5_000,
  maxStringLength: 128,
  maxViewRows: 5_000,
  maxParams: 1_000,
};

export const DEFAULT_GRAPHQL_LIMITS: GraphqlLimits = {
  maxBodyBytes: 256 * 1024,
  maxDepth: 6,
  maxRows: 5_000,
  maxStatements: 60,
  maxOffset: 10_000,
  maxViewRows: 5_000,
  maxTokens: 1_000,
};

export const DEFAULT_GATE_LIMITS: GateLimits = { concurrency: 1, maxQueued: 64, maxWaitMs: 5_000 };

export const DEFAULT_RATE_PER_SECOND = 50;

export class PublicLimitsError extends Error {
  override readonly name = "PublicLimitsError";
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^[1-9]\d{0,9}$/.test(raw)) throw new PublicLimitsError(`${name} must be a positive integer`);
  return Number(raw);
}

function nonNegative(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^(0|[1-9]\d{0,9})$/.test(raw)) throw new PublicLimitsError(`${name} must be a non-negative integer`);
  return Number(raw);
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "on") return true;
  if (raw === "off") return false;
  throw new PublicLimitsError(`${name} must be "on" or "off"`);
}

/**
 * The limits, from `DEKMESH_PUBLIC_SQL`, `DEKMESH_SQL_MAX_COST`, `DEKMESH_SQL_TIMEOUT_MS`,
 * `DEKMESH_SQL_MAX_LIVE` and `DEKMESH_PUBLIC_RATE`.
 */
export function loadPublicLimits(env: NodeJS.ProcessEnv): PublicLimits {
  return {
    sql: {
      ...DEFAULT_SQL_LIMITS,
      enabled: onOff(env, "DEKMESH_PUBLIC_SQL", DEFAULT_SQL_LIMITS.enabled),
      maxCost: positive(env, "DEKMESH_SQL_MAX_COST", DEFAULT_SQL_LIMITS.maxCost),
      timeoutMs: positive(env, "DEKMESH_SQL_TIMEOUT_MS", DEFAULT_SQL_LIMITS.timeoutMs),
      maxLive: positive(env, "DEKMESH_SQL_MAX_LIVE", DEFAULT_SQL_LIMITS.maxLive),
    },
    graphql: DEFAULT_GRAPHQL_LIMITS,
    gate: DEFAULT_GATE_LIMITS,
    ratePerSecond: nonNegative(env, "DEKMESH_PUBLIC_RATE", DEFAULT_RATE_PER_SECOND),
  };
}
