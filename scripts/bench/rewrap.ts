/**
 * `npm run bench:rewrap`: HTTP rewraps against one real validator on loopback.
 *
 * A Hardhat chain and a Ponder indexer (startStack), one validator started with
 * `startValidator` (store, chain clients + submitter, indexer client, p2p, rewrap service,
 * replication engine, HTTP API), a policy with one attribute rule (clearance ≥ secret), 1,000
 * contents registered with real NanoTDF headers encrypted to the validator's KAS key, ten readers
 * holding the attribute. Then, per crypto-worker setting (default 0 and 1, the validator
 * restarted on the same data directory in between):
 *
 *   1. session rewraps: 50 keep-alive connections, closed loop, ≥ `--seconds` (10), after 5 s
 *      of the same load to warm up;
 *   2. per-request EIP-712 rewraps: the same, `--eip712-seconds` (5);
 *   3. bulk: one session-signed bulk of 1,000 contents (cold), then three more (warm);
 *   4. hostile: the session load again, while a second client sends the indexer's most expensive
 *      public SQL and GraphQL and scrapes /metrics (./rewrap/hostile.ts): `hostile_p99_ms`,
 *      goal ≤ 2 × `session_p99_ms` (`hostile_p99_ratio`), and `hostile_errors` = 0.
 *
 * Every request is signed and serialized before the clock starts. The load generator runs on a
 * worker thread (its own event loop on the second core) and speaks minimal HTTP/1.1 over raw
 * sockets, so what it spends per request does not land on the validator's event loop. A sample
 * of answers is opened with the client key and checked against the DEK.
 *
 * The validator runs with the daemon's audit settings: each record is appended durably (fsync,
 * group commit) before its answer leaves, and full batches of 1,000 go on chain during the run, so
 * the chain and Ponder process thousands of audit events per second on the same two cores (their
 * CPU is in `cpu_ms_per_rewrap_*`). After each setting the bench waits for the outbox to drain and
 * checks the chain's batch counter against the store's: every rewrap served has its record on chain.
 *
 * During the session phase the bench also counts the CPU time each process spends per rewrap
 * (`cpu_ms_per_rewrap_*`: this process — the validator and the load worker —, the indexer's
 * processes with PostgreSQL's, and the chain's, from /proc): with everything on one machine,
 * 1,000 × cores / total is the throughput the machine can give, whichever part is optimized.
 *
 * `native_ceiling_ops_per_s` is raw node:crypto P-256 work of one session rewrap (one ECDSA
 * verify + one ECDH with a fresh key) per second on one core, measured at the start of the run.
 *
 *   npm run bench:rewrap -- [--seconds 10] [--eip712-seconds 5] [--workers 0,1] [--database postgres|pglite]
 *
 * The indexer runs on PostgreSQL when the machine has it (as a deployed indexer does), else on
 * PGlite; the JSON lines name the database.
 *
 * Last line: {"bench":"rewrap",...} for the recommended setting (the one with the higher session
 * throughput); the lines before it give every setting's figures.
 *
 * The phases are in ./rewrap/phases.ts, the load generator (and its worker) in ./rewrap/load.ts,
 * the figures in ./rewrap/figures.ts.
 */
import { createWriteStream } from "node:fs";
import { P256PrivateKey } from "../../node/crypto/keys/index.js";
import { RewrapHasher } from "../../node/crypto/keys/eip712.js";
import { createJsonLogger, DEFAULT_CONFIG, startValidator, silentLogger, type Validator } from "../../node/validator/index.js";
import { removeTempDirs } from "../../test/node/validator/helpers.js";
import { nativeCeiling, parseArgs } from "./rewrap/figures.js";
import { LoadGenerator } from "./rewrap/load.js";
import { createPolicyAndReaders, registerContents, runSetting, startStack, stopStack, type Stack } from "./rewrap/phases.js";

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seconds = Number(args.seconds ?? 10);
  const eip712Seconds = Number(args["eip712-seconds"] ?? 5);
  const workerSettings = (args.workers ?? "0,1").split(",").map(Number);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const ceiling = nativeCeiling(2_000);
  log(`native ceiling (node:crypto P-256 ECDSA verify + ECDH, one core): ${ceiling}/s`);

  log("starting chain + indexer …");
  const stack = await startStack(args.database, log);
  const { net } = stack;
  const loads = new LoadGenerator();
  let validator: Validator | undefined;
  try {
    await net.fundNode(0);
    // The daemon's own intervals and batch sizes (the test helper's are tuned for fast tests).
    const config = net.config(0, {
      audit: { ...DEFAULT_CONFIG.audit },
      replication: { ...DEFAULT_CONFIG.replication },
      holdings: { ...DEFAULT_CONFIG.holdings },
      cryptoWorkers: workerSettings[0]!,
    });
    // `--log <file>`: the validator's JSON log (info and up) for investigating a run.
    const logStream = args.log ? createWriteStream(args.log, { flags: "a" }) : undefined;
    const logger = logStream ? createJsonLogger({ level: "info", write: (line) => void logStream.write(line) }) : silentLogger;
    const start = async (cryptoWorkers: number): Promise<Validator> => startValidator({ ...config, cryptoWorkers }, { logger });
    validator = await start(workerSettings[0]!);
    const hasher = new RewrapHasher({ chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog });

    log("policy, readers, 1,000 contents …");
    const { policyId, readers } = await createPolicyAndReaders(net);
    const contents = await registerContents(net, validator, policyId);
    const corpus = { policyId, readers, contents, dekOf: new Map(contents.map((c) => [c.contentId, c.dek])) };

    const settings: Record<string, number | number[]>[] = [];
    let nonce = BigInt(Date.now()) * 1_000_000n;
    const nextNonce = (): bigint => nonce++;
    const clientKey = P256PrivateKey.generate();
    for (const [round, cryptoWorkers] of workerSettings.entries()) {
      if (round > 0) {
        await validator.stop();
        validator = await start(cryptoWorkers);
      }
      settings.push(await runSetting({ stack, validator, cryptoWorkers, corpus, hasher, clientKey, nextNonce, loads, seconds, eip712Seconds, profile: args.profile, log }));
    }
    report(settings, ceiling, stack, log);
  } finally {
    await loads.terminate();
    await validator?.stop().catch(() => {});
    await stopStack(stack);
    removeTempDirs();
  }
}

/** One line per setting, then the recommended setting's line (the one with the higher session throughput). */
function report(settings: Record<string, number | number[]>[], ceiling: number, { database }: Stack, log: (line: string) => void): void {
  for (const setting of settings) console.log(JSON.stringify({ bench: "rewrap-setting", ...setting, native_ceiling_ops_per_s: ceiling, database }));
  const best = settings.reduce((a, b) => (b.session_ops_per_s! > a.session_ops_per_s! ? b : a));
  log(`recommended cryptoWorkers default on this machine: ${best.crypto_workers}`);
  console.log(
    JSON.stringify({
      bench: "rewrap",
      session_ops_per_s: best.session_ops_per_s,
      session_p50_ms: best.session_p50_ms,
      session_p99_ms: best.session_p99_ms,
      hostile_p99_ms: best.hostile_p99_ms,
      hostile_p99_ratio: best.hostile_p99_ratio,
      hostile_errors: best.hostile_errors,
      eip712_ops_per_s: best.eip712_ops_per_s,
      bulk1000_ms: best.bulk1000_ms,
      errors: best.errors,
      native_ceiling_ops_per_s: ceiling,
      database,
    }),
  );
}
