/**
 * docs/validator.md's "Add a validator to the devnet", run as pasted: its shell blocks in order,
 * in a directory laid out like the checkout (`bin/`, `.devnet/` of a devnet started here), with
 * only the devnet's ports put in place of the defaults the recipe names. The fifth validator
 * must become active and serve the rewrap of the recipe's last block itself.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, seedDemoAttribute, startDevnet, writeEndpoints, type Devnet } from "../../../node/devnet/index.js";
import { REPO_ROOT } from "../../../node/devnet/paths.js";
import { checkoutLike, codeBlocks, runShell } from "../helpers/docs.js";

const NODE_4 = "0xCA5455b7a77E0c076C805A1c0da5782e457C7ADA";

describe("docs/validator.md: Add a validator to the devnet", () => {
  let dir: string;
  let checkout: string;
  let devnet: Devnet;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-add-validator-"));
    // Two validators rather than npm start's four: the recipe's node index 4 is as new, and the start is quicker.
    devnet = await startDevnet({ dir: path.join(dir, "devnet"), validators: 2, logLevel: "warn" });
    await seedDemoAttribute(devnet);
    writeEndpoints(devnet.dir, devnet.endpoints);
    checkout = checkoutLike(path.join(dir, "checkout"), devnet.dir);
  });
  after(async () => {
    await devnet?.stop();
    if (process.env.DEKMESH_KEEP_RUN_DIRS !== "1") fs.rmSync(dir, { recursive: true, force: true });
  });

  it("brings a fifth validator to active, and it serves a rewrap", { timeout: 240_000 }, async (t) => {
    const [httpPort, p2pPort] = [await freePort(), await freePort()];
    const blocks = codeBlocks(path.join(REPO_ROOT, "docs", "validator.md"), "Add a validator to the devnet", "sh").map((block) =>
      block
        .replaceAll("http://127.0.0.1:8545", devnet.endpoints.rpcUrl)
        .replaceAll("http://127.0.0.1:42069", devnet.endpoints.indexerUrl)
        .replaceAll("7005", String(httpPort))
        .replaceAll("tcp/4005", `tcp/${p2pPort}`),
    );
    assert.equal(blocks.length, 4, "fund and config, register and stake, run, use");
    const [setup, register, run, use] = blocks as [string, string, string, string];

    for (const block of [setup, register]) {
      const result = await runShell(block, checkout).exited;
      assert.equal(result.code, 0, `${block}\nexited ${result.code}: ${result.stderr}${result.stdout}`);
    }
    const logFile = path.join(dir, "validator-4.log");
    const daemon = runShell(run, checkout, { detached: true, logFile });
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
