/**
 * In-process micro-benchmark of the rewrap service (not a test): the service's own cost per
 * rewrap with a real store (durable, group-committed audit appends) and an indexer
 * stand-in that always allows (the real client answers from its per-(policy, account) cache on
 * all but ~1 request per account per second). Requests are signed before the clock starts, so
 * only validator work is timed. HTTP is not involved; `npm run bench:rewrap` (issue 5) will
 * measure over HTTP.
 *
 *   npx node --import tsx test/node/validator/rewrap/bench.ts [seconds-per-phase]
 *
 * Last line: {"bench":"rewrap-inprocess",...}
 */
import { createECDH, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccessDecision, IndexerClientError } from "../../../../node/indexer-client/index.js";
import { P256PrivateKey, verifyP256Signature } from "../../../../node/crypto/keys/index.js";
import { addressFromPrivateKey, signHash } from "../../../../node/crypto/keys/ethereum.js";
import { createRewrapService, type RewrapAccess, type RewrapIndexer } from "../../../../node/validator/rewrap/index.js";
import { type Address, type Hex, bytesToHex } from "viem";
import { type SignedRewrapBulkRequest, type SignedRewrapRequest } from "../../../../node/protocol/rewrap/index.js";
import { RewrapHasher } from "../../../../node/crypto/keys/eip712.js";
import { DekStore } from "../../../../node/validator/store/index.js";

const seconds = Number(process.argv[2] ?? 5);
/** Comma-separated subset of session,eip712,bulk (for profiling one phase). */
const phases = new Set((process.argv[3] ?? "session,eip712,bulk").split(","));
/** Crypto worker threads (default: the service's own default). */
const cryptoWorkers = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const CONCURRENCY = 50;
const CONTENTS = 1_000;
const domain = { chainId: 31337n, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address };
const hasher = new RewrapHasher(domain);
const nowS = () => Math.floor(Date.now() / 1000);
let nonce = BigInt(Date.now()) * 1_000_000n;

const decision = (contentId: Hex, account: Address): AccessDecision => ({
  contentId,
  policyId: 1n,
  account,
  allowed: true,
  reason: "Granted",
  at: BigInt(nowS()),
  block: { number: 1, timestamp: nowS() },
});
const access: RewrapAccess = {
  access: async (contentId, account) => decision(contentId as Hex, account as Address),
  cachedAccess: (contentId, account) => decision(contentId as Hex, account as Address),
  accessMany: async (ids, account) => new Map<Hex, AccessDecision | IndexerClientError>(ids.map((id) => [id as Hex, decision(id as Hex, account as Address)])),
};
const indexer: RewrapIndexer = {
  holders: async () => {
    throw new Error("not used");
  },
};

const dir = mkdtempSync(join(tmpdir(), "dekmesh-rewrap-bench-"));
const store = DekStore.open({ directory: join(dir, "store"), storageKey: randomBytes(32) });
const service = createRewrapService({ store, access, indexer, chainId: domain.chainId, auditLog: domain.verifyingContract }, { cryptoWorkers });
await service.start();

const contentIds: Hex[] = Array.from({ length: CONTENTS }, () => bytesToHex(randomBytes(32)));
await Promise.all(contentIds.map((id) => store.putDek(id, randomBytes(32), { policyId: 1n, mode: "all", source: "initial" })));

interface Client {
  accountKey: Uint8Array;
  account: Address;
  clientKey: P256PrivateKey;
  sessionKey: P256PrivateKey;
  grant: SignedRewrapRequest["auth"] & { kind: "session" };
}

function client(): Client {
  const accountKey = randomBytes(32);
  const account = addressFromPrivateKey(accountKey).toLowerCase() as Address;
  const sessionKey = P256PrivateKey.generate();
  const grant = { account, sessionPublicKey: sessionKey.publicKey, expiry: nowS() + 3_600, nonce: nonce++ };
  const signature = signHash(accountKey, hasher.grant(grant));
  return {
    accountKey,
    account,
    clientKey: P256PrivateKey.generate(),
    sessionKey,
    grant: { kind: "session", grant: { ...grant, signature }, signature: new Uint8Array(64) },
  };
}

function sessionRequest(c: Client, contentId: Hex): SignedRewrapRequest {
  const request = { contentId, clientPublicKey: c.clientKey.publicKey, nonce: nonce++, expiry: nowS() + 240 };
  return { request, auth: { ...c.grant, signature: c.sessionKey.sign(hasher.request(request)) } };
}

function accountRequest(c: Client, contentId: Hex): SignedRewrapRequest {
  const request = { contentId, clientPublicKey: c.clientKey.publicKey, nonce: nonce++, expiry: nowS() + 240 };
  return { request, auth: { kind: "account", account: c.account, signature: signHash(c.accountKey, hasher.request(request)) } };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs pre-built requests with CONCURRENCY workers; returns ops/s and latency percentiles. */
async function run(requests: SignedRewrapRequest[]): Promise<{ ops: number; p50: number; p99: number; errors: number; elu: number }> {
  const elu = performance.eventLoopUtilization();
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        const t = performance.now();
        try {
          await service.rewrap(request);
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ops: Math.round(requests.length / elapsed),
    p50: +percentile(latencies, 50).toFixed(2),
    p99: +percentile(latencies, 99).toFixed(2),
    errors,
    elu: +performance.eventLoopUtilization(elu).utilization.toFixed(2),
  };
}

function ceiling(): number {
  // Raw platform P-256 work of one session rewrap: one ECDSA verify + one ECDH with a fresh key.
  const key = P256PrivateKey.generate();
  const message = randomBytes(32);
  const signature = key.sign(message);
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < 1_000) {
    verifyP256Signature(key.publicKey, message, signature);
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    ecdh.computeSecret(Buffer.from(key.publicKey));
    n++;
  }
  return n;
}

const clients = Array.from({ length: CONCURRENCY }, client);
for (const c of clients) await service.registerSession(c.grant.grant);

// Size each phase from a quick estimate so it runs about `seconds`.
const sessionCount = phases.has("session") ? Math.max(2_000, Math.round(3_500 * seconds)) : 1_001;
const sessionRequests = Array.from({ length: sessionCount }, (_, i) => sessionRequest(clients[i % CONCURRENCY]!, contentIds[i % CONTENTS]!));
await run(sessionRequests.splice(0, 1_000)); // warm-up
const commitsBefore = store.stats().commits;
const session = await run(sessionRequests);
const perCommit = (sessionRequests.length / Math.max(1, store.stats().commits - commitsBefore)).toFixed(1);
console.log(
  `session rewraps: ${session.ops}/s, p50 ${session.p50} ms, p99 ${session.p99} ms, errors ${session.errors} ` +
    `(${sessionRequests.length} requests, ${CONCURRENCY} concurrent, ${perCommit} audit records per commit, main thread ${session.elu * 100}% busy)`,
);

const eipCount = phases.has("eip712") ? Math.max(500, Math.round(600 * seconds)) : 1;
const eipRequests = Array.from({ length: eipCount }, (_, i) => accountRequest(clients[i % CONCURRENCY]!, contentIds[i % CONTENTS]!));
const eip712 = await run(eipRequests);
console.log(`per-request EIP-712 rewraps: ${eip712.ops}/s, p50 ${eip712.p50} ms, p99 ${eip712.p99} ms, errors ${eip712.errors}, main thread ${eip712.elu * 100}% busy`);

const bulkTimes: number[] = [];
for (let i = 0; i < (phases.has("bulk") ? 5 : 1); i++) {
  const c = clients[i]!;
  const request = { contentIds, clientPublicKey: c.clientKey.publicKey, nonce: nonce++, expiry: nowS() + 240 };
  const signed: SignedRewrapBulkRequest = { request, auth: { ...c.grant, signature: c.sessionKey.sign(hasher.bulk(request)) } };
  const started = performance.now();
  const answer = await service.rewrapBulk(signed);
  bulkTimes.push(performance.now() - started);
  if (answer.results.some((r) => "error" in r)) throw new Error("bulk item refused");
}
bulkTimes.sort((a, b) => a - b);
console.log(`bulk of 1,000: ${bulkTimes.map((t) => t.toFixed(0)).join(", ")} ms (sorted)`);

const nativeCeiling = ceiling();
console.log(`native ceiling (P-256 verify + ECDH, one core): ${nativeCeiling}/s`);
await service.stop();
store.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    bench: "rewrap-inprocess",
    session_ops_per_s: session.ops,
    session_p50_ms: session.p50,
    session_p99_ms: session.p99,
    eip712_ops_per_s: eip712.ops,
    bulk1000_ms: +percentile(bulkTimes, 50).toFixed(1),
    errors: session.errors + eip712.errors,
    native_ceiling_ops_per_s: nativeCeiling,
  }),
);
