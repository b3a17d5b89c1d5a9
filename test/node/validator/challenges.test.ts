/**
 * Withheld-service challenges against running validators (docs/challenges.md): the daemon of a
 * challenged holder answers on chain by itself — the reader opens the DEK from the posted
 * envelope with its one-time key and loses its bond to the holder; a holder that was down when
 * challenged answers after its restart (it looks one window back); and a holder that is down
 * through the window is slashed and jailed when anyone resolves, the reader getting its bond
 * back and a share of the stake; a holder SIGKILLed right after a challenge against it opened
 * answers once it runs again.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createWalletClient, getAddress, hexToBytes, http, maxUint256, parseEventLogs, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { adjudicatorAbi, stakeTokenAbi } from "../../../build/abi/index.js";
import { unwrapRewrap } from "../../../node/crypto/envelopes/rewrap.js";
import { P256PrivateKey } from "../../../node/crypto/keys/p256.js";
import { deriveNodeKeys } from "../../../node/crypto/keys/index.js";
import { HARDHAT_MNEMONIC, stablePort } from "../../../node/devnet/index.js";
import type { Validator } from "../../../node/validator/index.js";
import { devAccount, eventually, Net, removeTempDirs, tempDir } from "./helpers.js";

const TOKEN = 10n ** 18n;
const STATUS = { Open: 1, Answered: 2, Slashed: 3 } as const;
const JAILED = 5;

let net: Net;
let holder: Validator;
let adjudicator: Address;
/** The crash test's holder, a child process (./crashWorker.ts). */
let crashed: ChildProcess | undefined;
const reader = devAccount(6);
const publisher = devAccount(5);

before(async () => {
  net = await Net.start();
  adjudicator = getAddress(net.stack.deployment.deployment.contracts.Adjudicator.address);
  holder = await net.startValidator(0);
  await net.send(devAccount(0), "StakeToken", "mint", [reader.address, 100n * TOKEN]);
  await writeAs(reader, { address: net.addresses.StakeToken, abi: stakeTokenAbi, functionName: "approve", args: [adjudicator, maxUint256] });
});

after(async () => {
  crashed?.kill("SIGKILL");
  await holder?.stop();
  await net?.stop();
  removeTempDirs();
});

async function writeAs(account: typeof reader, call: { address: Address; abi: readonly unknown[]; functionName: string; args: readonly unknown[] }) {
  const wallet = createWalletClient({ chain: hardhat, transport: http(net.stack.chain.url), account });
  const hash = await wallet.writeContract(call as never);
  const receipt = await net.public.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  assert.equal(receipt.status, "success", `${call.functionName} reverted`);
  return receipt;
}

const balance = (account: Address) => net.read<bigint>("StakeToken", "balanceOf", [account]);
const challengeOf = (id: bigint) =>
  net.public.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "challenge", args: [id] });

/** The reader challenges `accused` over `contentId` with a fresh one-time key; returns the id and the key. */
async function openChallenge(contentId: Hex, accused: Address) {
  const clientKey = P256PrivateKey.generate();
  const block = await net.public.getBlock();
  const request = { contentId, clientPublicKey: `0x${Buffer.from(clientKey.publicKey).toString("hex")}` as Hex, nonce: BigInt(Date.now()), expiry: block.timestamp + 600n };
  const receipt = await writeAs(reader, { address: adjudicator, abi: adjudicatorAbi, functionName: "openWithheld", args: [request, accused, { members: [], slots: [], slot: 0n }] });
  const [opened] = parseEventLogs({ abi: adjudicatorAbi, eventName: "WithheldServiceRequested", logs: receipt.logs });
  return { id: opened!.args.id, requestDigest: opened!.args.requestDigest, clientKey };
}

test("a running honest holder answers a withheld-service challenge by itself and takes the bond", async () => {
  const policyId = await net.createPolicy(publisher, "all");
  const { contentId, dek } = await net.registerContent(publisher, policyId, holder);
  await eventually(() => holder.store.hasDek(contentId), 15_000, "holder derived the DEK");
  const bond = await net.public.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "bond" });
  const before = { reader: await balance(reader.address), holder: await balance(holder.address), stake: (await net.read<{ stake: bigint }>("ValidatorRegistry", "validator", [holder.address])).stake };

  const { id, requestDigest, clientKey } = await openChallenge(contentId, holder.address);
  await eventually(async () => (await challengeOf(id)).status === STATUS.Answered, 20_000, "the daemon's answer on chain");

  const [answered] = await net.public.getContractEvents({ address: adjudicator, abi: adjudicatorAbi, eventName: "ChallengeAnswered", args: { id }, fromBlock: 0n });
  const envelope = hexToBytes(answered!.args.answer!).subarray(0, 82);
  assert.deepEqual(unwrapRewrap({ envelope, clientPrivateKey: clientKey, requestDigest: hexToBytes(requestDigest) }), dek, "the posted envelope opens to the content's DEK");
  assert.equal(await balance(reader.address), before.reader - bond, "the frivolous challenger lost its bond");
  assert.equal(await balance(holder.address), before.holder + bond, "the holder was paid the bond");
  const after = await net.read<{ stake: bigint; status: number }>("ValidatorRegistry", "validator", [holder.address]);
  assert.equal(after.stake, before.stake);
  assert.equal(await net.read<boolean>("ValidatorRegistry", "isActive", [holder.address]), true);

  const metrics = await (await fetch(`${holder.httpUrl}/metrics`)).text();
  assert.match(metrics, /^dekmesh_challenges_total\{kind="rewrap",outcome="answered"\} 1$/m);
});

test("a holder that was down when challenged answers once it restarts, within the window", async () => {
  const policyId = await net.createPolicy(publisher, "all");
  const { contentId, dek } = await net.registerContent(publisher, policyId, holder);
  await eventually(() => holder.store.hasDek(contentId), 15_000, "holder derived the DEK");
  const dataDir = holder.config.dataDir;
  await holder.stop();
  const { id, requestDigest, clientKey } = await openChallenge(contentId, holder.address);
  holder = await net.startValidator(0, { dataDir });
  await eventually(async () => (await challengeOf(id)).status === STATUS.Answered, 20_000, "the restarted daemon's answer");
  const [answered] = await net.public.getContractEvents({ address: adjudicator, abi: adjudicatorAbi, eventName: "ChallengeAnswered", args: { id }, fromBlock: 0n });
  const envelope = hexToBytes(answered!.args.answer!).subarray(0, 82);
  assert.deepEqual(unwrapRewrap({ envelope, clientPrivateKey: clientKey, requestDigest: hexToBytes(requestDigest) }), dek);
});

/** `dekmesh validator run --config <file>` in a child process (./crashWorker.ts); resolves once it is ready. */
function runChildValidator(configFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", new URL("./crashWorker.ts", import.meta.url).pathname, configFile, "idle"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => chunk.includes("ready") && resolve(child));
    child.once("exit", (code, signal) => reject(new Error(`child validator exited before it was ready (${code}, ${signal})`)));
  });
}

test("crash: a holder SIGKILLed right after a challenge against it opened answers once it runs again", async () => {
  const CHILD = 3;
  const childAddress = deriveNodeKeys(HARDHAT_MNEMONIC, CHILD).account.address as Address;
  await net.fundNode(CHILD);
  const configFile = join(tempDir(), "child.json");
  const config = net.config(CHILD, { p2p: { listen: [`/ip4/127.0.0.1/tcp/${await stablePort()}`] }, http: { port: await stablePort() }, logLevel: "silent" });
  writeFileSync(configFile, JSON.stringify({ ...config, mnemonic: HARDHAT_MNEMONIC }));
  crashed = await runChildValidator(configFile);

  // Under "all" every active validator is a holder: challenged, the child asks replication for the DEK it lacks.
  assert.equal(await net.read<boolean>("ValidatorRegistry", "isActive", [childAddress]), true);
  const policyId = await net.createPolicy(publisher, "all");
  const { contentId, dek } = await net.registerContent(publisher, policyId, holder);
  await eventually(() => holder.store.hasDek(contentId), 15_000, "holder derived the DEK");

  const { id, requestDigest, clientKey } = await openChallenge(contentId, childAddress);
  crashed.kill("SIGKILL");
  await new Promise((resolve) => crashed!.once("exit", resolve));
  assert.equal((await challengeOf(id)).status, STATUS.Open, "killed before it answered: the daemon polls once a second");

  crashed = await runChildValidator(configFile);
  await eventually(async () => (await challengeOf(id)).status === STATUS.Answered, 30_000, "the restarted daemon's answer");
  const [answered] = await net.public.getContractEvents({ address: adjudicator, abi: adjudicatorAbi, eventName: "ChallengeAnswered", args: { id }, fromBlock: 0n });
  const envelope = hexToBytes(answered!.args.answer!).subarray(0, 82);
  assert.deepEqual(unwrapRewrap({ envelope, clientPrivateKey: clientKey, requestDigest: hexToBytes(requestDigest) }), dek);
  crashed.kill("SIGKILL");
  crashed = undefined;
});

test("a holder that is down through the window is slashed and jailed; the reader gets its bond and a share", async () => {
  const policyId = await net.createPolicy(publisher, "all");
  const { contentId } = await net.registerContent(publisher, policyId, holder);
  await eventually(() => holder.store.hasDek(contentId), 15_000, "holder derived the DEK");
  await holder.stop();
  const window = await net.public.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "answerWindow" });
  const bond = await net.public.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "bond" });
  const stake = (await net.read<{ stake: bigint }>("ValidatorRegistry", "validator", [holder.address])).stake;
  const readerBefore = await balance(reader.address);

  const { id } = await openChallenge(contentId, holder.address);
  await net.public.request({ method: "hardhat_mine" as never, params: [`0x${(window + 1n).toString(16)}`] as never });
  await writeAs(publisher, { address: adjudicator, abi: adjudicatorAbi, functionName: "resolve", args: [id] });

  assert.equal((await challengeOf(id)).status, STATUS.Slashed);
  const slashed = (stake * BigInt(await net.public.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "slashBps" }))) / 10_000n;
  const reward = (slashed * BigInt(await net.public.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "challengerBps" }))) / 10_000n;
  const v = await net.read<{ stake: bigint; status: number }>("ValidatorRegistry", "validator", [holder.address]);
  assert.equal(v.status, JAILED);
  assert.equal(v.stake, stake - slashed);
  assert.equal(await balance(reader.address), readerBefore - bond + bond + reward);
});

