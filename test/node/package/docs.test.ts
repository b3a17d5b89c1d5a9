/**
 * The docs as a newcomer runs them, against one devnet started here, each block read from the
 * markdown so the docs cannot drift from what works:
 * - README.md's CLI tour (the outsider refused), in a directory laid out like the checkout;
 * - README.md's SDK example, from the package packed with `npm pack` and installed from the
 *   tarball into a fresh project, type-checked and run with plain `node`;
 * - docs/validator.md's "Add a validator to the devnet", its shell blocks in order with only the
 *   devnet's ports in place of the defaults it names: the new validator must become active and
 *   serve the rewrap of its last block itself.
 *
 * The devnet is the compiled one of dist/, as `npm start` runs it.
 *
 * The tarball's install takes 45-60 s here (the SDK's ~620 dependency packages, from npm's
 * cache with --prefer-offline); it runs while the devnet starts. One devnet of three validators
 * serves all three (the tour's stake:3 draws three).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { Devnet } from "../../../node/devnet/index.js";
import { REPO_ROOT } from "../../../node/devnet/paths.js";
import { checkoutLike, codeBlocks, runShell } from "../helpers/docs.js";

const DIST = path.join(REPO_ROOT, "dist");
assert.ok(fs.existsSync(path.join(DIST, "node", "sdk", "index.js")), "dist/ is missing: run npm run build");
// The devnet as npm start runs it: the compiled JavaScript of dist/.
const { freePort, seedDemoAttribute, startDevnet, writeEndpoints } = (await import(
  path.join(DIST, "node", "devnet", "index.js")
)) as typeof import("../../../node/devnet/index.js");

const README = path.join(REPO_ROOT, "README.md");
/** Node 4 of the devnet's operator mnemonic, the validator docs/validator.md adds. */
const NODE_4 = "0xCA5455b7a77E0c076C805A1c0da5782e457C7ADA";
const run = promisify(execFile);
/** npm and tsc run on the repository's Node 22, as `npm run` would. */
const PATH = `${path.join(REPO_ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`;

/** `npm pack` of this checkout (its dist/ as `npm run build` left it), installed into a fresh project. */
async function installPackage(project: string): Promise<void> {
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "readme-example", private: true, type: "module" }));
  const env = { ...process.env, PATH, npm_config_update_notifier: "false" };
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", project, REPO_ROOT], { env, cwd: project });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", `./${filename}`], {
    env,
    cwd: project,
    maxBuffer: 16 << 20,
  });
}

describe("the docs, run as written", () => {
  let dir: string;
  let devnet: Devnet;
  let project: string;
  const seconds = { install: 0, devnet: 0 };
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-docs-"));
    project = path.join(dir, "my-app");
    const started = performance.now();
    const installed = installPackage(project).then(() => (seconds.install = (performance.now() - started) / 1000));
    // The tour's stake:3 draws three validators.
    devnet = await startDevnet({ dir: path.join(dir, "devnet"), validators: 3, logLevel: "warn" });
    await seedDemoAttribute(devnet);
    writeEndpoints(devnet.dir, devnet.endpoints);
    seconds.devnet = (performance.now() - started) / 1000;
    await installed;
  });
  after(async () => {
    await devnet?.stop();
    if (process.env.DEKMESH_KEEP_RUN_DIRS !== "1") fs.rmSync(dir, { recursive: true, force: true });
  });

  it("README.md, A first tour of the CLI: the demo account reads, the outsider is refused", { timeout: 120_000 }, async () => {
    const checkout = checkoutLike(path.join(dir, "checkout"), devnet.dir);
    const [tour] = codeBlocks(README, "A first tour of the CLI", "sh");
    const result = await runShell(tour!, checkout).exited;
    assert.equal(result.code, 0, `exited ${result.code}: ${result.stderr}${result.stdout}`);
    assert.equal(fs.readFileSync(path.join(checkout, "hello.out"), "utf8"), "hello dekmesh\n");
    assert.match(result.stdout, /^refused, exit 2$/m);
    assert.match(result.stderr, /MissingAttribute/);
    assert.ok(!fs.existsSync(path.join(checkout, "denied.out")), "a refused decrypt writes nothing");
  });

  it("README.md, The SDK as a package: the example type-checks and runs from the installed tarball; the ABIs import", { timeout: 120_000 }, async (t) => {
    t.diagnostic(`npm pack and install of the tarball ${seconds.install.toFixed(1)} s, devnet start ${seconds.devnet.toFixed(1)} s (in parallel)`);
    const [example] = codeBlocks(README, "The SDK as a package", "js");
    // Type-checked as TypeScript against the package's declarations (dekmesh/sdk's exports).
    fs.writeFileSync(path.join(project, "example.mts"), example!);
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    await run(process.execPath, [
      tsc, "--noEmit", "--strict", "--skipLibCheck", "--target", "es2023", "--module", "nodenext",
      "--types", "node", "--typeRoots", path.join(REPO_ROOT, "node_modules", "@types"), "example.mts",
    ], { cwd: project }).catch((error: { stdout?: string }) => assert.fail(`the README's example does not type-check:\n${error.stdout}`));

    fs.writeFileSync(path.join(project, "example.mjs"), example!);
    const { stdout } = await run(process.execPath, ["example.mjs"], {
      cwd: project,
      env: { ...process.env, DEKMESH_ENDPOINTS: path.join(devnet.dir, "endpoints.json") },
      timeout: 100_000,
    });
    assert.match(stdout, /^baf[a-z2-7]+ hello from the SDK\n$/);

    const abi = await run(process.execPath, ["--input-type=module", "-e", 'const abi = await import("dekmesh/abi"); console.log(Object.keys(abi).sort().join(" "))'], { cwd: project });
    assert.equal(abi.stdout, "adjudicatorAbi attributeRegistryAbi contentRegistryAbi policyRegistryAbi rewrapAuditLogAbi stakeTokenAbi validatorRegistryAbi\n");
  });

  it("docs/validator.md, Add a validator to the devnet: a fifth validator becomes active and serves a rewrap", { timeout: 240_000 }, async (t) => {
    const checkout = checkoutLike(path.join(dir, "operator"), devnet.dir);
    const [httpPort, p2pPort] = [await freePort(), await freePort()];
    const blocks = codeBlocks(path.join(REPO_ROOT, "docs", "validator.md"), "Add a validator to the devnet", "sh").map((block) =>
      block
        .replaceAll("http://127.0.0.1:8545", devnet.endpoints.rpcUrl)
        .replaceAll("http://127.0.0.1:42069", devnet.endpoints.indexerUrl)
        .replaceAll("7005", String(httpPort))
        .replaceAll("tcp/4005", `tcp/${p2pPort}`),
    );
    assert.equal(blocks.length, 4, "fund and config, register and stake, run, use");
    const [setup, register, runValidator, use] = blocks as [string, string, string, string];

    for (const block of [setup, register]) {
      const result = await runShell(block, checkout).exited;
      assert.equal(result.code, 0, `${block}\nexited ${result.code}: ${result.stderr}${result.stdout}`);
    }
    const logFile = path.join(dir, "validator-4.log");
    const daemon = runShell(runValidator, checkout, { detached: true, logFile });
    t.after(() => {
      try {
        process.kill(-daemon.child.pid!, "SIGINT");
      } catch {
        // ESRCH: the validator's group is gone already.
      }
    });
    const readyUrl = `http://127.0.0.1:${httpPort}/ready`;
    for (let ready = false; !ready; await sleep(250)) {
      assert.equal(daemon.child.exitCode, null, `the validator exited: ${fs.readFileSync(logFile, "utf8")}`);
      ready = await fetch(readyUrl).then((r) => r.ok, () => false);
    }
    const info = (await (await fetch(`http://127.0.0.1:${httpPort}/v1/info`)).json()) as Record<string, unknown>;
    assert.equal(String(info.address).toLowerCase(), NODE_4.toLowerCase());

    const result = await runShell(use, checkout).exited;
    assert.equal(result.code, 0, `${use}\nexited ${result.code}: ${result.stderr}${result.stdout}`);
    assert.equal(result.stdout, "hello node 4\n");
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    assert.match(metrics, /^dekmesh_rewrap_events\{kind="served"\} [1-9]/m, "the fifth validator served the rewrap itself");

    // Ctrl-C: the whole group gets SIGINT; sh dies of it, the validator stops cleanly and says so.
    process.kill(-daemon.child.pid!, "SIGINT");
    const stopped = Date.now() + 30_000;
    while (!fs.readFileSync(logFile, "utf8").includes('"msg":"validator stopped"')) {
      assert.ok(Date.now() < stopped, `the validator did not stop on Ctrl-C: ${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
      await sleep(250);
    }
  });
});
