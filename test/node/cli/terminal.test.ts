/**
 * A newcomer's first hour in a real terminal: bin/dekmesh run in a pseudo-terminal (util-linux
 * `script`), against one devnet (chain, indexer, 2 validators): create an attribute and grant
 * it, upload with the progress bar and the labelled registration step, read the holders table
 * at 80 columns, decrypt to the terminal (the bar cleared before the plaintext), and Ctrl-C an
 * upload, in human output and with --json.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesToHex } from "viem";
import { devAccount, startDevnet, writeEndpoints, type Devnet } from "../../../node/devnet/index.js";
import { REPO_ROOT } from "../../../node/devnet/paths.js";

const BIN = path.join(REPO_ROOT, "bin", "dekmesh");
const COLUMNS = 80;
// The text util-linux `script` echoes for a Ctrl-C typed into the terminal.
const CTRL_C = "\x03";

let dir: string;
let devnet: Devnet;
let env: NodeJS.ProcessEnv;

interface TerminalRun {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr interleaved, as a person sees them). */
  screen: string;
}

/** Runs `dekmesh args` in a pseudo-terminal; types Ctrl-C once the screen shows `interruptAt`. */
function terminal(args: string[], interruptAt?: RegExp): Promise<TerminalRun> {
  const command = [BIN, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  return new Promise((resolve) => {
    // -e: script exits with the command's status; -f: flush as it comes; no typescript file.
    const child = spawn("script", ["-qefc", `stty cols ${COLUMNS}; ${command}`, "/dev/null"], { env, cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let screen = "";
    let interrupted = false;
    child.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString("utf8");
      if (interruptAt !== undefined && !interrupted && interruptAt.test(screen)) {
        interrupted = true;
        child.stdin.write(CTRL_C);
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

/** The screen as lines, with carriage-return redraws resolved to what remained visible. */
function visibleLines(screen: string): string[] {
  return screen
    .split(/\r?\n/)
    .map((line) => line.split("\r").at(-1)!.replaceAll("\x1b[K", ""))
    .filter((line) => line !== "");
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-cli-terminal-"));
  devnet = await startDevnet({ dir, removeDir: false, validators: 2, logLevel: "warn" });
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEKMESH_") && k !== "COLUMNS"));
  env.DEKMESH_ENDPOINTS = writeEndpoints(dir, devnet.endpoints);
  fs.writeFileSync(path.join(dir, "authority.key"), `${bytesToHex(devAccount(0).getHdKey().privateKey!).slice(2)}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "big.bin"), randomBytes(24 << 20));
  fs.writeFileSync(path.join(dir, "hello.txt"), "hello dekmesh\n");
  execFileSync("script", ["--version"]);
});

after(async () => {
  await devnet?.stop();
  if (dir && process.env.DEKMESH_KEEP_RUN_DIRS !== "1") fs.rmSync(dir, { recursive: true, force: true });
});

describe("the first hour in a terminal", () => {
  let cid: string;

  it("creates and grants an attribute (a key file without 0x)", async () => {
    const created = await terminal(["attr", "create", "clearance", "--rule", "hierarchy", "--values", "topsecret,secret", "--key-file", "authority.key"]);
    assert.equal(created.code, 0, created.screen);
    const granted = await terminal(["attr", "grant", "clearance/secret", devnet.endpoints.demoAccount.address, "--key-file", "authority.key"]);
    assert.equal(granted.code, 0, granted.screen);
    assert.match(granted.screen, /granted clearance\/secret to 0x/);
  });

  it("uploads with a progress bar, a labelled registration, and the CID on its own line", async () => {
    const run = await terminal(["upload", "big.bin", "--attr", "clearance/secret"]);
    assert.equal(run.code, 0, run.screen);
    assert.match(run.screen, /encrypting +\[#+-*\] +\d+%  [\d.]+ MiB \/ 24\.0 MiB/, "a bar with a total");
    assert.match(run.screen, /creating the policy on chain … \d+ s/);
    assert.match(run.screen, /registering on chain … \d+ s/);
    const lines = visibleLines(run.screen);
    cid = lines.find((line) => /^baf[a-z2-7]{20,}$/.test(line))!;
    assert.ok(cid, `the CID stands alone on a line: ${JSON.stringify(lines)}`);
    assert.match(run.screen, /bytes +24\.0 MiB/);
  });

  it("shows the holders in a table that fits 80 columns", async () => {
    const run = await terminal(["holders", cid]);
    assert.equal(run.code, 0, run.screen);
    const lines = visibleLines(run.screen);
    assert.ok(lines.some((line) => /^VALIDATOR\s+STATE\s+IN SET\s+PULLED/.test(line)));
    assert.ok(lines.some((line) => /^0x[0-9a-f]{4}…[0-9a-f]{4} /.test(line)), "addresses shortened to fit");
    for (const line of lines) assert.ok([...line].length <= COLUMNS, `wider than ${COLUMNS}: ${line}`);
  });

  it("decrypts to the terminal with the bar cleared before the plaintext", async () => {
    const uploaded = await terminal(["upload", "hello.txt", "--attr", "clearance/secret"]);
    const small = visibleLines(uploaded.screen).find((line) => /^baf[a-z2-7]{20,}$/.test(line))!;
    const run = await terminal(["decrypt", small]);
    assert.equal(run.code, 0, run.screen);
    assert.match(run.screen, /downloading +\[#{24}\] 100%  \d+ B \/ \d+ B/, "a bar with the ciphertext's total");
    assert.ok(visibleLines(run.screen).includes("hello dekmesh"), JSON.stringify(run.screen));
  });

  it("Ctrl-C after the registration was sent names the CID and what is on chain (exit 130)", async () => {
    const run = await terminal(["upload", "big.bin", "--attr", "clearance/secret", "--replication", "stake:1"], /registering on chain/);
    assert.equal(run.code, 130, run.screen);
    const shown = visibleLines(run.screen).find((line) => /^baf[a-z2-7]{20,}$/.test(line));
    assert.ok(shown, "the CID was shown before the interrupt");
    assert.match(run.screen, new RegExp(`interrupted after the registration of ${shown} was sent: it may be on chain`));
  });

  it("with --json: one document, progress only on the terminal's stderr, Ctrl-C as a JSON error", async () => {
    const done = await terminal(["holders", cid, "--json"]);
    assert.equal(done.code, 0);
    assert.equal(JSON.parse(done.screen.replaceAll("\r\n", "\n")).contentId.length, 66);
    const run = await terminal(["upload", "big.bin", "--json"], /encrypting/);
    assert.equal(run.code, 130, run.screen);
    const json = run.screen.slice(run.screen.indexOf("{")).replaceAll("\r\n", "\n");
    const error = (JSON.parse(json) as { error: { code: string; exitCode: number; details: { registration: string } } }).error;
    assert.deepEqual([error.code, error.exitCode, error.details.registration], ["CLI_INTERRUPTED", 130, "none"]);
  });
});
