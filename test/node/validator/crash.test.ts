/**
 * Crash safety of the daemon: a validator runs as a child process (`dekmesh validator run`
 * through runValidatorCommand) and is SIGKILLed (1) while it catches up on DEK pulls and
 * confirmations, (2) while it serves rewraps and batches their audit records. After each kill:
 * every DEK the chain says it holds is in its store; after a restart it converges; every
 * acknowledged rewrap is on chain exactly once and no record is duplicated.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Address, Hex } from "viem";
import { HARDHAT_MNEMONIC, stablePort } from "../../../node/devnet/index.js";
import { deriveNodeKeys } from "../../../node/crypto/keys/index.js";
import { DekStore } from "../../../node/validator/store/index.js";
import { silentLogger, startValidator, type Validator, type ValidatorConfig } from "../../../node/validator/index.js";
import { countDigests, onChainAudit, onChainHoldings } from "../chain/helpers.js";
import { prng, runAndKill } from "../helpers/crash.js";
import { Net, devAccount, eventually, removeTempDirs, tempDir } from "./helpers.js";

const WORKER = new URL("./crashWorker.ts", import.meta.url).pathname;
const CHILD = 2;
const CONTENTS = 40;
const random = prng(Number(process.env.DEKMESH_TEST_SEED ?? 5));

let net: Net;
let v0: Validator;
let childConfig: ValidatorConfig;
let configFile: string;
const contents: Hex[] = [];

before(async () => {
  net = await Net.start();
  v0 = await net.startValidator(0);
  await net.fundNode(CHILD);
  childConfig = net.config(CHILD, {
    // The child restarts on these ports after every kill.
    p2p: { listen: [`/ip4/127.0.0.1/tcp/${await stablePort()}`] },
    http: { port: await stablePort() },
    logLevel: "silent",
  });
  configFile = join(tempDir(), "child.json");
  writeFileSync(configFile, JSON.stringify({ ...childConfig, mnemonic: HARDHAT_MNEMONIC }));
});

after(async () => {
  await v0?.stop();
  await net?.stop();
  removeTempDirs();
});

const childAddress = () => deriveNodeKeys(HARDHAT_MNEMONIC, CHILD).account.address as Address;

/** The child's store opened directly (the child is dead): every content the chain says it confirmed must be there. */
async function assertConfirmedHeld(): Promise<number> {
  await net.synced();
  const confirmed = new Set((await onChainHoldings(v0.chain.node, childAddress())).map((c) => c.toLowerCase() as Hex));
  const store = DekStore.open({ directory: join(childConfig.dataDir, "store"), storageKey: deriveNodeKeys(HARDHAT_MNEMONIC, CHILD).storageKey });
  try {
    for (const contentId of confirmed) assert.ok(store.hasDek(contentId), `confirmed on chain but missing from the store: ${contentId}`);
  } finally {
    store.close();
  }
  return confirmed.size;
}

test("SIGKILL during replication: no DEK confirmed on chain is missing; the restarted node converges", async () => {
  // Start once to register and stake, so contents can name the child in their explicit list.
  await runAndKill(WORKER, [configFile, "idle"], 500, 60_000);
  const policyId = await net.createPolicy(devAccount(5), "explicit", 0, [childAddress()]);
  for (let i = 0; i < CONTENTS; i++) contents.push((await net.registerContent(devAccount(5), policyId, v0)).contentId);
  await eventually(() => contents.every((c) => v0.store.hasDek(c)), 20_000, "initial validator derived");

  for (let round = 0; round < 3; round++) {
    await runAndKill(WORKER, [configFile, "idle"], Math.floor(random() * 1500), 60_000);
    await assertConfirmedHeld();
  }
  const child = await startValidator(childConfig, { logger: silentLogger });
  try {
    await eventually(() => contents.every((c) => child.store.hasDek(c)), 30_000, "child holds every DEK");
    await child.submitter.flush();
    const confirmed = await onChainHoldings(v0.chain.node, childAddress());
    assert.deepEqual(new Set(confirmed.map((c) => c.toLowerCase())), new Set(contents.map((c) => c.toLowerCase())));
    for (const c of contents) assert.deepEqual(child.store.getDek(c), v0.store.getDek(c));
  } finally {
    await child.stop();
  }
  assert.equal(await assertConfirmedHeld(), CONTENTS);
});

test("SIGKILL during audit batching: every acknowledged rewrap is on chain exactly once", async () => {
  // The child must hold every DEK itself (the previous test's end state); otherwise it forwards
  // requests and the holder's records, not the child's, would be on chain.
  assert.equal(await assertConfirmedHeld(), CONTENTS, "precondition: the child holds and has confirmed every content");
  const contentsFile = join(tempDir(), "contents.json");
  writeFileSync(contentsFile, JSON.stringify(contents));
  const acknowledged: string[] = [];
  for (let round = 0; round < 3; round++) {
    const lines = await runAndKill(WORKER, [configFile, "rewrap", contentsFile], 800 + Math.floor(random() * 2500), 60_000);
    acknowledged.push(...lines.filter((l) => /^[0-9a-f]{64}$/.test(l)));
  }
  assert.ok(acknowledged.length > 0, "the worker acknowledged rewraps");
  const child = await startValidator(childConfig, { logger: silentLogger });
  try {
    await child.submitter.flush();
  } finally {
    await child.stop();
  }
  const audit = await onChainAudit(v0.chain.node, childAddress());
  const counts = countDigests(audit);
  for (const [digest, n] of counts) assert.equal(n, 1, `digest ${digest} recorded ${n} times`);
  for (const digest of acknowledged) assert.equal(counts.get(`0x${digest}` as Hex), 1, `acknowledged rewrap ${digest} missing on chain`);
  assert.deepEqual(audit.batches.map((b) => b.batchId), audit.batches.map((_, i) => BigInt(i + 1)), "batch ids contiguous");
});
