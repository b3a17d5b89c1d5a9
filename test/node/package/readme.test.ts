/**
 * README.md as a newcomer runs it, against a devnet started here: the CLI tour (with the
 * outsider refused), and the SDK example from the package, packed with `npm pack`, installed
 * from the tarball into a fresh project, type-checked and run with plain `node`. The blocks are
 * read from README.md, so the README cannot drift from what works.
 *
 * The tarball's install takes most of this file's time (about 45 s here: the SDK's ~620
 * dependency packages, from npm's cache with --prefer-offline); it runs while the devnet starts.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { seedDemoAttribute, startDevnet, writeEndpoints, type Devnet } from "../../../node/devnet/index.js";
import { REPO_ROOT } from "../../../node/devnet/paths.js";
import { checkoutLike, codeBlocks, runShell } from "../helpers/docs.js";

const README = path.join(REPO_ROOT, "README.md");
const run = promisify(execFile);
/** npm and tsc run on the repository's Node 22, as `npm run` would. */
const PATH = `${path.join(REPO_ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`;

/** `npm pack` of this checkout (its dist/ as `npm run build` left it), installed into a fresh project. */
async function installPackage(project: string): Promise<void> {
  assert.ok(fs.existsSync(path.join(REPO_ROOT, "dist", "node", "sdk", "index.js")), "dist/ is missing: run npm run build");
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

describe("README.md, run as written", () => {
  let dir: string;
  let devnet: Devnet;
  let project: string;
  const seconds = { install: 0, devnet: 0 };
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-readme-"));
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

  it("A first tour of the CLI: the demo account reads, the outsider is refused", { timeout: 120_000 }, async () => {
    const checkout = checkoutLike(path.join(dir, "checkout"), devnet.dir);
    const [tour] = codeBlocks(README, "A first tour of the CLI", "sh");
    const result = await runShell(tour!, checkout).exited;
    assert.equal(result.code, 0, `exited ${result.code}: ${result.stderr}${result.stdout}`);
    assert.equal(fs.readFileSync(path.join(checkout, "hello.out"), "utf8"), "hello dekmesh\n");
    assert.match(result.stdout, /^refused, exit 2$/m);
    assert.match(result.stderr, /MissingAttribute/);
    assert.ok(!fs.existsSync(path.join(checkout, "denied.out")), "a refused decrypt writes nothing");
  });

  it("The SDK as a package: the example type-checks and runs from the installed tarball", { timeout: 120_000 }, async (t) => {
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
  });
});
