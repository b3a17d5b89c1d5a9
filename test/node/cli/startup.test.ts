/**
 * What `dekmesh` loads before it answers: help and usage errors must come back at the speed of
 * a bare `node`, so they may load neither the SDK nor viem, libp2p, Helia or the chain and
 * indexer clients. bin/dekmesh runs with a module hook (NODE_OPTIONS=--import) that records
 * every module URL resolved; no network, no devnet.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT } from "../../../node/devnet/paths.js";

const BIN = path.join(REPO_ROOT, "bin", "dekmesh");

/** Modules only a command that talks to the network may load. */
const HEAVY = [
  /\/node_modules\/(viem|ox|libp2p|@libp2p|@chainsafe|helia|@helia|@noble\/curves|ipfs-unixfs-importer|@ponder)\//,
  /\/node\/(sdk|chain|indexer-client|ipfs|validator|p2p|rewrap|replication|crypto\/tdf|crypto\/envelopes)\//,
];

let dir: string;
let hook: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-cli-startup-"));
  hook = path.join(dir, "trace.mjs");
  fs.writeFileSync(
    hook,
    `import { registerHooks } from "node:module";
import fs from "node:fs";
const urls = [];
registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); urls.push(result.url); return result; } });
process.on("exit", () => fs.writeFileSync(process.env.DEKMESH_TRACE_FILE, urls.join("\\n")));
`,
  );
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

let runs = 0;

/** Runs bin/dekmesh with `args` under the hook: exit code, output, and the module URLs it loaded. */
function traced(args: string[]): Promise<{ code: number; stdout: string; stderr: string; modules: string[] }> {
  const trace = path.join(dir, `trace-${runs++}.txt`);
  const env = { ...process.env, NODE_OPTIONS: `--import ${hook}`, DEKMESH_TRACE_FILE: trace, DEKMESH_ENDPOINTS: path.join(dir, "none.json") };
  return new Promise((resolve) => {
    execFile(BIN, args, { env, cwd: dir, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr, modules: fs.readFileSync(trace, "utf8").split("\n") });
    });
  });
}

function assertLight(modules: string[], what: string): void {
  assert.ok(modules.some((url) => url.endsWith("/node/cli/main.ts") || url.endsWith("/node/cli/main.js")), `${what}: the trace saw the CLI load`);
  const heavy = modules.filter((url) => HEAVY.some((pattern) => pattern.test(url)));
  assert.deepEqual(heavy, [], `${what} loaded heavy modules`);
}

describe("startup", () => {
  it("dekmesh --help loads no SDK, viem or libp2p module", async () => {
    const run = await traced(["--help"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /usage: dekmesh <command>/);
    assertLight(run.modules, "--help");
  });

  it("a command's and a group's --help load none either", async () => {
    for (const args of [["upload", "--help"], ["validator", "stake", "--help"], ["policy", "--help"]]) {
      const run = await traced(args);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /usage: dekmesh /);
      assertLight(run.modules, args.join(" "));
    }
  });

  it("usage errors are found before anything heavy loads", async () => {
    const cases: [string[], RegExp][] = [
      [["holders", "0xzz"], /not a CID or a 0x contentId .*: "0xzz"/],
      [["holders", "bafnotacid"], /not a CID or a 0x contentId: "bafnotacid"/],
      [["attr", "grant", "clearance/secret", "0x1234"], /<account> must be a 0x address of 40 hex digits, not "0x1234"/],
      [["upload", "/etc/hostname", "--replication", "sideways:3"], /--replication must be all, stake:K/],
      [["upload", "/etc/hostname", "--replication", "threshold:4/3"], /--replication threshold:4\/3: threshold:M\/N needs 2 ≤ M ≤ N ≤ 16/],
      [["policy", "show", "twelve"], /a policy id is a decimal integer, not "twelve"/],
    ];
    for (const [args, message] of cases) {
      const run = await traced(args);
      assert.equal(run.code, 1, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assertLight(run.modules, args.join(" "));
    }
  });
});
