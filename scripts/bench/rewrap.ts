/**
 * `npm run bench:rewrap` (issue 5): HTTP rewraps against one real validator on loopback.
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
 *   3. bulk: one session-signed bulk of 1,000 contents (cold), then three more (warm).
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
 */
import { createECDH, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import type { Hex } from "viem";
import type { P256PrivateKey as P256Key } from "../../node/crypto/keys/index.js";
import type { SignedSessionGrant } from "../../node/validator/rewrap/index.js";
import type { Validator } from "../../node/validator/index.js";

interface LoadJob {
  url: string;
  /** Complete HTTP requests, back to back. */
  buffer: ArrayBuffer;
  /** offsets[i]..offsets[i+1] is request i. */
  offsets: Uint32Array;
  concurrency: number;
  /** Stop sending after this long (requests left over are not sent). */
  durationMs: number;
  /** Bodies of the first answers, returned for checking. */
  samples: number;
}

interface LoadResult {
  /** ms, in completion order. */
  latencies: Float64Array;
  completed: number;
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  /** The load generator's event-loop utilization (near 1 = the client was the bottleneck). */
  clientBusy: number;
  exhausted: boolean;
  samples: string[];
}

// --------------------------------------------------------------------------------- load worker

/** Closed-loop load: each connection sends its next request as soon as the previous answer is in. */
async function runLoad(job: LoadJob): Promise<LoadResult> {
  const { hostname, port } = new URL(job.url);
  const requests = new Uint8Array(job.buffer);
  const count = job.offsets.length - 1;
  const latencies = new Float64Array(count);
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  let completed = 0;
  let errors = 0;
  let next = 0;
  let active = job.concurrency;
  let lastDone = 0;

  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port), noDelay: true });
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
    });
  const sockets = await Promise.all(Array.from({ length: job.concurrency }, open));
  const elu = performance.eventLoopUtilization();
  const started = performance.now();

  return new Promise((resolve) => {
    const finish = (): void => {
      if (--active > 0) return;
      for (const s of sockets) s.destroy();
      resolve({
        latencies: latencies.slice(0, completed),
        completed,
        errors,
        statuses,
        elapsedMs: lastDone - started,
        clientBusy: performance.eventLoopUtilization(elu).utilization,
        exhausted: next >= count,
        samples,
      });
    };
    sockets.forEach((first, c) => {
      let socket = first;
      let buffered: Buffer | undefined;
      let sentAt = 0;
      let done = false;
      const send = (): void => {
        if (next >= count || performance.now() - started >= job.durationMs) {
          done = true;
          finish();
          return;
        }
        const i = next++;
        sentAt = performance.now();
        socket.write(requests.subarray(job.offsets[i]!, job.offsets[i + 1]!));
      };
      const onData = (chunk: Buffer): void => {
        buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk]);
        const headEnd = buffered.indexOf("\r\n\r\n");
        if (headEnd === -1) return;
        const head = buffered.toString("latin1", 0, headEnd);
        const length = /content-length: *([0-9]+)/i.exec(head);
        const total = headEnd + 4 + Number(length?.[1] ?? 0);
        if (buffered.length < total) return;
        const now = performance.now();
        const status = head.slice(9, 12);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== "200") errors++;
        if (samples.length < job.samples) samples.push(buffered.toString("utf8", headEnd + 4, total));
        latencies[completed++] = now - sentAt;
        lastDone = now;
        buffered = undefined;
        send();
      };
      const attach = (s: Socket): void => {
        s.on("data", onData);
        s.on("error", () => {});
        s.on("close", () => {
          if (done) return;
          // The server cut the connection mid-request: an error; carry on over a new one.
          errors++;
          buffered = undefined;
          open().then(
            (fresh) => {
              socket = fresh;
              sockets[c] = fresh;
              attach(fresh);
              send();
            },
            () => {
              done = true;
              finish();
            },
          );
        });
      };
      attach(socket);
      send();
    });
  });
}

// No top-level await: a worker whose module is still evaluating reports a fully busy event loop.
if (!isMainThread) {
  parentPort!.on("message", (job: LoadJob) => {
    void runLoad(job).then((result) => parentPort!.postMessage(result, [result.latencies.buffer as ArrayBuffer]));
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

// --------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const { join } = await import("node:path");
  const { createWalletClient, http, keccak256, toHex } = await import("viem");
  const { hardhat } = await import("viem/chains");
  const { CID } = await import("multiformats/cid");
  const { sha256 } = await import("multiformats/hashes/sha2");
  const { CONTRACT_ABIS } = await import("../../node/chain/abis.js");
  const { devAccount, findPostgresBinaries, rpcRequest, startPostgres } = await import("../../node/devnet/index.js");
  const { unwrapRewrap } = await import("../../node/crypto/envelopes/index.js");
  const { P256PrivateKey } = await import("../../node/crypto/keys/index.js");
  const { signHash } = await import("../../node/crypto/keys/ethereum.js");
  const {
    bulkItemDigest,
    decodeBulkAnswer,
    decodeRewrapAnswer,
    encodeBulkRequest,
    encodeRewrapRequest,
    encodeSessionGrant,
    hexToBytes,
    MAX_BULK_ANSWER_BYTES,
    RewrapHasher,
  } = await import("../../node/validator/rewrap/index.js");
  const { createNanoTdfHeader } = await import("../../node/crypto/tdf/index.js");
  const { createJsonLogger, DEFAULT_CONFIG, startValidator, silentLogger } = await import("../../node/validator/index.js");
  const { createWriteStream } = await import("node:fs");
  const { Net, removeTempDirs } = await import("../../test/node/validator/helpers.js");

  const args = parseArgs(process.argv.slice(2));
  const seconds = Number(args.seconds ?? 10);
  const eip712Seconds = Number(args["eip712-seconds"] ?? 5);
  const workerSettings = (args.workers ?? "0,1").split(",").map(Number);
  const CONCURRENCY = 50;
  const CONTENTS = 1_000;
  const READERS = 10;
  /** Contents the single-rewrap phases cycle through (all under the one policy). */
  const HOT_CONTENTS = 100;
  /**
   * Load before each setting's session clock starts: the validator has just been (re)started
   * and its crypto worker is a fresh isolate. In A/B runs of 5-s phases after a warm-up of
   * 2,000 requests (~0.4 s), the first phase had the worst p99 in each of four runs (27.7–33.4
   * ms against medians of 24–26, 2026-11-24).
   */
  const WARMUP_SECONDS = 5;
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const ceiling = nativeCeiling(2_000);
  log(`native ceiling (node:crypto P-256 ECDSA verify + ECDH, one core): ${ceiling}/s`);

  log("starting chain + indexer …");
  // Ponder on a throwaway PostgreSQL server — what a deployed indexer uses (README, testnet) —
  // when this machine has PostgreSQL, else on PGlite, the devnet's default; `--database` picks.
  // On PGlite the indexer cost 0.84–1.03 ms of CPU per rewrap on the validator's cores, on
  // PostgreSQL 0.16–0.18 ms (docs/http.md). The server's processes count as the indexer's CPU.
  const database = args.database ?? (findPostgresBinaries() ? "postgres" : "pglite");
  if (database !== "postgres" && database !== "pglite") throw new Error("--database is pglite or postgres");
  log(`indexer database: ${database}`);
  const postgresDir = database === "postgres" ? mkdtempSync(join(tmpdir(), "dekmesh-bench-pg-")) : undefined;
  const postgres = postgresDir ? await startPostgres({ dir: postgresDir }) : undefined;
  const net = await Net.start(postgres ? { indexer: { databaseUrl: postgres.url } } : {});
  let validator: Validator | undefined;
  let loadWorker: Worker | undefined;
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

    // ---- policy with one attribute rule, readers holding the attribute
    log("policy, readers, 1,000 contents …");
    const publisher = devAccount(3);
    await net.send(publisher, "AttributeRegistry", "createNamespace", ["clearance", 2, ["top", "secret", "public"]]);
    const clearance = keccak256(toHex("clearance"));
    const policyReceipt = await net.send(publisher, "PolicyRegistry", "createPolicy", [
      { requirements: [{ namespace: clearance, value: 1 }], allowlist: [], notBefore: 0n, notAfter: 0n, mode: 0, k: 0, explicitMembers: [] },
    ]);
    void policyReceipt;
    const policyId = await net.read<bigint>("PolicyRegistry", "policyCount", []);
    const readers = Array.from({ length: READERS }, (_, i) => devAccount(4 + i));
    for (const reader of readers) await net.send(publisher, "AttributeRegistry", "grant", [clearance, reader.address, 1, 0n]);

    // ---- contents: real headers to the validator's KAS key, queued with automining off and
    // mined a few hundred per block (one block per transaction would take Ponder minutes).
    const kas = validator.store.currentKasKey()!;
    const wallet = createWalletClient({ chain: hardhat, transport: http(net.stack.chain.url), account: publisher });
    let txNonce = await net.public.getTransactionCount({ address: publisher.address, blockTag: "pending" });
    const contents: { contentId: Hex; dek: Uint8Array }[] = [];
    const hashes: Hex[] = [];
    await rpcRequest(net.stack.chain.url, "evm_setAutomine", [false]);
    try {
      for (let i = 0; i < CONTENTS; i++) {
        const { header, dek } = createNanoTdfHeader({ kasPublicKey: kas.publicKey, locator: validator.httpUrl, policyId });
        const cid = CID.create(1, 0x55, await sha256.digest(randomBytes(64)));
        contents.push({ contentId: keccak256(cid.bytes), dek });
        hashes.push(
          await wallet.writeContract({
            address: net.addresses.ContentRegistry,
            abi: CONTRACT_ABIS.ContentRegistry as never,
            functionName: "register",
            args: [toHex(cid.bytes), policyId, validator.address, toHex(header.bytes), "0x"],
            nonce: txNonce++,
            gas: 1_000_000n,
          } as never),
        );
      }
    } finally {
      await rpcRequest(net.stack.chain.url, "evm_setAutomine", [true]);
    }
    while ((await net.public.getTransactionCount({ address: publisher.address, blockTag: "latest" })) < txNonce) {
      await rpcRequest(net.stack.chain.url, "evm_mine", []);
    }
    for (const hash of hashes) {
      const receipt = await net.public.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      if (receipt.status !== "success") throw new Error("a registration reverted");
    }
    // Ponder has many events to catch up on; wait for it rather than time out.
    for (let tries = 0; ; tries++) {
      try {
        await net.synced();
        break;
      } catch (error) {
        if (tries >= 10) throw error;
      }
    }

    const settings: Record<string, number | number[]>[] = [];
    let nonce = BigInt(Date.now()) * 1_000_000n;
    const nowS = (): number => Math.floor(Date.now() / 1000);
    const clientKey = P256PrivateKey.generate();
    const dekOf = new Map(contents.map((c) => [c.contentId, c.dek]));

    for (const [round, cryptoWorkers] of workerSettings.entries()) {
      if (round > 0) {
        await validator.stop();
        validator = await start(cryptoWorkers);
      }
      const url = validator.httpUrl;
      // The validator derives these DEKs from the headers itself once the registrations are
      // confirmed; storing the same DEKs now just spares the bench that wait.
      for (const c of contents) await validator.store.putDek(c.contentId, c.dek, { policyId, mode: "all", source: "initial" });
      await validator.replication.waitIdle({ timeoutMs: 120_000 }).catch((error: unknown) => log(`replication not idle: ${String(error)}`));

      // ---- sessions: one per connection, registered before the clock (POST /v1/session)
      const sessions: { key: P256Key; grant: SignedSessionGrant }[] = [];
      for (let c = 0; c < CONCURRENCY; c++) {
        const reader = readers[c % READERS]!;
        const key = P256PrivateKey.generate();
        const unsigned = { account: reader.address.toLowerCase() as Hex, sessionPublicKey: key.publicKey, expiry: nowS() + 3_600, nonce: nonce++ };
        const grant = { ...unsigned, signature: signHash(reader.getHdKey().privateKey!, hasher.grant(unsigned)) };
        const response = await fetch(`${url}/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: encodeSessionGrant(grant) });
        if (response.status !== 200) throw new Error(`session refused: ${response.status} ${await response.text()}`);
        sessions.push({ key, grant });
      }

      const sessionRequest = (i: number): string => {
        const session = sessions[i % CONCURRENCY]!;
        const request = { contentId: contents[i % HOT_CONTENTS]!.contentId, clientPublicKey: clientKey.publicKey, nonce: nonce++, expiry: nowS() + 240 };
        return encodeRewrapRequest({ request, auth: { kind: "session", grant: session.grant, signature: session.key.sign(hasher.request(request)) } });
      };
      const accountRequest = (i: number): string => {
        const reader = readers[i % READERS]!;
        const request = { contentId: contents[i % HOT_CONTENTS]!.contentId, clientPublicKey: clientKey.publicKey, nonce: nonce++, expiry: nowS() + 240 };
        const signature = signHash(reader.getHdKey().privateKey!, hasher.request(request));
        return encodeRewrapRequest({ request, auth: { kind: "account", account: reader.address.toLowerCase() as Hex, signature } });
      };
      const checkSingle = (samples: string[]): void => {
        for (const body of samples) {
          const answer = decodeRewrapAnswer(body);
          const dek = unwrapRewrap({ envelope: answer.envelope, clientPrivateKey: clientKey, requestDigest: hexToBytes(answer.requestDigest) });
          if (Buffer.compare(Buffer.from(dek), Buffer.from(dekOf.get(answer.contentId)!)) !== 0) throw new Error("an answer did not open to the DEK");
        }
      };

      /**
       * Before a phase's clock starts: the audit records of what came before are on chain and
       * indexed. The lane cannot send while this thread signs a phase's requests, so otherwise
       * the warm-up's records (70 batches) went out, and Ponder indexed them, in the phase's
       * first seconds.
       */
      const quiesce = async (): Promise<void> => {
        await validator!.submitter.flush();
        await net.synced();
      };

      // What the validator spends with no client at all (replication passes, submitter, p2p).
      const idleElu = performance.eventLoopUtilization();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      log(`[workers ${cryptoWorkers}] validator main thread busy while idle: ${round2(performance.eventLoopUtilization(idleElu).utilization)}`);

      // ---- warm-up (JIT, caches, connections), then the session phase
      await load(url, encodeRequests("/v1/rewrap", build(Math.ceil(WARMUP_SECONDS * 7_000), sessionRequest)), CONCURRENCY, WARMUP_SECONDS * 1_000, 0);
      log(`[workers ${cryptoWorkers}] signing session requests …`);
      // Encoded before the profile and the utilization window start: only the validator's work is in them.
      const sessionLoad = encodeRequests("/v1/rewrap", build(Math.ceil(seconds * 7_000), sessionRequest));
      await quiesce();
      const stopProfile = args.profile ? await profileMainThread() : undefined;
      const mainElu = performance.eventLoopUtilization();
      const indexerBefore = validator.indexer.stats();
      const cpuBefore = cpuSnapshot();
      const batchBefore = validator.store.nextBatchId();
      const walBefore = validator.store.walStats();
      const session = await load(url, sessionLoad, CONCURRENCY, seconds * 1_000, 5);
      const walAfter = validator.store.walStats();
      const auditBatches = Number(validator.store.nextBatchId() - batchBefore);
      const cpu = cpuPerRewrap(cpuBefore, cpuSnapshot(), session.completed);
      const indexerAfter = validator.indexer.stats();
      const sessionBusy = performance.eventLoopUtilization(mainElu).utilization;
      if (stopProfile) await stopProfile(`${args.profile}/session-workers${cryptoWorkers}.cpuprofile`);
      checkSingle(session.samples);
      const s = summarize(session);
      const indexer = {
        access_reads: indexerAfter.accessReads - indexerBefore.accessReads,
        access_hits: indexerAfter.accessHits - indexerBefore.accessHits,
        access_refreshes: indexerAfter.accessRefreshes - indexerBefore.accessRefreshes,
        head_reads: indexerAfter.headReads - indexerBefore.headReads,
        stale: indexerAfter.stale - indexerBefore.stale,
        chain_access_reads: indexerAfter.chainAccessReads - indexerBefore.chainAccessReads,
      };
      // The store's WAL fsyncs (off the event loop): each rewrap's answer waits for one to finish.
      const fsyncs = walAfter.fsyncs - walBefore.fsyncs;
      const wal = { fsyncs, fsync_ms_mean: round2(((walAfter.fsyncSeconds - walBefore.fsyncSeconds) * 1_000) / Math.max(1, fsyncs)) };
      log(`[workers ${cryptoWorkers}] session: ${JSON.stringify({ ...s, validator_main_thread_busy: round2(sessionBusy), client_busy: round2(session.clientBusy), audit_batches: auditBatches, indexer, wal, cpu_ms_per_rewrap: cpu })}`);

      // ---- per-request EIP-712
      log(`[workers ${cryptoWorkers}] signing EIP-712 requests …`);
      const eip712Load = encodeRequests("/v1/rewrap", build(Math.ceil(eip712Seconds * 1_200), accountRequest));
      await quiesce();
      const eipElu = performance.eventLoopUtilization();
      const eip712 = await load(url, eip712Load, CONCURRENCY, eip712Seconds * 1_000, 5);
      const eipBusy = performance.eventLoopUtilization(eipElu).utilization;
      checkSingle(eip712.samples);
      const e = summarize(eip712);
      log(`[workers ${cryptoWorkers}] eip712: ${JSON.stringify({ ...e, validator_main_thread_busy: round2(eipBusy) })}`);

      // ---- bulk of 1,000, session-signed: one cold (content → policy lookups), three warm. Ponder
      // shares the cores and falls behind under the load phases; a bulk decided on state more than
      // maxStalenessBlocks old is refused STATE_STALE (by design), so let it catch up first.
      await net.synced();
      const bulkTimes: number[] = [];
      let bulkErrors = 0;
      const bulkCodes: Record<string, number> = {};
      for (let b = 0; b < 4; b++) {
        const session = sessions[b]!;
        const request = { contentIds: contents.map((c) => c.contentId), clientPublicKey: clientKey.publicKey, nonce: nonce++, expiry: nowS() + 240 };
        const body = encodeBulkRequest({ request, auth: { kind: "session", grant: session.grant, signature: session.key.sign(hasher.bulk(request)) } });
        const result = await load(url, encodeRequests("/v1/rewrap/bulk", [body]), 1, 60_000, 1);
        bulkErrors += result.errors;
        bulkTimes.push(result.latencies[0]!);
        const answer = decodeBulkAnswer(result.samples[0]!, MAX_BULK_ANSWER_BYTES);
        const digest = hexToBytes(answer.requestDigest);
        for (const item of answer.results) {
          if (!("envelope" in item)) {
            bulkErrors++;
            bulkCodes[item.error.code] = (bulkCodes[item.error.code] ?? 0) + 1;
            continue;
          }
          if (item.contentId === contents[b]!.contentId) {
            const dek = unwrapRewrap({ envelope: item.envelope, clientPrivateKey: clientKey, requestDigest: bulkItemDigest(digest, item.contentId) });
            if (Buffer.compare(Buffer.from(dek), Buffer.from(dekOf.get(item.contentId)!)) !== 0) throw new Error("a bulk item did not open to the DEK");
          }
        }
      }
      const warm = median(bulkTimes.slice(1));
      await checkAuditTrail(validator);
      log(`[workers ${cryptoWorkers}] bulk of 1,000: cold ${round1(bulkTimes[0]!)} ms, warm ${bulkTimes.slice(1).map(round1).join(", ")} ms, item errors ${bulkErrors} ${JSON.stringify(bulkCodes)}`);

      settings.push({
        crypto_workers: cryptoWorkers,
        session_ops_per_s: s.ops_per_s,
        session_p50_ms: s.p50_ms,
        session_p99_ms: s.p99_ms,
        session_p99_ms_by_fifth: p99ByFifth(session),
        session_seconds: s.seconds,
        validator_main_thread_busy: round2(sessionBusy),
        client_busy: round2(session.clientBusy),
        audit_batches: auditBatches,
        cpu_ms_per_rewrap_validator: cpu.validator,
        cpu_ms_per_rewrap_indexer: cpu.indexer,
        cpu_ms_per_rewrap_chain: cpu.chain,
        cpu_ms_per_rewrap_total: cpu.total,
        eip712_ops_per_s: e.ops_per_s,
        eip712_p99_ms: e.p99_ms,
        bulk1000_cold_ms: round1(bulkTimes[0]!),
        bulk1000_ms: round1(warm),
        errors: session.errors + eip712.errors + bulkErrors,
      });
    }

    for (const setting of settings) console.log(JSON.stringify({ bench: "rewrap-setting", ...setting, native_ceiling_ops_per_s: ceiling, database }));
    const best = settings.reduce((a, b) => (b.session_ops_per_s! > a.session_ops_per_s! ? b : a));
    log(`recommended cryptoWorkers default on this machine: ${best.crypto_workers}`);
    console.log(
      JSON.stringify({
        bench: "rewrap",
        session_ops_per_s: best.session_ops_per_s,
        session_p50_ms: best.session_p50_ms,
        session_p99_ms: best.session_p99_ms,
        eip712_ops_per_s: best.eip712_ops_per_s,
        bulk1000_ms: best.bulk1000_ms,
        errors: best.errors,
        native_ceiling_ops_per_s: ceiling,
        database,
      }),
    );
  } finally {
    await loadWorker?.terminate();
    await validator?.stop().catch(() => {});
    await net.stop();
    await postgres?.stop();
    if (postgresDir) rmSync(postgresDir, { recursive: true, force: true });
    removeTempDirs();
  }

  /** CPU seconds so far of this process (validator + load worker) and of the chain's and the indexer's process trees (PostgreSQL's included). */
  function cpuSnapshot(): { validator: number; chain: number; indexer: number } {
    const usage = process.cpuUsage();
    return {
      validator: (usage.user + usage.system) / 1e6,
      chain: processTreeCpuSeconds(net.stack.chain.process.pid),
      indexer: processTreeCpuSeconds(net.stack.indexer!.process.pid) + (postgres ? processTreeCpuSeconds(postgres.process.pid) : 0),
    };
  }

  /**
   * CPU milliseconds each part spent per rewrap served between two snapshots: what bounds the
   * throughput when they all share the machine's cores (2,000 / total ms = rewraps/s on two).
   */
  function cpuPerRewrap(before: ReturnType<typeof cpuSnapshot>, after: ReturnType<typeof cpuSnapshot>, rewraps: number) {
    const per = (key: "validator" | "chain" | "indexer") => round2(((after[key] - before[key]) * 1_000) / Math.max(1, rewraps));
    const parts = { validator: per("validator"), indexer: per("indexer"), chain: per("chain") };
    return { ...parts, total: round2(parts.validator + parts.indexer + parts.chain) };
  }

  function build(count: number, make: (i: number) => string): string[] {
    return Array.from({ length: count }, (_, i) => make(i));
  }

  /** Serializes the requests (before the clock) and runs them on the load worker. */
  /** Complete HTTP/1.1 requests back to back, as the load worker sends them. */
  function encodeRequests(path: string, bodies: string[]): { buffer: ArrayBuffer; offsets: Uint32Array } {
    const heads = bodies.map((body) => `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const offsets = new Uint32Array(heads.length + 1);
    let size = 0;
    heads.forEach((h, i) => {
      offsets[i] = size;
      size += Buffer.byteLength(h);
    });
    offsets[heads.length] = size;
    const bytes = new Uint8Array(size);
    heads.forEach((h, i) => bytes.set(Buffer.from(h, "latin1"), offsets[i]!));
    return { buffer: bytes.buffer, offsets };
  }

  /**
   * Runs one phase's load on the load generator's thread. One thread serves every phase, so it
   * is as warm (compiled code, heap sizes) when a phase's clock runs as the validator is; until
   * session 15 each phase started a fresh one.
   */
  async function load(url: string, requests: { buffer: ArrayBuffer; offsets: Uint32Array }, concurrency: number, durationMs: number, samples: number): Promise<LoadResult> {
    const { buffer, offsets } = requests;
    const job: LoadJob = { url, buffer, offsets, concurrency, durationMs, samples };
    const worker = (loadWorker ??= new Worker(new URL(import.meta.url)));
    return new Promise<LoadResult>((resolve, reject) => {
      const exited = (code: number): void => reject(new Error(`load worker exited with ${code}`));
      worker.once("message", (result: LoadResult) => {
        worker.off("error", reject);
        worker.off("exit", exited);
        resolve(result);
      });
      worker.once("error", reject);
      worker.once("exit", exited);
      worker.postMessage(job, [buffer, offsets.buffer as ArrayBuffer]);
    });
  }
}

// --------------------------------------------------------------------------------- figures

/**
 * Waits for the validator's audit outbox to drain (records batched, every batch recorded), then
 * checks that the chain expects the batch after the store's last one. Throws otherwise.
 */
async function checkAuditTrail(validator: Validator): Promise<void> {
  const { getNextBatchId } = await import("../../node/chain/index.js");
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { unbatchedAuditRecords, pendingAuditBatches } = validator.store.stats();
    if (unbatchedAuditRecords === 0 && pendingAuditBatches === 0) break;
    if (Date.now() > deadline) throw new Error(`audit outbox not drained: ${unbatchedAuditRecords} unbatched, ${pendingAuditBatches} batches pending`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const onChain = await getNextBatchId(validator.chain.node, { validator: validator.address });
  if (onChain !== validator.store.nextBatchId()) throw new Error(`chain expects audit batch ${onChain}, the store would send ${validator.store.nextBatchId()}`);
}

/** `--profile <dir>`: a CPU profile of the validator's main thread during the session phase. */
async function profileMainThread(): Promise<(file: string) => Promise<void>> {
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

/**
 * utime + stime of process `root` and all its descendants, from /proc (USER_HZ is 100 on
 * Linux); 0 where /proc is absent. A tree, not a process group: PostgreSQL's backends each
 * call setsid(), so a group count saw none of them (sessions 9–10 under-reported the indexer).
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

function nativeCeiling(ms: number): number {
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

function summarize(result: LoadResult) {
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
function p99ByFifth(result: LoadResult): number[] {
  const { latencies } = result;
  return [0, 1, 2, 3, 4].map((i) =>
    round1(percentile(latencies.slice(Math.floor((i * latencies.length) / 5), Math.floor(((i + 1) * latencies.length) / 5)).sort(), 99)),
  );
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: number[]): number {
  return percentile(Float64Array.from(values).sort(), 50);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function parseArgs(argv: string[]): Record<string, string> {
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
