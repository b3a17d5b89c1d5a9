/**
 * The rewrap bench's phases (scripts/bench/rewrap.ts runs them in order): the stack, the policy
 * and readers, the 1,000 contents, and per crypto-worker setting the sessions, the session,
 * EIP-712 and bulk loads, and the audit-trail check.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createWalletClient, hexToBytes, http, keccak256, toHex, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { CONTRACT_ABIS } from "../../../node/chain/abis.js";
import { getNextBatchId } from "../../../node/chain/index.js";
import { devAccount, findPostgresBinaries, rpcRequest, startPostgres, type PostgresHandle } from "../../../node/devnet/index.js";
import { unwrapRewrap } from "../../../node/crypto/envelopes/index.js";
import { P256PrivateKey } from "../../../node/crypto/keys/index.js";
import { signHash } from "../../../node/crypto/keys/ethereum.js";
import { bulkItemDigest, type RewrapHasher } from "../../../node/crypto/keys/eip712.js";
import {
  decodeBulkAnswer,
  decodeRewrapAnswer,
  encodeBulkRequest,
  encodeRewrapRequest,
  encodeSessionGrant,
  MAX_BULK_ANSWER_BYTES,
  type SignedSessionGrant,
} from "../../../node/protocol/rewrap/index.js";
import { createNanoTdfHeader } from "../../../node/crypto/tdf/index.js";
import type { Validator } from "../../../node/validator/index.js";
import { Net } from "../../../test/node/validator/helpers.js";
import { cpuPerRewrap, cpuSnapshot, median, p99ByFifth, profileMainThread, round1, round2, summarize } from "./figures.js";
import { encodeRequests, type LoadGenerator, type LoadResult } from "./load.js";
import { runHostileTraffic } from "./hostile.js";

export const CONCURRENCY = 50;
export const CONTENTS = 1_000;
export const READERS = 10;
/** Contents the single-rewrap phases cycle through (all under the one policy). */
const HOT_CONTENTS = 100;
/**
 * Load before each setting's session clock starts: the validator has just been (re)started
 * and its crypto worker is a fresh isolate. In A/B runs of 5-s phases after a warm-up of
 * 2,000 requests (~0.4 s), the first phase had the worst p99 in each of four runs (27.7–33.4
 * ms against medians of 24–26, 2026-11-24).
 */
const WARMUP_SECONDS = 5;

type Reader = ReturnType<typeof devAccount>;
type Log = (line: string) => void;
type Session = { key: P256PrivateKey; grant: SignedSessionGrant };

export interface Stack {
  net: Net;
  database: "postgres" | "pglite";
  postgres: PostgresHandle | undefined;
  postgresDir: string | undefined;
}

/** What the contents are: their policy, the readers allowed by it, and their DEKs. */
export interface Corpus {
  policyId: bigint;
  readers: Reader[];
  contents: { contentId: Hex; dek: Uint8Array }[];
  dekOf: Map<Hex, Uint8Array>;
}

/** One crypto-worker setting's run: the validator as (re)started for it, and what all settings share. */
export interface SettingRun {
  stack: Stack;
  validator: Validator;
  cryptoWorkers: number;
  corpus: Corpus;
  hasher: RewrapHasher;
  clientKey: P256PrivateKey;
  nextNonce: () => bigint;
  loads: LoadGenerator;
  seconds: number;
  eip712Seconds: number;
  /** `--profile <dir>`. */
  profile: string | undefined;
  log: Log;
}

const nowS = (): number => Math.floor(Date.now() / 1000);

/**
 * Ponder on a throwaway PostgreSQL server — what a deployed indexer uses (README, testnet) —
 * when this machine has PostgreSQL, else on PGlite, the devnet's default; `--database` picks.
 * On PGlite the indexer cost 0.84–1.03 ms of CPU per rewrap on the validator's cores, on
 * PostgreSQL 0.16–0.18 ms (docs/http.md). The server's processes count as the indexer's CPU.
 */
export async function startStack(requested: string | undefined, log: Log): Promise<Stack> {
  const database = requested ?? (findPostgresBinaries() ? "postgres" : "pglite");
  if (database !== "postgres" && database !== "pglite") throw new Error("--database is pglite or postgres");
  log(`indexer database: ${database}`);
  const postgresDir = database === "postgres" ? mkdtempSync(join(tmpdir(), "dekmesh-bench-pg-")) : undefined;
  const postgres = postgresDir ? await startPostgres({ dir: postgresDir }) : undefined;
  const net = await Net.start(postgres ? { indexer: { databaseUrl: postgres.url } } : {});
  return { net, database, postgres, postgresDir };
}

export async function stopStack(stack: Stack): Promise<void> {
  await stack.net.stop();
  await stack.postgres?.stop();
  if (stack.postgresDir) rmSync(stack.postgresDir, { recursive: true, force: true });
}

/** A policy with one attribute rule (clearance ≥ secret), and readers holding the attribute. */
export async function createPolicyAndReaders(net: Net): Promise<{ policyId: bigint; readers: Reader[] }> {
  const publisher = devAccount(3);
  await net.send(publisher, "AttributeRegistry", "createNamespace", ["clearance", 2, ["top", "secret", "public"]]);
  const clearance = keccak256(toHex("clearance"));
  await net.send(publisher, "PolicyRegistry", "createPolicy", [
    { requirements: [{ namespace: clearance, value: 1 }], allowlist: [], notBefore: 0n, notAfter: 0n, mode: 0, k: 0, explicitMembers: [] },
  ]);
  const policyId = await net.read<bigint>("PolicyRegistry", "policyCount", []);
  const readers = Array.from({ length: READERS }, (_, i) => devAccount(4 + i));
  for (const reader of readers) await net.send(publisher, "AttributeRegistry", "grant", [clearance, reader.address, 1, 0n]);
  return { policyId, readers };
}

/**
 * The contents: real headers to the validator's KAS key, queued with automining off and mined a
 * few hundred per block (one block per transaction would take Ponder minutes); returns once the
 * indexer has them.
 */
export async function registerContents(net: Net, validator: Validator, policyId: bigint): Promise<{ contentId: Hex; dek: Uint8Array }[]> {
  const publisher = devAccount(3);
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
  return contents;
}

/** One crypto-worker setting, all phases; the figures in the order of the bench's JSON line. */
export async function runSetting(run: SettingRun): Promise<Record<string, number | number[]>> {
  const { validator, corpus, log, cryptoWorkers } = run;
  // The validator derives these DEKs from the headers itself once the registrations are
  // confirmed; storing the same DEKs now just spares the bench that wait.
  for (const c of corpus.contents) await validator.store.putDek(c.contentId, c.dek, { policyId: corpus.policyId, mode: "all", source: "initial" });
  await validator.replication.waitIdle({ timeoutMs: 120_000 }).catch((error: unknown) => log(`replication not idle: ${String(error)}`));
  const sessions = await registerSessions(run);

  // What the validator spends with no client at all (replication passes, submitter, p2p).
  const idleElu = performance.eventLoopUtilization();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  log(`[workers ${cryptoWorkers}] validator main thread busy while idle: ${round2(performance.eventLoopUtilization(idleElu).utilization)}`);

  const session = await sessionPhase(run, sessions);
  const eip712 = await eip712Phase(run);
  const bulk = await bulkPhase(run, sessions);
  // Last: what the hostile client leaves behind (an indexer busy with its queries) must not
  // weigh on the other phases' figures.
  const hostile = await hostilePhase(run, sessions);
  const s = session.summary;
  const e = eip712.summary;
  return {
    crypto_workers: cryptoWorkers,
    session_ops_per_s: s.ops_per_s,
    session_p50_ms: s.p50_ms,
    session_p99_ms: s.p99_ms,
    session_p99_ms_by_fifth: p99ByFifth(session.result),
    session_seconds: s.seconds,
    validator_main_thread_busy: round2(session.busy),
    client_busy: round2(session.result.clientBusy),
    audit_batches: session.auditBatches,
    hostile_ops_per_s: hostile.summary.ops_per_s,
    hostile_p99_ms: hostile.summary.p99_ms,
    hostile_p99_ratio: round2(hostile.summary.p99_ms / s.p99_ms),
    hostile_errors: hostile.result.errors,
    cpu_ms_per_rewrap_validator: session.cpu.validator,
    cpu_ms_per_rewrap_indexer: session.cpu.indexer,
    cpu_ms_per_rewrap_chain: session.cpu.chain,
    cpu_ms_per_rewrap_total: session.cpu.total,
    eip712_ops_per_s: e.ops_per_s,
    eip712_p99_ms: e.p99_ms,
    bulk1000_cold_ms: round1(bulk.times[0]!),
    bulk1000_ms: round1(median(bulk.times.slice(1))),
    errors: session.result.errors + hostile.result.errors + eip712.result.errors + bulk.errors,
  };
}

/** One session per connection, registered before the clock (POST /v1/session). */
async function registerSessions(run: SettingRun): Promise<Session[]> {
  const { readers } = run.corpus;
  const sessions: Session[] = [];
  for (let c = 0; c < CONCURRENCY; c++) {
    const reader = readers[c % READERS]!;
    const key = P256PrivateKey.generate();
    const unsigned = { account: reader.address.toLowerCase() as Hex, sessionPublicKey: key.publicKey, expiry: nowS() + 3_600, nonce: run.nextNonce() };
    const grant = { ...unsigned, signature: signHash(reader.getHdKey().privateKey!, run.hasher.grant(unsigned)) };
    const response = await fetch(`${run.validator.httpUrl}/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: encodeSessionGrant(grant) });
    if (response.status !== 200) throw new Error(`session refused: ${response.status} ${await response.text()}`);
    sessions.push({ key, grant });
  }
  return sessions;
}

/**
 * Before a phase's clock starts: the audit records of what came before are on chain and
 * indexed. The lane cannot send while this thread signs a phase's requests, so otherwise the
 * warm-up's records (70 batches) went out, and Ponder indexed them, in the phase's first seconds.
 */
async function quiesce(run: SettingRun): Promise<void> {
  await run.validator.submitter.flush();
  await run.stack.net.synced();
}

/** Warm-up (JIT, caches, connections), then the session-signed phase, with its CPU, WAL and indexer figures. */
async function sessionPhase(run: SettingRun, sessions: Session[]) {
  const { validator, log, cryptoWorkers, loads, seconds } = run;
  const url = validator.httpUrl;
  const request = (i: number): string => sessionRequest(run, sessions, i);
  await loads.run(url, encodeRequests("/v1/rewrap", build(Math.ceil(WARMUP_SECONDS * 7_000), request)), CONCURRENCY, WARMUP_SECONDS * 1_000, 0);
  log(`[workers ${cryptoWorkers}] signing session requests …`);
  // Encoded before the profile and the utilization window start: only the validator's work is in them.
  const sessionLoad = encodeRequests("/v1/rewrap", build(Math.ceil(seconds * 7_000), request));
  await quiesce(run);
  const stopProfile = run.profile ? await profileMainThread() : undefined;
  const pids = processIds(run.stack);
  const mainElu = performance.eventLoopUtilization();
  const indexerBefore = validator.indexer.stats();
  const accessBefore = validator.access.stats();
  const cpuBefore = cpuSnapshot(pids);
  const batchBefore = validator.store.nextBatchId();
  const walBefore = validator.store.walStats();
  const result = await loads.run(url, sessionLoad, CONCURRENCY, seconds * 1_000, 5);
  const walAfter = validator.store.walStats();
  const auditBatches = Number(validator.store.nextBatchId() - batchBefore);
  const cpu = cpuPerRewrap(cpuBefore, cpuSnapshot(pids), result.completed);
  const indexerAfter = validator.indexer.stats();
  const accessAfter = validator.access.stats();
  const busy = performance.eventLoopUtilization(mainElu).utilization;
  if (stopProfile) await stopProfile(`${run.profile}/session-workers${cryptoWorkers}.cpuprofile`);
  checkSingle(run, result.samples);
  const summary = summarize(result);
  const indexer = {
    access_reads: indexerAfter.accessReads - indexerBefore.accessReads,
    access_hits: accessAfter.accessHits - accessBefore.accessHits,
    access_refreshes: accessAfter.accessRefreshes - accessBefore.accessRefreshes,
    head_reads: indexerAfter.headReads - indexerBefore.headReads,
    stale: indexerAfter.stale - indexerBefore.stale,
    chain_access_reads: accessAfter.chainAccessReads - accessBefore.chainAccessReads,
  };
  // The store's WAL fsyncs (off the event loop): each rewrap's answer waits for one to finish.
  const fsyncs = walAfter.fsyncs - walBefore.fsyncs;
  const wal = { fsyncs, fsync_ms_mean: round2(((walAfter.fsyncSeconds - walBefore.fsyncSeconds) * 1_000) / Math.max(1, fsyncs)) };
  log(`[workers ${cryptoWorkers}] session: ${JSON.stringify({ ...summary, validator_main_thread_busy: round2(busy), client_busy: round2(result.clientBusy), audit_batches: auditBatches, indexer, wal, cpu_ms_per_rewrap: cpu })}`);
  return { result, summary, busy, auditBatches, cpu };
}

/**
 * The session load again, while a hostile client hammers the public surfaces (./hostile.ts):
 * the indexer's most expensive SQL and GraphQL, and the validator's /metrics. Goal: p99 within
 * 2 × the session phase's, and no error answered to a rewrap.
 */
async function hostilePhase(run: SettingRun, sessions: Session[]): Promise<{ result: LoadResult; summary: ReturnType<typeof summarize> }> {
  const { validator, log, cryptoWorkers, loads, seconds } = run;
  const load = encodeRequests("/v1/rewrap", build(Math.ceil(seconds * 7_000), (i) => sessionRequest(run, sessions, i)));
  await quiesce(run);
  const targets = { indexerUrl: run.stack.net.indexerUrl, validatorUrl: validator.httpUrl, concurrency: 4, durationMs: seconds * 1_000 };
  const [result, hostile] = await Promise.all([loads.run(validator.httpUrl, load, CONCURRENCY, seconds * 1_000, 5), runHostileTraffic(targets)]);
  const summary = summarize(result);
  log(`[workers ${cryptoWorkers}] hostile: ${JSON.stringify({ ...summary, hostile_answers: hostile.answers })}`);
  return { result, summary };
}

/** Per-request EIP-712 signatures (an account's secp256k1 recovery per request). */
async function eip712Phase(run: SettingRun): Promise<{ result: LoadResult; summary: ReturnType<typeof summarize> }> {
  const { log, cryptoWorkers } = run;
  log(`[workers ${cryptoWorkers}] signing EIP-712 requests …`);
  const eip712Load = encodeRequests("/v1/rewrap", build(Math.ceil(run.eip712Seconds * 1_200), (i) => accountRequest(run, i)));
  await quiesce(run);
  const eipElu = performance.eventLoopUtilization();
  const result = await run.loads.run(run.validator.httpUrl, eip712Load, CONCURRENCY, run.eip712Seconds * 1_000, 5);
  const busy = performance.eventLoopUtilization(eipElu).utilization;
  checkSingle(run, result.samples);
  const summary = summarize(result);
  log(`[workers ${cryptoWorkers}] eip712: ${JSON.stringify({ ...summary, validator_main_thread_busy: round2(busy) })}`);
  return { result, summary };
}

/**
 * Bulk of 1,000, session-signed: one cold (content → policy lookups), three warm. Ponder shares
 * the cores and falls behind under the load phases; a bulk decided on state more than
 * maxStalenessBlocks old is refused STATE_STALE (by design), so let it catch up first. Ends
 * with the audit-trail check.
 */
async function bulkPhase(run: SettingRun, sessions: Session[]): Promise<{ times: number[]; errors: number }> {
  const { contents } = run.corpus;
  await run.stack.net.synced();
  const times: number[] = [];
  let errors = 0;
  const codes: Record<string, number> = {};
  for (let b = 0; b < 4; b++) {
    const session = sessions[b]!;
    const request = { contentIds: contents.map((c) => c.contentId), clientPublicKey: run.clientKey.publicKey, nonce: run.nextNonce(), expiry: nowS() + 240 };
    const body = encodeBulkRequest({ request, auth: { kind: "session", grant: session.grant, signature: session.key.sign(run.hasher.bulk(request)) } });
    const result = await run.loads.run(run.validator.httpUrl, encodeRequests("/v1/rewrap/bulk", [body]), 1, 60_000, 1);
    errors += result.errors;
    times.push(result.latencies[0]!);
    const answer = decodeBulkAnswer(result.samples[0]!, MAX_BULK_ANSWER_BYTES);
    const digest = hexToBytes(answer.requestDigest);
    for (const item of answer.results) {
      if (!("envelope" in item)) {
        errors++;
        codes[item.error.code] = (codes[item.error.code] ?? 0) + 1;
        continue;
      }
      if (item.contentId === contents[b]!.contentId) {
        const dek = unwrapRewrap({ envelope: item.envelope, clientPrivateKey: run.clientKey, requestDigest: bulkItemDigest(digest, item.contentId) });
        if (Buffer.compare(Buffer.from(dek), Buffer.from(run.corpus.dekOf.get(item.contentId)!)) !== 0) throw new Error("a bulk item did not open to the DEK");
      }
    }
  }
  await checkAuditTrail(run.validator);
  run.log(`[workers ${run.cryptoWorkers}] bulk of 1,000: cold ${round1(times[0]!)} ms, warm ${times.slice(1).map(round1).join(", ")} ms, item errors ${errors} ${JSON.stringify(codes)}`);
  return { times, errors };
}

function sessionRequest(run: SettingRun, sessions: Session[], i: number): string {
  const session = sessions[i % CONCURRENCY]!;
  const request = { contentId: run.corpus.contents[i % HOT_CONTENTS]!.contentId, clientPublicKey: run.clientKey.publicKey, nonce: run.nextNonce(), expiry: nowS() + 240 };
  return encodeRewrapRequest({ request, auth: { kind: "session", grant: session.grant, signature: session.key.sign(run.hasher.request(request)) } });
}

function accountRequest(run: SettingRun, i: number): string {
  const reader = run.corpus.readers[i % READERS]!;
  const request = { contentId: run.corpus.contents[i % HOT_CONTENTS]!.contentId, clientPublicKey: run.clientKey.publicKey, nonce: run.nextNonce(), expiry: nowS() + 240 };
  const signature = signHash(reader.getHdKey().privateKey!, run.hasher.request(request));
  return encodeRewrapRequest({ request, auth: { kind: "account", account: reader.address.toLowerCase() as Hex, signature } });
}

/** A sample of single answers opens, with the client key, to the content's DEK. */
function checkSingle(run: SettingRun, samples: string[]): void {
  for (const body of samples) {
    const answer = decodeRewrapAnswer(body);
    const dek = unwrapRewrap({ envelope: answer.envelope, clientPrivateKey: run.clientKey, requestDigest: hexToBytes(answer.requestDigest) });
    if (Buffer.compare(Buffer.from(dek), Buffer.from(run.corpus.dekOf.get(answer.contentId)!)) !== 0) throw new Error("an answer did not open to the DEK");
  }
}

function build(count: number, make: (i: number) => string): string[] {
  return Array.from({ length: count }, (_, i) => make(i));
}

function processIds(stack: Stack): { chain: number; indexer: number; postgres: number | undefined } {
  return { chain: stack.net.stack.chain.process.pid!, indexer: stack.net.stack.indexer!.process.pid!, postgres: stack.postgres?.process.pid };
}

/**
 * Waits for the validator's audit outbox to drain (records batched, every batch recorded), then
 * checks that the chain expects the batch after the store's last one. Throws otherwise.
 */
async function checkAuditTrail(validator: Validator): Promise<void> {
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
