/**
 * Soak (issue #22): readers rewrap at a steady rate for a few minutes while everything an
 * unauthenticated party can throw at the network runs at once — the indexer's most expensive
 * public SQL and GraphQL and /metrics scrapes in a loop (the hostile client of bench:rewrap, on
 * a worker thread), and a stream of junk registrations (headers copied under another policy,
 * which no validator can open). The real daemon, chain and Ponder indexer; two validators
 * holding every content, requests split between them.
 *
 * The same rewrap load runs first alone (the baseline), then with the attack. Required: no
 * error is answered to a well-formed request in either phase; the attacked phase's p99 is
 * within 2 × the baseline's; every junk registration ends with the initial validator's verdict
 * on chain. The load is open-loop (a request every 1/RATE s, whether or not the last was
 * answered), so a slowed validator shows as latency, not as fewer requests.
 *
 * It runs alone (`npm run test:soak`, part of `npm test`): a concurrent test file would load the
 * machine during one phase and not the other. DEKMESH_SOAK_SECONDS sets the attacked phase's
 * length (60 by default), DEKMESH_SOAK_RATE the rewraps per second (100).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Hex } from "viem";
import { decodeRewrapAnswer, encodeRewrapRequest } from "../../node/protocol/rewrap/index.js";
import type { Validator } from "../../node/validator/index.js";
import { runHostileTraffic } from "../../scripts/bench/rewrap/hostile.js";
import { Net, devAccount, eventually, removeTempDirs } from "../node/validator/helpers.js";
import { hex, Reader } from "../node/validator/rewrap/helpers.js";

const SOAK_S = Number(process.env.DEKMESH_SOAK_SECONDS ?? 60);
const BASELINE_S = 20;
const WARM_UP_S = 5;
const RATE = Number(process.env.DEKMESH_SOAK_RATE ?? 100);
const CONTENTS = 20;
const JUNK_EVERY_MS = 3_000;

let net: Net;
const validators: Validator[] = [];
const publisher = devAccount(5);
const contents: { contentId: Hex; dek: Uint8Array; header: Hex }[] = [];
const readers: Reader[] = [];

before(async () => {
  net = await Net.start();
  for (let i = 0; i < 2; i++) validators.push(await net.startValidator(i));
  const policyId = await net.createPolicy(publisher, "all");
  for (let i = 0; i < CONTENTS; i++) {
    const initial = validators[i % 2]!;
    const { contentId, cid, header, dek } = await net.prepareContent(policyId, initial);
    await net.send(publisher, "ContentRegistry", "register", [cid, policyId, initial.address, header, "0x"]);
    contents.push({ contentId, dek, header });
  }
  await eventually(() => contents.every((c) => validators.every((v) => v.store.hasDek(c.contentId))), 60_000, "every content at both validators");
  const domain = { chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog };
  for (let i = 0; i < 4; i++) {
    const reader = new Reader(devAccount(6 + i), domain);
    await reader.startSession();
    readers.push(reader);
  }
  await net.synced();
});

after(async () => {
  for (const v of [...validators].reverse()) await v.stop().catch(() => {});
  await net?.stop();
  removeTempDirs();
});

interface Phase {
  latencies: number[];
  /** Answers other than a 200 with the right DEK: status and code. */
  errors: string[];
}

/** One session rewrap; an error is anything but a 200 whose envelope opens to the content's DEK. */
async function rewrap(i: number, phase: Phase): Promise<void> {
  const reader = readers[i % readers.length]!;
  const content = contents[i % contents.length]!;
  const validator = validators[i % validators.length]!;
  const signed = reader.sessionRequest(content.contentId);
  const started = performance.now();
  try {
    const response = await fetch(`${validator.httpUrl}/v1/rewrap`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: encodeRewrapRequest(signed),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    phase.latencies.push(performance.now() - started);
    if (response.status !== 200) return void phase.errors.push(`${response.status} ${text.slice(0, 80)}`);
    const answer = decodeRewrapAnswer(text);
    const dek = reader.open(answer.envelope, Buffer.from(answer.requestDigest.slice(2), "hex"));
    if (hex(dek) !== hex(content.dek)) phase.errors.push("wrong DEK");
  } catch (error) {
    phase.errors.push(`no answer: ${(error as Error).name}`);
  }
}

/** RATE rewraps a second for `seconds`, open-loop; resolves once every answer is in. */
async function steadyLoad(seconds: number): Promise<Phase> {
  const phase: Phase = { latencies: [], errors: [] };
  const total = Math.round(seconds * RATE);
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1_000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(rewrap(i, phase));
  }
  await Promise.all(pending);
  return phase;
}

function p99(latencies: readonly number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!;
}

/** Every JUNK_EVERY_MS until `until`: a real content's header registered again under another policy, with validator 0 as initial. */
async function junkRegistrations(until: number): Promise<Hex[]> {
  const otherPolicy = await net.createPolicy(publisher, "all");
  const junk: Hex[] = [];
  while (Date.now() < until) {
    const copied = contents[junk.length % contents.length]!;
    const fresh = await net.prepareContent(otherPolicy, validators[0]!);
    await net.send(publisher, "ContentRegistry", "register", [fresh.cid, otherPolicy, validators[0]!.address, copied.header, "0x"]);
    junk.push(fresh.contentId);
    await new Promise((resolve) => setTimeout(resolve, JUNK_EVERY_MS));
  }
  return junk;
}

test(`soak: ${RATE} rewraps/s, ${SOAK_S} s under hostile queries, metric scrapes and junk registrations — no error, p99 within 2 × the baseline's`, { timeout: (SOAK_S + BASELINE_S + 180) * 1_000 }, async () => {
  await steadyLoad(WARM_UP_S);
  const baseline = await steadyLoad(BASELINE_S);

  const until = Date.now() + SOAK_S * 1_000;
  const [soaked, hostile, junk] = await Promise.all([
    steadyLoad(SOAK_S),
    runHostileTraffic({ indexerUrl: net.indexerUrl, validatorUrl: validators[0]!.httpUrl, concurrency: 4, durationMs: SOAK_S * 1_000 }),
    junkRegistrations(until),
  ]);

  const figures = {
    errors: baseline.errors.length + soaked.errors.length,
    baseline_p99_ms: Math.round(p99(baseline.latencies) * 10) / 10,
    soak_p99_ms: Math.round(p99(soaked.latencies) * 10) / 10,
    rewraps: baseline.latencies.length + soaked.latencies.length,
    junk_registrations: junk.length,
    hostile_answers: hostile.answers,
  };
  console.log(`soak: ${JSON.stringify(figures)}`);
  assert.deepEqual(baseline.errors, [], "errors answered to well-formed requests without the attack");
  assert.deepEqual(soaked.errors.slice(0, 10), [], `errors answered to well-formed requests under the attack (${soaked.errors.length})`);
  assert.ok(figures.soak_p99_ms <= 2 * figures.baseline_p99_ms, `p99 ${figures.soak_p99_ms} ms under the attack against ${figures.baseline_p99_ms} ms without`);
  assert.ok(Object.values(hostile.answers).every((byStatus) => Object.keys(byStatus).length > 0), "every kind of hostile request was sent");

  // Every junk registration ends with its initial validator's verdict, and no validator pulls it.
  await eventually(async () => {
    for (const contentId of junk) {
      const body = (await (await fetch(`${net.indexerUrl}/holders/${contentId}`)).json()) as { content?: { unusable: unknown } };
      if (!body.content?.unusable) return false;
    }
    return true;
  }, 60_000, "a verdict on every junk registration");
});
