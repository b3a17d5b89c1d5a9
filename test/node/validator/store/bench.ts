/**
 * Store benchmark (not a test): npx node --import tsx test/node/validator/store/bench.ts [seconds]
 * Prints one JSON line per measurement and a summary line last.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DekStore, type Hex } from "../../../../node/validator/store/index.js";

const SECONDS = Number(process.argv[2] ?? 3);
const root = mkdtempSync(join(tmpdir(), "dekmesh-store-bench-"));
let dirs = 0;
const open = (synchronous: "full" | "normal" = "full") =>
  DekStore.open({ directory: join(root, String(dirs++)), storageKey: randomBytes(32), synchronous });
const hex = (text: string): Hex => `0x${createHash("sha256").update(text).digest("hex")}`;
const requester = hex("reader").slice(0, 42) as Hex;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** `workers` loops each awaiting `op` for SECONDS; returns ops/s and latency percentiles. */
async function closedLoop(workers: number, op: (n: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let n = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op(n++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops_per_s: Math.round(latencies.length / elapsed), p50_ms: +percentile(latencies, 50).toFixed(3), p99_ms: +percentile(latencies, 99).toFixed(3) };
}

const results: Record<string, number> = {};
function emit(name: string, data: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: `store.${name}`, ...data }));
}

for (const synchronous of ["full", "normal"] as const) {
  for (const workers of [1, 50]) {
    const store = open(synchronous);
    const before = store.stats().commits;
    const r = await closedLoop(workers, (n) => store.appendAudit({ contentId: hex(`c${n % 1000}`), requester, requestDigest: hex(`d${n}`), servedAt: 1_800_000_000 }));
    const commits = store.stats().commits - before;
    emit("appendAudit", { synchronous, concurrency: workers, ...r, records_per_commit: +(r.ops_per_s * SECONDS / commits).toFixed(1) });
    results[`appendAudit_${synchronous}_c${workers}_per_s`] = r.ops_per_s;
    store.close();
  }
}

{
  const store = open();
  for (const workers of [1, 20]) {
    const r = await closedLoop(workers, (n) => store.putDek(hex(`w${workers}:${n}`), randomBytes(32), { policyId: 1n, mode: "stake", source: "replicated" }));
    emit("putDek", { synchronous: "full", concurrency: workers, ...r });
    results[`putDek_c${workers}_per_s`] = r.ops_per_s;
  }
  const ids = Array.from({ length: 10_000 }, (_, i) => hex(`get${i}`));
  await Promise.all(ids.map((id) => store.putDek(id, randomBytes(32), { policyId: 1n, mode: "stake", source: "replicated" })));
  let gets = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) for (let k = 0; k < 1000; k++) store.getDek(ids[(gets++ * 7919) % ids.length]!);
  results.getDek_per_s = Math.round(gets / ((performance.now() - start) / 1000));
  emit("getDek", { ops_per_s: results.getDek_per_s, deks: store.stats().deks });

  let nonces = 0;
  const nonceStart = performance.now();
  while (performance.now() - nonceStart < SECONDS * 1000) {
    for (let k = 0; k < 1000; k++) store.rememberNonce(requester, BigInt(nonces++), 4_000_000_000);
    await new Promise((resolve) => setImmediate(resolve)); // let the group commit run
  }
  results.rememberNonce_per_s = Math.round(nonces / ((performance.now() - nonceStart) / 1000));
  emit("rememberNonce", { ops_per_s: results.rememberNonce_per_s });

  // Backup cost: VACUUM INTO blocks the event loop while it copies.
  await Promise.all(Array.from({ length: 100_000 }, (_, i) => store.putDek(hex(`bulk${i}`), randomBytes(32), { policyId: 1n, mode: "stake", source: "replicated" })));
  const t = performance.now();
  const { bytes } = store.backup(join(root, "backup.sqlite"));
  const ms = performance.now() - t;
  emit("backup", { deks: store.stats().deks, bytes, ms: Math.round(ms), mb_per_s: Math.round(bytes / 1e6 / (ms / 1000)) });
  results.backup_ms_per_100k_deks = Math.round((ms * 100_000) / store.stats().deks);
  store.close();
}

rmSync(root, { recursive: true, force: true });
console.log(JSON.stringify({ bench: "store", seconds: SECONDS, ...results }));
