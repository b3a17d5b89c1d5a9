/**
 * Errors that say what to do, for the mistakes found before or without a network: each message
 * names the value at fault and the next step. bin/dekmesh as users run it; services that are
 * not there are loopback ports nothing listens on. (Errors that need a chain — reverts, an
 * unknown attribute, a short balance — are in cli.test.ts, on its devnet.)
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT } from "../../../node/devnet/paths.js";

const BIN = path.join(REPO_ROOT, "bin", "dekmesh");
const CONTENT_ID = `0x${"ab".repeat(32)}`;
const NOBODY = "http://127.0.0.1:9";

let dir: string;
let env: NodeJS.ProcessEnv;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-cli-errors-"));
  // Endpoints nothing listens on; no DEKMESH_* from the test runner.
  const endpoints = path.join(dir, "endpoints.json");
  fs.writeFileSync(endpoints, JSON.stringify({ rpcUrl: NOBODY, chainId: 31337, indexerUrl: NOBODY }));
  env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEKMESH_"))), DEKMESH_ENDPOINTS: endpoints };
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function dekmesh(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...env, ...extraEnv }, cwd: dir, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("errors that say what to do", () => {
  it("error: an unreachable indexer names its URL and the flag that sets it (exit 4)", async () => {
    const run = await dekmesh(["holders", CONTENT_ID]);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /cannot reach the indexer at http:\/\/127\.0\.0\.1:9: is it running \(npm start\), or is --indexer-url/);
    const listed = await dekmesh(["attr", "list", "--json"]);
    assert.equal(listed.code, 4);
    assert.equal(JSON.parse(listed.stdout).error.details.indexerUrl, NOBODY);
  });

  it("error: a bad key says whether the file or the environment held it, and never echoes it", async () => {
    const keyFile = path.join(dir, "bad.key");
    fs.writeFileSync(keyFile, "0xdeadbeef-secret\n");
    const fromFile = await dekmesh(["policy", "list", "--key-file", keyFile]);
    assert.equal(fromFile.code, 1);
    assert.match(fromFile.stderr, new RegExp(`the account key in the key file ${keyFile} is not a private key: it must be 64 hex digits \\(0x optional\\)`));
    assert.doesNotMatch(fromFile.stderr, /deadbeef/);
    const fromEnv = await dekmesh(["policy", "list"], { DEKMESH_PRIVATE_KEY: "not-a-key" });
    assert.equal(fromEnv.code, 1);
    assert.match(fromEnv.stderr, /the account key in the environment variable DEKMESH_PRIVATE_KEY is not a private key/);
    // 64 hex digits without 0x are a key, as for cast: the command gets as far as the indexer.
    fs.writeFileSync(keyFile, `${"59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"}\n`);
    const bare = await dekmesh(["policy", "list", "--key-file", keyFile]);
    assert.equal(bare.code, 4, bare.stderr);
    assert.match(bare.stderr, /cannot reach the indexer/);
  });

  it("error: an output path that cannot be written is exit 3 naming the path, before anything is fetched", async () => {
    const missing = path.join(dir, "no-such-dir", "out.bin");
    const run = await dekmesh(["decrypt", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "-o", missing]);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, new RegExp(`cannot write ${missing}: the directory ${path.dirname(missing)} does not exist \\(create it, or choose another -o\\)`));
    const intoDir = await dekmesh(["decrypt", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "-o", dir, "--json"]);
    assert.equal(intoDir.code, 3);
    assert.equal(JSON.parse(intoDir.stdout).error.code, "CLI_OUTPUT_PATH");
  });

  it("error: a configuration that cannot be read is exit 1 with what to do", async () => {
    const missing = path.join(dir, "nowhere.json");
    const run = await dekmesh(["holders", CONTENT_ID, "--endpoints", missing]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`cannot read the endpoints file ${missing}: start a devnet \\(npm start\\) or point --endpoints`));
    const empty = path.join(dir, "empty.json");
    fs.writeFileSync(empty, "{}");
    const unset = await dekmesh(["holders", CONTENT_ID, "--endpoints", empty]);
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /no chain RPC URL: pass --rpc-url, set DEKMESH_RPC_URL, or start a devnet \(npm start\)/);
  });

  it("error: typos get did-you-mean for commands, subcommands and flags", async () => {
    const command = await dekmesh(["uplaod", "f"]);
    assert.equal(command.code, 1);
    assert.match(command.stderr, /unknown command "uplaod" \(did you mean upload\?\)/);
    const sub = await dekmesh(["policy", "shwo", "1"]);
    assert.equal(sub.code, 1);
    assert.match(sub.stderr, /unknown command: policy "shwo" \(did you mean show\?\)/);
    const flag = await dekmesh(["holders", CONTENT_ID, "--jsno"]);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /Unknown option '--jsno'.*\(did you mean --json\?\)/);
    const far = await dekmesh(["frobnicate"]);
    assert.doesNotMatch(far.stderr, /did you mean/, "no suggestion when nothing is close");
  });
});
