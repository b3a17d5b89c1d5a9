/**
 * `dekmesh devnet fund`'s refusals of bad input, before it touches any chain (its funding is
 * run by test/node/devnet/addValidator.test.ts through docs/validator.md's recipe).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../../../node/devnet/paths.js";

const BIN = path.join(REPO_ROOT, "bin", "dekmesh");
const ACCOUNT = "0x000000000000000000000000000000000000dEaD";

function fund(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No devnet: an unreachable RPC URL, so nothing could be funded even if the checks let it through.
    const env = { ...process.env, DEKMESH_RPC_URL: "http://127.0.0.1:9", DEKMESH_ENDPOINTS: path.join(REPO_ROOT, "no-such-endpoints.json") };
    execFile(BIN, ["devnet", "fund", ...args, "--json"], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe("dekmesh devnet fund: bad input", () => {
  for (const [name, args, message] of [
    ["a malformed address", ["0xzz"], /the account to fund must be a 0x address of 40 hex digits, not "0xzz"/],
    ["a wrong checksum", ["0x000000000000000000000000000000000000DeaD"], /wrong EIP-55 checksum \(did you mean 0x000000000000000000000000000000000000dEaD\?\)/],
    ["wei where ether is asked", [ACCOUNT, "--eth", "1wei"], /--eth must be an amount such as 10 or 0\.5 \(not wei\), not "1wei"/],
    ["a negative token amount", [ACCOUNT, "--tokens=-5"], /--tokens must be an amount such as 10 or 0\.5 \(not wei\), not "-5"/],
    ["more than 18 decimals", [ACCOUNT, "--tokens", "0.0000000000000000001"], /--tokens must be an amount/],
    ["no address", [], /missing argument: <address>/],
  ] as const) {
    it(`error: ${name} is a usage error (exit 1) naming the value`, async () => {
      const run = await fund([...args]);
      assert.equal(run.code, 1, run.stderr + run.stdout);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
      assert.equal(error.code, "CLI_USAGE");
      assert.match(error.message, message);
    });
  }
});
