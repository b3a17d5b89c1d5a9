import fs from "node:fs";
import path from "node:path";
import { DevnetError } from "./errors.js";
import { releaseStalePonderLock } from "./pglite.js";
import { freePort, LOOPBACK } from "./ports.js";
import { INDEXER_ROOT, PONDER_CLI } from "./paths.js";
import { loggedSince, logOffset, startProcess, waitFor, type ManagedProcess } from "./process.js";
import { rpcRequest } from "./rpc.js";
import type { ChainHandle } from "./chain.js";
import type { DevnetDeployment } from "./deploy.js";

export interface StartIndexerOptions {
  /** Run directory: the log goes to `<dir>/indexer.log`, PGlite to `<dir>/pglite` by default. */
  dir: string;
  port?: number;
  /** Postgres instead of PGlite. */
  databaseUrl?: string;
  /**
   * PGlite directory; reuse one to restart on the same database (only after the indexer that
   * used it has stopped: its stale schema lock is cleared). Default `<dir>/pglite`.
   */
  pgliteDir?: string;
  /** Database schema Ponder writes to (`ponder start --schema`). Default "public". */
  schema?: string;
  /** How long the historical backfill may take before `startIndexer` gives up. Default 120 s. */
  timeoutMs?: number;
  /** Ponder log level. Default "info". */
  logLevel?: "error" | "warn" | "info" | "debug" | "trace";
  /** Extra environment (e.g. DEKMESH_POLLING_INTERVAL_MS). */
  env?: Record<string, string>;
}

/** The indexed head every REST response carries. */
export interface IndexedHead {
  number: number;
  timestamp: number;
}

export interface IndexerHandle {
  /** Base URL of the HTTP API (REST, /graphql, /sql, /status, /ready). */
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
  readonly pgliteDir: string | undefined;
  readonly process: ManagedProcess;
  /** The latest indexed block per Ponder's /status (undefined before the first one). */
  head(): Promise<IndexedHead | undefined>;
  /** Waits until the indexer has processed block `number` (default timeout 30 s). */
  waitForBlock(number: number | bigint, timeoutMs?: number): Promise<IndexedHead>;
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 3;

/**
 * Starts `ponder start` for the indexer against `chain` and `deployment`, and waits until the
 * historical backfill is done (/ready answers 200) and the chain's head at that moment is indexed.
 */
export async function startIndexer(
  chain: Pick<ChainHandle, "url" | "chainId">,
  deployment: Pick<DevnetDeployment, "file">,
  options: StartIndexerOptions,
): Promise<IndexerHandle> {
  fs.mkdirSync(options.dir, { recursive: true });
  const logFile = path.join(options.dir, "indexer.log");
  const pgliteDir = options.databaseUrl ? undefined : (options.pgliteDir ?? path.join(options.dir, "pglite"));
  if (pgliteDir) await releaseStalePonderLock(pgliteDir, options.schema);
  // Ponder says which port it bound at level info (JSON log); at a quieter level nothing proves
  // the port is ours (process.ts, loggedSince), so the probe trusts whoever answers.
  const logLevel = options.logLevel ?? "info";
  const announcesPort = ["trace", "debug", "info"].includes(logLevel);
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port ? 1 : PORT_ATTEMPTS); attempt++) {
    const port = options.port ?? (await freePort());
    const url = `http://${LOOPBACK}:${port}`;
    const logStart = logOffset(logFile);
    const child = startProcess({
      name: "ponder",
      command: process.execPath,
      args: [
        PONDER_CLI,
        "--root",
        INDEXER_ROOT,
        "--log-format",
        "json",
        "--log-level",
        logLevel,
        "start",
        "--schema",
        options.schema ?? "public",
        "--port",
        String(port),
        "--hostname",
        LOOPBACK,
      ],
      // Ponder's GraphQL middleware writes generated/schema.graphql into its working directory;
      // keep that in the run directory rather than the repository.
      cwd: options.dir,
      env: {
        ...process.env,
        ...options.env,
        PONDER_TELEMETRY_DISABLED: "true",
        DEKMESH_RPC_URL: chain.url,
        DEKMESH_CHAIN_ID: String(chain.chainId),
        DEKMESH_DEPLOYMENT: deployment.file,
        DATABASE_URL: options.databaseUrl ?? "",
        DATABASE_PRIVATE_URL: "",
        DEKMESH_PGLITE_DIR: pgliteDir ?? "",
      },
      logFile,
    });
    const handle = makeHandle(url, port, logFile, pgliteDir, child);
    try {
      const outcome = await waitFor(
        async () => {
          if (announcesPort) {
            // Ponder does not exit when its port is taken: it moves on to the next one.
            if (loggedSince(logFile, logStart, '"msg":"Port in use"')) return "port in use";
            if (!loggedSince(logFile, logStart, `"msg":"Created HTTP server","port":${port},`)) return undefined;
          }
          const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5000) });
          await response.body?.cancel();
          return response.status === 200 ? "ready" : undefined;
        },
        { timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 100, process: child, what: `ponder on ${url} to be ready` },
      );
      if (outcome === "port in use") throw new DevnetError("PORT_IN_USE", `port ${port} is taken by another process`, { logFile });
      // /ready means the backfill is done; the blocks mined meanwhile follow within a poll or two.
      const chainHead = Number(await rpcRequest<string>(chain.url, "eth_blockNumber", []));
      await handle.waitForBlock(chainHead, 30_000);
      return handle;
    } catch (error) {
      lastError = error;
      await child.stop();
      // Retry only a lost port race.
      if (!(error instanceof DevnetError) || error.code !== "PORT_IN_USE") throw error;
    }
  }
  throw lastError;
}

function makeHandle(
  url: string,
  port: number,
  logFile: string,
  pgliteDir: string | undefined,
  child: ManagedProcess,
): IndexerHandle {
  const head = async (): Promise<IndexedHead | undefined> => {
    const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) {
      throw new DevnetError("REQUEST_FAILED", `GET /status: HTTP ${response.status}`, { logFile });
    }
    const status = (await response.json()) as Record<string, { block?: IndexedHead }>;
    return Object.values(status)[0]?.block;
  };
  return {
    url,
    port,
    logFile,
    pgliteDir,
    process: child,
    head,
    waitForBlock: (number, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          const h = await head();
          return h && h.number >= Number(number) ? h : undefined;
        },
        { timeoutMs, intervalMs: 25, process: child, what: `the indexer to reach block ${number}` },
      ),
    stop: async () => {
      // Ponder shuts down within 5 s of SIGTERM (and PGlite must be closed cleanly to reopen).
      await child.stop({ timeoutMs: 15_000 });
    },
  };
}
