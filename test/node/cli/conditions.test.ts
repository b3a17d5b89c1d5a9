/**
 * `dekmesh policy create|update --condition` and `policy show` as users run them (bin/dekmesh
 * against a devnet's chain, contracts and Ponder; no validators or IPFS needed): random
 * condition trees come back from `policy show` in the same grammar, an update replaces them, and
 * bad text is a usage error that points at its position and sends nothing.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { bytesToHex, createPublicClient, http, type Address } from "viem";
import { hardhat } from "viem/chains";
import { policyRegistryAbi } from "../../../node/chain/abis.js";
import { devAccount, startDevnet, writeEndpoints, type Devnet } from "../../../node/devnet/index.js";
import { REPO_ROOT } from "../../../node/devnet/paths.js";
import { COMPARATORS, formatCondition, parseCondition, type Condition } from "../../../node/protocol/conditions.js";
import { deployConditionContract } from "../helpers/conditionContracts.js";

const BIN = path.join(REPO_ROOT, "bin", "dekmesh");
const PUBLISHER = 7;

let dir: string;
let devnet: Devnet;
let env: NodeJS.ProcessEnv;
let token: Address;

function dekmesh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, [...args, "--key-file", path.join(dir, "key")], { env, cwd: dir, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function json<T>(args: string[]): Promise<T> {
  const run = await dekmesh([...args, "--json"]);
  assert.equal(run.code, 0, `dekmesh ${args.join(" ")} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

const policyCount = () =>
  createPublicClient({ chain: hardhat, transport: http(devnet.endpoints.rpcUrl) }).readContract({
    address: devnet.stack.deployment.deployment.contracts.PolicyRegistry.address,
    abi: policyRegistryAbi,
    functionName: "policyCount",
  });

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-cli-conditions-"));
  devnet = await startDevnet({ dir, removeDir: false, validators: 0, ipfs: false, logLevel: "warn" });
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DEKMESH_")));
  env.DEKMESH_ENDPOINTS = writeEndpoints(dir, devnet.endpoints);
  fs.writeFileSync(path.join(dir, "key"), `${bytesToHex(devAccount(PUBLISHER).getHdKey().privateKey!)}\n`, { mode: 0o600 });
  token = (await deployConditionContract(devnet.endpoints.rpcUrl, devAccount(0), "ConditionTestERC20")).address;
});

after(async () => {
  await devnet?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Trees over the deployed token and the clock (targets must hold code, so no random addresses). */
function trees(count: number, seed: number): Condition[] {
  const comparator = fc.constantFrom(...COMPARATORS);
  const leaf: fc.Arbitrary<Condition> = fc.oneof(
    fc.record({ kind: fc.constant("erc20" as const), token: fc.constant(token), comparator, value: fc.bigInt(0n, (1n << 256n) - 1n) }),
    fc.record({ kind: fc.constant("erc721" as const), token: fc.constant(token), id: fc.oneof(fc.constant("any" as const), fc.bigInt(0n, 1000n)) }),
    fc.record({ kind: fc.constant("native" as const), comparator, value: fc.bigInt(0n, 10n ** 24n) }),
    fc.record({ kind: fc.constant("time" as const), comparator, value: fc.bigInt(0n, (1n << 64n) - 1n) }),
  );
  const combine = (operand: fc.Arbitrary<Condition>): fc.Arbitrary<Condition> =>
    fc.oneof(
      fc.record({ kind: fc.constantFrom("and" as const, "or" as const), operands: fc.array(operand, { minLength: 2, maxLength: 5 }) }),
      operand.map((o) => ({ kind: "not" as const, operand: o })),
    );
  return fc.sample(combine(fc.oneof(leaf, combine(leaf))), { seed, numRuns: count });
}

describe("policy --condition", () => {
  it("policy show prints every created tree back in the grammar it was written in", async () => {
    for (const tree of trees(2, 20_261_207)) {
      const text = formatCondition(tree);
      const { policyId } = await json<{ policyId: string }>(["policy", "create", "--condition", text]);
      const shown = await json<{ conditions: string | null; block: { number: number } }>(["policy", "show", policyId]);
      assert.equal(shown.conditions, text);
      assert.deepEqual(parseCondition(shown.conditions!), structuredClone(tree));
    }
  });

  it("update replaces the conditions, and an update without --condition drops them; show prints them", async () => {
    const first = `and(erc20:${token}>=100e18, not(time<1700000000))`;
    const { policyId } = await json<{ policyId: string }>(["policy", "create", "--condition", first]);
    const human = await dekmesh(["policy", "show", policyId]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`conditions\\s+and\\(erc20:${token}>=100000000000000000000, not\\(time<1700000000\\)\\)`));
    await json(["policy", "update", policyId, "--condition", `erc721:${token.toLowerCase()}:any`]);
    assert.equal((await json<{ conditions: string }>(["policy", "show", policyId])).conditions, `erc721:${token}:any`);
    await json(["policy", "update", policyId]);
    assert.equal((await json<{ conditions: string | null }>(["policy", "show", policyId])).conditions, null);
  });

  it("bad text is a usage error at its position, and nothing is sent", async () => {
    const before = await policyCount();
    const cases: [string, string, number][] = [
      [`erc20:${token}=>1`, "CONDITION_SYNTAX", 48],
      ["native>=1.5", "CONDITION_VALUE_OUT_OF_RANGE", 8],
      ["and(or(not(time>1), time>1), time>1)", "CONDITION_TOO_DEEP", 7],
      ["or(time>1,time>1,time>1,time>1,time>1,time>1)", "CONDITION_TOO_WIDE", 38],
    ];
    for (const [text, code, position] of cases) {
      const run = await dekmesh(["policy", "create", "--condition", text, "--json"]);
      assert.equal(run.code, 1, run.stderr + run.stdout);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
      assert.equal(error.code, "CLI_USAGE");
      assert.ok(error.message.includes(code) && error.message.includes(`at position ${position}`), error.message);
    }
    // A target without code passes the grammar; the contract refuses it and nothing is created.
    const eoa = devAccount(9).address;
    const run = await dekmesh(["policy", "create", "--condition", `erc20:${eoa}>=1`, "--json"]);
    assert.notEqual(run.code, 0);
    assert.match(run.stdout + run.stderr, /PolicyRegistryConditionTargetNotContract/);
    assert.equal(await policyCount(), before);
  });
});
