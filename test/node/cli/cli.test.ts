/**
 * The `dekmesh` CLI as users run it: bin/dekmesh spawned as a child process against a real
 * devnet (startDevnet: Hardhat chain, contracts, Ponder, 2 validators, the shared IPFS),
 * configured only through the devnet's endpoints.json (DEKMESH_ENDPOINTS) and --key-file.
 * Checks human output, --json shapes, and exit codes for good and bad input: unknown command
 * and flags, bad addresses, unknown CIDs and policies, a refused decrypt, and an operator's
 * validator lifecycle (register, stake, rotate-key, exit).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  bytesToHex,
  createPublicClient,
  createWalletClient,
  http,
  numberToHex,
  parseEther,
  type Address,
  type HDAccount,
} from "viem";
import { hardhat } from "viem/chains";
import { stakeTokenAbi } from "../../../node/chain/abis.js";
import {
  devAccount,
  HARDHAT_MNEMONIC,
  rpcRequest,
  startDevnet,
  writeEndpoints,
  type Devnet,
} from "../../../node/devnet/index.js";
import { REPO_ROOT } from "../../../node/devnet/paths.js";
import { deriveIdentity } from "../../../node/validator/index.js";

const BIN = path.join(REPO_ROOT, "bin", "dekmesh");

let dir: string;
let devnet: Devnet;
let env: NodeJS.ProcessEnv;
const keyFiles = new Map<number, string>();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/dekmesh with `args`; never throws on a non-zero exit. */
function dekmesh(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...env, ...extraEnv }, cwd: dir, timeout: 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `dekmesh … --json` that must succeed; its parsed stdout. */
async function json<T = Record<string, unknown>>(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<T> {
  const run = await dekmesh([...args, "--json"], extraEnv);
  assert.equal(run.code, 0, `dekmesh ${args.join(" ")} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

/** `dekmesh … --json` that must fail with `code`; its `error` object. */
async function fails(args: string[], exitCode: number, extraEnv?: NodeJS.ProcessEnv): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const run = await dekmesh([...args, "--json"], extraEnv);
  assert.equal(run.code, exitCode, `dekmesh ${args.join(" ")}: expected exit ${exitCode}, got ${run.code}: ${run.stderr}${run.stdout}`);
  const body = JSON.parse(run.stdout) as { error: { code: string; message: string; details: Record<string, unknown>; exitCode: number } };
  assert.equal(body.error.exitCode, exitCode);
  return body.error;
}

function keyFile(index: number): string {
  let file = keyFiles.get(index);
  if (file === undefined) {
    file = path.join(dir, `key-${index}`);
    fs.writeFileSync(file, `${bytesToHex(devAccount(index).getHdKey().privateKey!)}\n`, { mode: 0o600 });
    keyFiles.set(index, file);
  }
  return file;
}

const AUTHORITY = 0; // the deployer: authority of the namespaces it creates, minter of stake
const READER = 8;
const OUTSIDER = 9;
const address = (index: number): Address => devAccount(index).address;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-cli-"));
  devnet = await startDevnet({ dir, removeDir: false, validators: 2, logLevel: "warn" });
  const endpointsFile = writeEndpoints(dir, devnet.endpoints);
  // Only the endpoints file configures the CLI: no DEKMESH_* leaks in from the test runner.
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEKMESH_")));
  env.DEKMESH_ENDPOINTS = endpointsFile;
});

after(async () => {
  await devnet?.stop();
  if (dir && process.env.DEKMESH_KEEP_RUN_DIRS !== "1") fs.rmSync(dir, { recursive: true, force: true });
});

describe("command line", () => {
  it("prints help, and refuses unknown commands and flags with exit 1", async () => {
    const help = await dekmesh(["--help"]);
    assert.equal(help.code, 0);
    for (const command of ["upload", "decrypt", "holders", "audit", "policy show", "attr grant", "validator rotate-key", "devnet"]) {
      assert.match(help.stdout, new RegExp(`\\n  ${command} `));
    }
    const sub = await dekmesh(["upload", "--help"]);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /usage: dekmesh upload <file>/);
    assert.match(sub.stdout, /--replication/);

    const none = await dekmesh([]);
    assert.equal(none.code, 1);
    const unknown = await dekmesh(["frobnicate"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.equal(unknown.stdout, "");

    const flag = await fails(["holders", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--frobnicate"], 1);
    assert.equal(flag.code, "CLI_USAGE");
    assert.match(flag.message, /--frobnicate/);
    await fails(["policy", "show"], 1); // missing <id>
    await fails(["policy", "show", "12", "13"], 1); // one too many
    await fails(["policy", "explode", "1"], 1);
    // validator run is node/validator's runValidatorCommand, its exit codes mapped to ours.
    const runHelp = await dekmesh(["validator", "run", "--help"]);
    assert.equal(runHelp.code, 0);
    assert.match(runHelp.stderr + runHelp.stdout, /usage: dekmesh validator run/);
    assert.equal((await dekmesh(["validator", "run", "--bogus"])).code, 1);
  });

  it("refuses bad addresses, CIDs and values before touching the network", async () => {
    await fails(["audit", "--requester", "0x1234"], 1);
    // A mixed-case address with a wrong EIP-55 checksum is refused, not used.
    const checksummed = address(READER);
    const wrong = checksummed.slice(0, 2) + [...checksummed.slice(2)].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join("");
    await fails(["attr", "grant", "clearance/secret", wrong, "--key-file", keyFile(AUTHORITY)], 1);
    await fails(["holders", "not-a-cid"], 1);
    await fails(["upload", path.join(dir, "missing.txt")], 3);
    await fails(["upload", "/etc/hostname", "--replication", "sideways:3"], 1);
    await fails(["upload", "/etc/hostname", "--attr", "no-slash"], 1);
    const badKey = path.join(dir, "bad-key");
    fs.writeFileSync(badKey, "0xnot-a-key-at-all-but-secret\n");
    const error = await fails(["policy", "create", "--key-file", badKey], 1);
    assert.doesNotMatch(error.message, /secret/, "a malformed key is never echoed");
  });

  it("reports an unknown content (3) and an unreachable indexer (4)", async () => {
    const unknownCid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    const notFound = await fails(["holders", unknownCid], 3);
    assert.equal(notFound.code, "INDEXER_NOT_FOUND");
    await fails(["policy", "show", "999999"], 3);
    await fails(["audit"], 4, { DEKMESH_INDEXER_URL: "http://127.0.0.1:9" });
  });
});

describe("publish and read through the CLI", () => {
  const plaintext = randomBytes(300_000);
  let cid: string;
  let policyId: string;

  it("creates the attribute and grants it to the reader", async () => {
    const created = await json(["attr", "create", "clearance", "--rule", "hierarchy", "--values", "topsecret,secret,confidential", "--key-file", keyFile(AUTHORITY)]);
    assert.match(String(created.id), /^0x[0-9a-f]{64}$/);
    const granted = await json(["attr", "grant", "clearance/secret", address(READER), "--key-file", keyFile(AUTHORITY)]);
    assert.equal(granted.attribute, "clearance/secret");
    // The outsider gets a grant and loses it again.
    await json(["attr", "grant", "clearance/secret", address(OUTSIDER), "--key-file", keyFile(AUTHORITY)]);
    const revoked = await json(["attr", "revoke", "clearance/secret", address(OUTSIDER), "--key-file", keyFile(AUTHORITY)]);
    assert.equal(revoked.revoked, true);
    // Only the namespace's authority may grant: the chain reverts, exit 2.
    await fails(["attr", "grant", "clearance/secret", address(OUTSIDER), "--key-file", keyFile(READER)], 2);
    await fails(["attr", "grant", "nosuch/value", address(OUTSIDER), "--key-file", keyFile(AUTHORITY)], 3);
  });

  it("error: a revert is a sentence; its Solidity name is in --json and --verbose", async () => {
    const args = ["attr", "grant", "clearance/secret", address(OUTSIDER), "--key-file", keyFile(READER)];
    const human = await dekmesh(args);
    assert.equal(human.code, 2);
    assert.match(human.stderr, /only the namespace's authority \(its creator\) may do this: use its key/);
    assert.doesNotMatch(human.stderr, /AttributeRegistry[A-Z]/, "no Solidity name without --verbose");
    const verbose = await dekmesh([...args, "--verbose"]);
    assert.match(verbose.stderr, /contract error: AttributeRegistry\w*NotAuthority/);
    const error = await fails(args, 2);
    assert.match(String(error.details.errorName), /^AttributeRegistry\w*NotAuthority$/);
  });

  it("error: an unknown attribute lists the namespace's values, with did-you-mean", async () => {
    const file = path.join(dir, "typo.txt");
    fs.writeFileSync(file, "typo\n");
    const value = await dekmesh(["upload", file, "--attr", "clearance/secrte"]);
    assert.equal(value.code, 3, value.stderr);
    assert.match(value.stderr, /namespace clearance has no value secrte \(did you mean secret\?\): its values are topsecret, secret, confidential/);
    const namespace = await dekmesh(["upload", file, "--attr", "clearence/secret"]);
    assert.equal(namespace.code, 3);
    assert.match(namespace.stderr, /no attribute namespace clearence \(did you mean clearance\?\): the namespaces are clearance/);
  });

  it("error: a short balance says whose and how to fund it", async () => {
    const broke = path.join(dir, "broke.key");
    fs.writeFileSync(broke, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    const run = await dekmesh(["policy", "create", "--key-file", broke]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /(0x[0-9a-fA-F]{40}) has not enough ETH to pay for gas: on this dev chain: dekmesh devnet fund 0x[0-9a-fA-F]{40} --eth 10/);
  });

  it("lists namespaces and shows one with its live grants", async () => {
    const listed = await json<{ namespaces: { name: string; rule: string; values: string[] }[] }>(["attr", "list"]);
    assert.deepEqual(listed.namespaces.find((n) => n.name === "clearance"), { ...listed.namespaces.find((n) => n.name === "clearance")!, rule: "hierarchy", values: ["topsecret", "secret", "confidential"] });
    const shown = await json<{ grants: { account: string; value: string }[] }>(["attr", "show", "clearance"]);
    assert.deepEqual(shown.grants.map((g) => [g.account.toLowerCase(), g.value]), [[address(READER).toLowerCase(), "secret"]], "the outsider's revoked grant is not listed");
    const human = await dekmesh(["attr", "show", "clearance"], { COLUMNS: "60" });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /ACCOUNT\s+VALUE\s+EXPIRES\n0x[0-9a-f]{4}…[0-9a-f]{4}\s+clearance\/secret/, "addresses shortened to fit 60 columns");
    const missing = await fails(["attr", "show", "clearence"], 3);
    assert.match(missing.message, /"clearence".*dekmesh attr list/);
  });

  it("uploads a file and prints its CID (the demo account publishes)", async () => {
    const file = path.join(dir, "secret.bin");
    fs.writeFileSync(file, plaintext);
    const result = await json<{ cid: string; policyId: string; validator: string; transactionHash: string; bytes: number }>([
      "upload", file, "--attr", "clearance/secret", "--replication", "stake:2",
    ]);
    assert.match(result.cid, /^baf/);
    assert.match(result.policyId, /^\d+$/);
    assert.ok(devnet.endpoints.validators.some((v) => v.address.toLowerCase() === result.validator.toLowerCase()));
    cid = result.cid;
    policyId = result.policyId;
    // Human mode: stdout is just the CID (pipe-friendly), details on stderr.
    const human = await dekmesh(["upload", file, "--attr", "clearance/secret", "--replication", "stake:2", "--policy", policyId]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout.trim(), /^baf[a-z0-9]+$/, "stdout is only the CID");
    assert.match(human.stderr, /policy\s+\d+/);
    assert.equal(result.bytes, plaintext.length, "bytes is the file's size, as in decrypt");
    // The same terms again, without --policy: the policy the first run created is reused.
    const again = await json<{ policyId: string }>(["upload", file, "--attr", "clearance/secret", "--replication", "stake:2"]);
    assert.equal(again.policyId, policyId);
    const noted = await dekmesh(["upload", file, "--attr", "clearance/secret", "--replication", "stake:2"]);
    assert.match(noted.stderr, new RegExp(`reusing policy ${policyId} `));
    // A condition is a term too: the unconditioned policy is never reused for it (the content
    // would be readable without the condition), and the conditioned one is, the second time.
    const gatedArgs = ["upload", file, "--attr", "clearance/secret", "--replication", "stake:2", "--condition", "time>=1000000000"];
    const gated = await json<{ policyId: string }>(gatedArgs);
    assert.notEqual(gated.policyId, policyId);
    assert.equal((await json<{ policyId: string }>(gatedArgs)).policyId, gated.policyId);
  });

  it("warns before stake:K above the active set and a --not-after in the past", async () => {
    const file = path.join(dir, "warned.txt");
    fs.writeFileSync(file, "late\n");
    const run = await dekmesh(["upload", file, "--replication", "stake:7", "--not-after", "2020-01-01"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /warning: --replication stake:7 asks for 7 holders but only 2 validators are active/);
    assert.match(run.stderr, /warning: --not-after 2020-01-01T00:00:00Z is in the past/);
  });

  it("lists the holders", async () => {
    const info = await json<{ contentId: string; policyId: string; k: number; vacant: number; pulled: number; holders: { node: string; state: string }[] }>(["holders", cid]);
    assert.equal(info.policyId, policyId);
    assert.deepEqual([info.k, info.vacant], [2, 0]);
    assert.ok(info.pulled >= 1, "the initial validator holds the key");
    assert.ok(info.holders.length >= 1);
    assert.ok(info.holders.every((h) => ["confirmed", "initial", "assigned", "computed"].includes(h.state)));
    const human = await dekmesh(["holders", info.contentId]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /VALIDATOR\s+STATE\s+IN SET\s+PULLED/);
    assert.match(human.stdout, /replication\s+stake:2: 2 of 2 slots filled, 0 vacant\n/);
    assert.match(human.stdout, new RegExp(info.holders[0]!.node, "i"));
  });

  it("shows the policy", async () => {
    const policy = await json<{ id: string; requirements: unknown[]; mode: string; k: number; revoked: boolean }>(["policy", "show", policyId]);
    assert.equal(policy.id, policyId);
    assert.equal(policy.mode, "stake");
    assert.equal(policy.k, 2);
    assert.equal(policy.requirements.length, 1);
    assert.equal(policy.revoked, false);
    const human = await dekmesh(["policy", "show", policyId]);
    assert.match(human.stdout, /requires\s+clearance\/secret\n/, "attributes by name");
    const mine = await json<{ policies: { id: string; attributes: string[] }[] }>(["policy", "list"]);
    assert.deepEqual(mine.policies.find((p) => p.id === policyId)?.attributes, ["clearance/secret"]);
    const others = await json<{ policies: unknown[] }>(["policy", "list", "--publisher", address(OUTSIDER)]);
    assert.deepEqual(others.policies, []);
  });

  it("re-seeds the key for the publisher only", async () => {
    const recovered = await json<{ validator: string; recovered: boolean }>(["recover", cid]);
    assert.equal(recovered.recovered, true);
    assert.ok(devnet.endpoints.validators.some((v) => v.address.toLowerCase() === recovered.validator.toLowerCase()));
    const refused = await fails(["recover", cid, "--key-file", keyFile(READER)], 2);
    assert.equal(refused.code, "CLIENT_RECOVERY_FAILED");
  });

  it("decrypts for a reader with the attribute, to a file and to stdout", async () => {
    const out = path.join(dir, "plain.out");
    const result = await json<{ bytes: number; file: string }>(["decrypt", cid, "-o", out, "--key-file", keyFile(READER)]);
    assert.equal(result.bytes, plaintext.length);
    assert.ok(fs.readFileSync(out).equals(plaintext));
    const piped = await new Promise<Buffer>((resolve, reject) => {
      execFile(BIN, ["decrypt", cid, "--key-file", keyFile(READER)], { env, cwd: dir, encoding: "buffer", maxBuffer: 16 << 20 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
    assert.ok(piped.equals(plaintext));
  });

  it("refuses a reader without the attribute (exit 2, reason code) and leaves no file", async () => {
    const out = path.join(dir, "outsider.out");
    const error = await fails(["decrypt", cid, "-o", out, "--key-file", keyFile(OUTSIDER)], 2);
    assert.equal(error.code, "CLIENT_REWRAP_REFUSED");
    assert.equal(error.details.rewrapCode, "REWRAP_ACCESS_DENIED");
    assert.equal(error.details.reason, "MissingAttribute");
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes("dekmesh-partial")), []);
    const human = await dekmesh(["decrypt", cid, "-o", out, "--key-file", keyFile(OUTSIDER)]);
    assert.equal(human.code, 2);
    assert.match(human.stderr, /MissingAttribute/);
  });

  it("finds the reader's rewraps in the audit trail", async () => {
    type Page = { records: { requester: string; cid: string | null; validator: string }[]; nextCursor: string | null };
    let page: Page | undefined;
    const deadline = Date.now() + 45_000;
    // Validators batch audit records (2 s) and the indexer follows the chain.
    while (Date.now() < deadline) {
      page = await json<Page>(["audit", "--cid", cid, "--requester", address(READER)]);
      if (page.records.length > 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(page && page.records.length > 0, "the reader's rewrap is audited");
    assert.ok(page.records.every((r) => r.requester.toLowerCase() === address(READER).toLowerCase() && r.cid === cid));
    const human = await dekmesh(["audit", "--cid", cid, "--limit", "1"]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /TIME\s+BLOCK\s+CID\s+REQUESTER/);
    // Two rewraps (file and stdout) make a second page; the hint is the whole command.
    const hint = /more: (dekmesh audit .*)\n/.exec(human.stderr);
    assert.ok(hint, human.stderr);
    const words = hint[1]!.split(" ");
    assert.deepEqual(words.slice(0, 6), ["dekmesh", "audit", "--cid", cid, "--limit", "1"]);
    const next = await dekmesh(words.slice(1));
    assert.equal(next.code, 0, next.stderr);
    await fails(["audit", "--limit", "0"], 1);
  });

  it("updates and revokes the policy; decrypts are refused afterwards", async () => {
    const updated = await json<{ version: number }>(["policy", "update", policyId, "--attr", "clearance/topsecret"]);
    assert.equal(updated.version, 2);
    const revoked = await json(["policy", "revoke", policyId]);
    assert.equal(revoked.revoked, true);
    await fails(["policy", "revoke", policyId, "--key-file", keyFile(READER)], 2); // not the publisher
    const error = await fails(["decrypt", cid, "-o", path.join(dir, "late.out"), "--key-file", keyFile(READER)], 2);
    assert.ok(["PolicyRevoked", "MissingAttribute"].includes(String(error.details.reason)), String(error.details.reason));
  });
});

describe("validator operator commands", () => {
  const NODE_INDEX = 7;
  let configFile: string;
  let node: Address;

  before(async () => {
    const mnemonicFile = path.join(dir, "operator.mnemonic");
    fs.writeFileSync(mnemonicFile, `${HARDHAT_MNEMONIC}\n`, { mode: 0o600 });
    configFile = path.join(dir, "validator-7.json");
    fs.writeFileSync(configFile, JSON.stringify({ mnemonicFile: "operator.mnemonic", nodeIndex: NODE_INDEX, dataDir: "validator-7", http: { publicUrl: "http://127.0.0.1:9" } }));
    node = deriveIdentity(HARDHAT_MNEMONIC, NODE_INDEX).address;
    // Gas for the node account; stake tokens for the operator (Hardhat account 0, the minter).
    const chainUrl = devnet.stack.chain.url;
    await rpcRequest(chainUrl, "hardhat_setBalance", [node, numberToHex(parseEther("10"))]);
    const operator: HDAccount = devAccount(0);
    const wallet = createWalletClient({ chain: hardhat, transport: http(chainUrl), account: operator });
    const reader = createPublicClient({ chain: hardhat, transport: http(chainUrl) });
    const hash = await wallet.writeContract({
      address: devnet.stack.deployment.deployment.contracts.StakeToken.address,
      abi: stakeTokenAbi,
      functionName: "mint",
      args: [operator.address, parseEther("1000")],
    });
    await reader.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  });

  it("registers, stakes, rotates the KAS key, exits and shows the status at each step", async () => {
    const before = await json<{ status: string; stake: string }>(["validator", "status", "--config", configFile]);
    assert.deepEqual([before.status, before.stake], ["none", "0"]);
    const registered = await json<{ node: string; kid: string }>(["validator", "register", "--config", configFile, "--multiaddr", "/ip4/127.0.0.1/tcp/9"]);
    assert.equal(registered.node.toLowerCase(), node.toLowerCase());
    const again = await fails(["validator", "register", "--config", configFile], 2);
    assert.equal(again.code, "CLI_ALREADY_REGISTERED");

    await fails(["validator", "stake", "--config", configFile, "--amount", "lots"], 1);
    const staked = await json<{ status: string; stake: string }>(["validator", "stake", "--config", configFile, "--amount", "1000"]);
    assert.equal(staked.status, "active");
    assert.equal(staked.stake, parseEther("1000").toString());
    const status = await dekmesh(["validator", "status", node]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /status\s+active\n/);
    assert.match(status.stdout, /stake\s+1000 [A-Z]+\n/, "stake in tokens, not base units");

    const rotated = await json<{ kid: string; previousKid: string }>(["validator", "rotate-key", "--config", configFile]);
    assert.equal(rotated.previousKid, registered.kid);
    assert.notEqual(rotated.kid, registered.kid);
    assert.ok(fs.existsSync(path.join(dir, "validator-7", "store")), "the new key is kept in the node's store");

    const exited = await dekmesh(["validator", "exit", "--config", configFile]);
    assert.equal(exited.code, 0, exited.stderr);
    assert.match(exited.stdout, /status\s+exiting\n/);
    assert.match(exited.stdout, /unbonding ends\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+ \w+\)/, "a date, not unix seconds");
    await fails(["validator", "exit", "--config", configFile], 2); // not active any more
    const early = await fails(["validator", "withdraw", "--config", configFile], 2);
    assert.match(early.message, new RegExp(`validator ${node} is still unbonding until \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z: withdraw after that`, "i"));
  });

  it("refuses a missing mnemonic and a node index that is not a number", async () => {
    await fails(["validator", "stake", "--amount", "1"], 1);
    await fails(["validator", "exit", "--config", configFile, "--node-index", "seven"], 1);
  });
});
