/**
 * The rewrap bench's figures: percentiles and summaries of a load run, CPU time per process tree
 * from /proc, the native P-256 ceiling, and the command line.
 */
import { createECDH, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { LoadResult } from "./load.js";

/** `--profile <dir>`: a CPU profile of the validator's main thread during the session phase. */
export async function profileMainThread(): Promise<(file: string) => Promise<void>> {
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async (file) => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** CPU seconds so far of this process (validator + load worker) and of the chain's and the indexer's process trees (PostgreSQL's included). */
export function cpuSnapshot(pids: { chain: number; indexer: number; postgres: number | undefined }): { validator: number; chain: number; indexer: number } {
  const usage = process.cpuUsage();
  return {
    validator: (usage.user + usage.system) / 1e6,
    chain: processTreeCpuSeconds(pids.chain),
    indexer: processTreeCpuSeconds(pids.indexer) + (pids.postgres !== undefined ? processTreeCpuSeconds(pids.postgres) : 0),
  };
}

/**
 * CPU milliseconds each part spent per rewrap served between two snapshots: what bounds the
 * throughput when they all share the machine's cores (2,000 / total ms = rewraps/s on two).
 */
export function cpuPerRewrap(before: ReturnType<typeof cpuSnapshot>, after: ReturnType<typeof cpuSnapshot>, rewraps: number) {
  const per = (key: "validator" | "chain" | "indexer") => round2(((after[key] - before[key]) * 1_000) / Math.max(1, rewraps));
  const parts = { validator: per("validator"), indexer: per("indexer"), chain: per("chain") };
  return { ...parts, total: round2(parts.validator + parts.indexer + parts.chain) };
}

/**
 * utime + stime of process `root` and all its descendants, from /proc (USER_HZ is 100 on
 * Linux); 0 where /proc is absent. A tree, not a process group: PostgreSQL's backends each
 * call setsid(), so a group count would see none of them and under-report the indexer.
 */
function processTreeCpuSeconds(root: number): number {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^[0-9]+$/.test(name));
  } catch {
    return 0;
  }
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command (which may contain spaces) start at ") ": state ppid pgrp … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pid = Number(entry);
    const ppid = Number(fields[1]);
    ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    const siblings = children.get(ppid);
    if (siblings === undefined) children.set(ppid, [pid]);
    else siblings.push(pid);
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total / 100;
}

export function nativeCeiling(ms: number): number {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const message = randomBytes(32);
  const signature = sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
  const peer = createECDH("prime256v1");
  peer.generateKeys();
  const peerPublic = peer.getPublicKey(null, "compressed");
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (!verify("sha256", message, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature)) throw new Error("verify failed");
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    ecdh.computeSecret(peerPublic);
    n++;
  }
  return Math.round((n * 1_000) / (performance.now() - started));
}

export function summarize(result: LoadResult) {
  const sorted = Float64Array.from(result.latencies).sort();
  const seconds = result.elapsedMs / 1_000;
  return {
    ops_per_s: Math.round(result.completed / seconds),
    p50_ms: round1(percentile(sorted, 50)),
    p99_ms: round1(percentile(sorted, 99)),
    completed: result.completed,
    seconds: round1(seconds),
    errors: result.errors,
    statuses: result.statuses,
    exhausted: result.exhausted,
  };
}

/** p99 of each fifth of a phase's requests, in completion order: start-up shows in the first. */
export function p99ByFifth(result: LoadResult): number[] {
  const { latencies } = result;
  return [0, 1, 2, 3, 4].map((i) =>
    round1(percentile(latencies.slice(Math.floor((i * latencies.length) / 5), Math.floor(((i + 1) * latencies.length) / 5)).sort(), 99)),
  );
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  return percentile(Float64Array.from(values).sort(), 50);
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf("=");
    if (eq !== -1) out[arg.slice(2, eq)] = arg.slice(eq + 1);
    else out[arg.slice(2)] = argv[++i] ?? "";
  }
  return out;
}
