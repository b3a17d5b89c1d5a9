/**
 * `dekmesh challenge open|answer|resolve|list` against a real devnet (two validators): a
 * reader challenges a running holder, whose daemon answers; a stopped holder's operator answers
 * with `challenge answer` from the node's store; a holder down through the window is resolved,
 * slashed and jailed. Bad arguments are usage errors.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { bytesToHex, createPublicClient, http, numberToHex, type Address } from "viem";
import { hardhat } from "viem/chains";
import { devAccount, HARDHAT_MNEMONIC, rpcRequest, startDevnet, writeEndpoints, type Devnet } from "../../../node/devnet/index.js";
import { REPO_ROOT } from "../../../node/devnet/paths.js";

const BIN = path.join(REPO_ROOT, "bin", "dekmesh");
const READER = 8;
let dir: string;
let devnet: Devnet;
let env: NodeJS.ProcessEnv;
let readerKey: string;
let cid: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function dekmesh(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env, cwd: dir, timeout: 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const run = await dekmesh([...args, "--json"]);
  assert.equal(run.code, 0, `dekmesh ${args.join(" ")} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

interface Listed {
  id: string;
  kind: string;
  status: string;
  accused: Address;
}

async function statusOf(id: string): Promise<string | undefined> {
  return (await json<Listed[]>(["challenge", "list"])).find((c) => c.id === id)?.status;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-cli-challenge-"));
  devnet = await startDevnet({ dir, removeDir: false, validators: 2, logLevel: "warn" });
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEKMESH_")));
  env.DEKMESH_ENDPOINTS = writeEndpoints(dir, devnet.endpoints);
  readerKey = path.join(dir, "reader.key");
  fs.writeFileSync(readerKey, `${bytesToHex(devAccount(READER).getHdKey().privateKey!)}\n`, { mode: 0o600 });
  // The reader publishes an `all` content (a publisher may always read its own) and funds bonds.
  fs.writeFileSync(path.join(dir, "doc.txt"), "challenged content\n");
  cid = (await json<{ cid: string }>(["upload", "doc.txt", "--replication", "all", "--key-file", readerKey])).cid;
  const { contentId } = await import("../../../node/cli/args.js").then((m) => m.contentArg(cid));
  await until(async () => devnet.validators.every((v) => v.store.hasDek(contentId)), 30_000, "both validators holding the DEK");
  const { stakeTokenAbi } = await import("../../../node/chain/abis.js");
  const { createWalletClient } = await import("viem");
  const wallet = createWalletClient({ chain: hardhat, transport: http(devnet.endpoints.rpcUrl), account: devAccount(0) });
  const deployment = JSON.parse(fs.readFileSync(devnet.endpoints.deploymentFile, "utf8")) as { contracts: { StakeToken: { address: Address } } };
  const hash = await wallet.writeContract({ address: deployment.contracts.StakeToken.address, abi: stakeTokenAbi, functionName: "mint", args: [devAccount(READER).address, 1_000n * 10n ** 18n] });
  await createPublicClient({ chain: hardhat, transport: http(devnet.endpoints.rpcUrl) }).waitForTransactionReceipt({ hash });
});

after(async () => {
  await devnet?.stop();
  if (dir && process.env.DEKMESH_KEEP_RUN_DIRS !== "1") fs.rmSync(dir, { recursive: true, force: true });
});

it("open against a running holder: its daemon answers; list shows it answered", async () => {
  const holder = devnet.validators[0]!.address;
  const opened = await json<{ id: string; keyFile: string }>(["challenge", "open", cid, "--holder", holder, "--key-file", readerKey]);
  assert.equal(fs.statSync(path.join(dir, opened.keyFile)).mode & 0o777, 0o600, "the one-time key is private");
  await until(async () => (await statusOf(opened.id)) === "answered", 30_000, "the daemon's answer");
  const mine = await json<Listed[]>(["challenge", "list", "--accused", holder]);
  assert.ok(mine.some((c) => c.id === opened.id && c.kind === "withheld-rewrap"));
});

it("a stopped holder's operator answers with challenge answer; one down through the window is resolved and slashed", async () => {
  const node = devnet.validators[1]!;
  await node.stop();
  const config = path.join(dir, "validator-1.json");
  const mnemonicFile = path.join(dir, "mnemonic");
  fs.writeFileSync(mnemonicFile, `${HARDHAT_MNEMONIC}\n`, { mode: 0o600 });
  fs.writeFileSync(config, JSON.stringify({ dataDir: path.join(dir, "validator-1"), mnemonicFile, rpcUrl: devnet.endpoints.rpcUrl, deployment: devnet.endpoints.deploymentFile, indexerUrl: devnet.endpoints.indexerUrl }));

  const answered = await json<{ id: string }>(["challenge", "open", cid, "--holder", node.address, "--key-file", readerKey]);
  const result = await json<{ outcome: string }>(["challenge", "answer", answered.id, "-c", config, "--node-index", "1"]);
  assert.equal(result.outcome, "answered");
  assert.equal(await statusOf(answered.id), "answered");

  const silent = await json<{ id: string }>(["challenge", "open", cid, "--holder", node.address, "--key-file", readerKey]);
  const early = await dekmesh(["challenge", "resolve", silent.id, "--key-file", readerKey, "--json"]);
  assert.equal(early.code, 2, `resolving inside the window is refused: ${early.stdout}${early.stderr}`);
  await rpcRequest(devnet.endpoints.rpcUrl, "hardhat_mine", [numberToHex(25)]);
  const resolved = await json<{ status: string }>(["challenge", "resolve", silent.id, "--key-file", readerKey]);
  assert.equal(resolved.status, "slashed");
  const status = await json<{ status: string }>(["validator", "status", "-c", config, "--node-index", "1"]);
  assert.equal(status.status, "jailed");
});

it("refuses bad arguments before touching the chain", async () => {
  const usage = async (args: string[], mentions: RegExp) => {
    const run = await dekmesh([...args, "--json"]);
    assert.equal(run.code, 1, `dekmesh ${args.join(" ")}: ${run.stdout}${run.stderr}`);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    assert.equal(error.code, "CLI_USAGE");
    assert.match(error.message, mentions);
  };
  await usage(["challenge", "open", cid], /--holder is required/);
  await usage(["challenge", "open", cid, "--holder", "0x12"], /--holder/);
  await usage(["challenge", "resolve", "zero"], /not a challenge id/);
  await usage(["challenge", "answer", "0", "-c", "x.json"], /not a challenge id/);
  await usage(["challenge", "list", "--accused", "nobody"], /--accused/);
  await usage(["challenge", "frobnicate"], /unknown command: challenge "frobnicate"/);
});
