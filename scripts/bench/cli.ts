/**
 * CLI start-up benchmark: how long `dekmesh` takes as people run it (bin/dekmesh, a new process
 * each time) for `--help`, a usage error (`holders 0xzz`) and `holders <cid>` against a devnet
 * this script starts (chain, indexer, 2 validators) with one content uploaded through the CLI.
 * `node -e 0` on the same Node binary is measured in the same rounds, so the figures compare
 * under the same machine load: each round runs the four once, in turn; the figures are medians
 * of ROUNDS rounds in milliseconds. Goals (docs/benchmarks.md): help_ms and usage_error_ms at
 * most 3 × node_startup_ms, holders_ms at most 1,000. The last line printed is the JSON summary.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDevnet, writeEndpoints } from "../../node/devnet/index.js";
import { REPO_ROOT } from "../../node/devnet/paths.js";

const ROUNDS = 10;
const BIN = path.join(REPO_ROOT, "bin", "dekmesh");
const NODE = path.join(REPO_ROOT, "node_modules", "node", "bin", "node");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `file args`, resolves to its wall time in ms; `expectCode` is the exit code it must end with. */
function timed(file: string, args: string[], env: NodeJS.ProcessEnv, expectCode: number): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const ms = performance.now() - start;
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      if (code !== expectCode) reject(new Error(`${path.basename(file)} ${args.join(" ")} exited ${code} (expected ${expectCode}): ${stderr}`));
      else resolve({ ms, stdout });
    });
  });
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "node", "cli", "main.js"))) throw new Error("no compiled CLI: run npm run build first");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-bench-cli-"));
  console.error("starting a devnet (chain, indexer, 2 validators)…");
  const devnet = await startDevnet({ dir, removeDir: false, validators: 2, logLevel: "warn", ipfs: false });
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEKMESH_")));
    env.DEKMESH_ENDPOINTS = writeEndpoints(dir, devnet.endpoints);
    const file = path.join(dir, "hello.txt");
    fs.writeFileSync(file, "hello dekmesh\n");
    const cid = (await timed(BIN, ["upload", file], env, 0)).stdout.trim();
    console.error(`uploaded ${cid}; ${ROUNDS} rounds`);
    const samples = { node: [] as number[], help: [] as number[], usage: [] as number[], holders: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      samples.node.push((await timed(NODE, ["-e", "0"], env, 0)).ms);
      samples.help.push((await timed(BIN, ["--help"], env, 0)).ms);
      samples.usage.push((await timed(BIN, ["holders", "0xzz"], env, 1)).ms);
      samples.holders.push((await timed(BIN, ["holders", cid], env, 0)).ms);
    }
    const round1 = (v: number) => Math.round(v * 10) / 10;
    const summary = {
      bench: "cli",
      help_ms: round1(median(samples.help)),
      usage_error_ms: round1(median(samples.usage)),
      holders_ms: round1(median(samples.holders)),
      node_startup_ms: round1(median(samples.node)),
      rounds: ROUNDS,
    };
    console.error(`help ${summary.help_ms} ms, usage error ${summary.usage_error_ms} ms, holders ${summary.holders_ms} ms, node -e 0 ${summary.node_startup_ms} ms`);
    console.log(JSON.stringify(summary));
  } finally {
    await devnet.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
