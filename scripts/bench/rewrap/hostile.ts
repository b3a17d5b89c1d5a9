/**
 * Hostile traffic for bench:rewrap's hostile phase: what an unauthenticated client can send to
 * the public surfaces while readers rewrap — the indexer's most expensive SQL (a 4-way cross
 * join of the 1,000-row `content` table: 10^12 rows) and GraphQL (policy → contents → policy →
 * contents fan-out), and
 * validator metric scrapes. It runs on a worker thread (its own event loop), so its cost lands
 * on the servers, not on the validator's thread that hosts the bench.
 *
 * The answers are counted by status; a hostile request may well be refused (that is the
 * point), and never counts as a rewrap error.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";

export interface HostileTargets {
  indexerUrl: string;
  validatorUrl: string;
  /** Concurrent loops per kind of request. */
  concurrency: number;
  durationMs: number;
}

export interface HostileCounts {
  /** Answers by kind and HTTP status (0: no answer before the per-request deadline). */
  answers: Record<string, Record<string, number>>;
}

const SELF = new URL(`./hostile${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

const crossJoin = (table: string, ways: number): string =>
  `select count(*) from ${Array.from({ length: ways }, (_, i) => `"${table}" t${i}`).join(", ")}`;

const FANOUT_QUERY = `{ policys(limit: 1000) { items { contents(limit: 1000) { items { policy { contents(limit: 1000) { items { policy { contents(limit: 1000) { items { contentId } } } } } } } } } } }`;

/** Runs the hostile loops on a worker for `durationMs`; resolves with what was answered. */
export function runHostileTraffic(targets: HostileTargets): Promise<HostileCounts> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SELF, { workerData: targets, execArgv: process.execArgv });
    worker.once("message", (counts: HostileCounts) => resolve(counts));
    worker.once("error", reject);
    worker.once("exit", (code) => code !== 0 && reject(new Error(`hostile worker exited with ${code}`)));
  });
}

async function hostileLoops(targets: HostileTargets): Promise<HostileCounts> {
  const { default: superjson } = await import("superjson");
  const answers: HostileCounts["answers"] = { sql: {}, graphql: {}, metrics: {} };
  const sqlParam = encodeURIComponent(superjson.stringify({ sql: crossJoin("content", 4), params: [] }));
  const requests: Record<string, () => Promise<Response>> = {
    sql: () => fetch(`${targets.indexerUrl}/sql/db?sql=${sqlParam}`, { signal: AbortSignal.timeout(10_000) }),
    graphql: () =>
      fetch(`${targets.indexerUrl}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: FANOUT_QUERY }),
        signal: AbortSignal.timeout(10_000),
      }),
    metrics: () => fetch(`${targets.validatorUrl}/metrics`, { signal: AbortSignal.timeout(10_000) }),
  };
  const end = Date.now() + targets.durationMs;
  const loop = async (kind: string): Promise<void> => {
    while (Date.now() < end) {
      let status = "0";
      try {
        const response = await requests[kind]!();
        await response.arrayBuffer();
        status = String(response.status);
      } catch {
        // No answer in time (or the connection was refused): counted as status 0.
      }
      answers[kind]![status] = (answers[kind]![status] ?? 0) + 1;
    }
  };
  await Promise.all(Object.keys(requests).flatMap((kind) => Array.from({ length: targets.concurrency }, () => loop(kind))));
  return { answers };
}

if (!isMainThread && parentPort !== null) {
  hostileLoops(workerData as HostileTargets).then((counts) => parentPort!.postMessage(counts));
}
