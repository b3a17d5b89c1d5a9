/**
 * threshold:M/N from the command line (bin/dekmesh as a child process against a devnet of three
 * validators): `upload --replication threshold:2/3` names the members, `holders` lists them with
 * their share indexes, `decrypt` reads the file back from two members' shares and warns, naming
 * the member, when one answers a wrong share (the validators' test-only fault); a bad spec is a
 * usage error before anything is sent.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesToHex, type Address } from "viem";
import { devAccount, startDevnet, writeEndpoints, type Devnet } from "../../../node/devnet/index.js";
import { REPO_ROOT } from "../../../node/devnet/paths.js";

const BIN = path.join(REPO_ROOT, "bin", "dekmesh");
const PUBLISHER = 5;
const READER = 6;

let dir: string;
let devnet: Devnet;
let env: NodeJS.ProcessEnv;

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

function keyFile(index: number): string {
  const file = path.join(dir, `key-${index}`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${bytesToHex(devAccount(index).getHdKey().privateKey!)}\n`, { mode: 0o600 });
  return file;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-threshold-cli-"));
  devnet = await startDevnet({ dir, removeDir: false, validators: 3, logLevel: "warn", ipfs: false });
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEKMESH_")));
  env.DEKMESH_ENDPOINTS = writeEndpoints(dir, devnet.endpoints);
  fs.writeFileSync(path.join(dir, "secret.bin"), randomBytes(300_000));
});

after(async () => {
  delete process.env.DEKMESH_TEST_FAULT_WRONG_SHARE;
  await devnet?.stop();
  if (dir && process.env.DEKMESH_KEEP_RUN_DIRS !== "1") fs.rmSync(dir, { recursive: true, force: true });
});

describe("threshold from the command line", () => {
  let cid: string;
  let members: Address[];

  it("refuses a bad threshold spec as a usage error", async () => {
    for (const spec of ["threshold:4/3", "threshold:1/3", "threshold:3/17", "threshold:3"]) {
      const run = await dekmesh(["upload", "secret.bin", "--replication", spec, "--key-file", keyFile(PUBLISHER), "--json"]);
      assert.equal(run.code, 1, run.stderr + run.stdout);
      const error = (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, "CLI_USAGE");
      assert.match(error.message, /threshold:M\/N/);
    }
  });

  it("uploads with --replication threshold:2/3 and names the members", async () => {
    const run = await dekmesh(["upload", "secret.bin", "--replication", "threshold:2/3", "--allow", devAccount(READER).address, "--key-file", keyFile(PUBLISHER), "--json"]);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const result = JSON.parse(run.stdout) as { cid: string; threshold: { m: number; n: number; members: Address[] } };
    assert.deepEqual([result.threshold.m, result.threshold.n, result.threshold.members.length], [2, 3, 3]);
    ({ cid, members } = { cid: result.cid, members: result.threshold.members });
  });

  it("holders shows the members with their share indexes", async () => {
    const run = await dekmesh(["holders", cid]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /threshold:2\/3: any 2 of 3 members serve a reader/);
    assert.match(run.stdout, /^SLOT\s+SHARE\s+MEMBER\s+STATE/m);
    for (const [slot, member] of members.entries()) {
      assert.match(run.stdout, new RegExp(`^${slot}\\s+${slot + 1}\\s+${member.slice(0, 6).toLowerCase()}`, "m"), `slot ${slot}: ${run.stdout}`);
    }
  });

  it("decrypts from two members' shares, and warns naming a member that answers a wrong share", async () => {
    const out = path.join(dir, "plain.bin");
    const plain = await dekmesh(["decrypt", cid, "-o", out, "--key-file", keyFile(READER)]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(fs.readFileSync(out).equals(fs.readFileSync(path.join(dir, "secret.bin"))), "byte for byte");
    assert.doesNotMatch(plain.stderr, /warning/);

    const cheater = devnet.validators.find((v) => v.address.toLowerCase() === members[0]!.toLowerCase())!;
    process.env.DEKMESH_TEST_FAULT_WRONG_SHARE = bytesToHex(cheater.store.currentKasKey()!.kid);
    // Three members asked at once for two shares: the cheater's answer is read unless it comes last.
    let warned: Run | undefined;
    for (let attempt = 0; attempt < 10 && warned === undefined; attempt++) {
      const run = await dekmesh(["decrypt", cid, "-o", out, "--validator", cheater.address, "--key-file", keyFile(READER), "--json"]);
      assert.equal(run.code, 0, run.stderr);
      if (/warning/.test(run.stderr)) warned = run;
    }
    assert.ok(warned, "the cheating member was caught");
    assert.match(warned.stderr, new RegExp(`member ${cheater.address} \\(share 1\\) answered a share that fails the content's commitments`, "i"));
    const result = JSON.parse(warned.stdout) as { bytes: number; badShares: { member: string; index: number; answer: string }[] };
    assert.equal(result.bytes, 300_000);
    assert.deepEqual([result.badShares[0]!.member.toLowerCase(), result.badShares[0]!.index, result.badShares[0]!.answer.length], [cheater.address.toLowerCase(), 1, 2 + 148 * 2]);
    assert.ok(fs.readFileSync(out).equals(fs.readFileSync(path.join(dir, "secret.bin"))));
  });
});
