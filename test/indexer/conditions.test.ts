// Differential test of policy conditions (docs/conditions.md): random condition trees over real
// ERC-20/721/1155 tokens, a view-call target and the block time; after every step of a random
// history of mints, burns, score changes and time jumps, three deciders must agree:
// - the contract: PolicyRegistry.checkAccess (and ContentRegistry.canAccessContent) by eth_call;
// - the indexer: GET /access, where it can decide (time leaves), else needsChain — never a guess;
// - the node: the validator's AccessDecider over a real indexer client and the chain reader.
// Seeded: DEKMESH_TEST_SEED=<n> replays a run.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { keccak256, toBytes, type Address, type Hex } from "viem";
import { startStack, type Stack } from "../../node/devnet/index.js";
import { getAccessDecision } from "../../node/chain/index.js";
import { createIndexerClient } from "../../node/indexer-client/index.js";
import { createAccessDecider } from "../../node/validator/access/index.js";
import { ACCESS_REASONS } from "../../node/protocol/accessReasons.js";
import { encodeConditions, formatCondition, COMPARATORS, type CallArg, type Condition } from "../../node/protocol/conditions.js";
import { get, synced } from "./helpers/api.js";
import { deployConditionContract, sendToConditionContract, type ConditionContract, type ConditionContractName } from "../node/helpers/conditionContracts.js";
import { Driver } from "./helpers/driver.js";

const SEED = Number(process.env.DEKMESH_TEST_SEED ?? 20_261_207);
const STEPS = Number(process.env.DEKMESH_CONDITION_STEPS ?? 10);
const POLICIES = 8;

let stack: Stack;
let d: Driver;

before(async () => {
  stack = await startStack({ chain: { blockIntervalMs: 1000 } });
  d = await Driver.connect(stack);
});

after(async () => {
  await stack?.stop();
});

test(`conditions: contract, indexer and node agree after every step (seed ${SEED}, ${STEPS} steps)`, async () => {
  const publisher = d.account(21);
  const validator = d.account(1);
  await d.activeValidator(validator, d.account(11));
  // Two funded dev accounts and one that holds no ether: native-balance leaves split them.
  const readers: Address[] = [d.account(25), d.account(26), "0x00000000000000000000000000000000000c0de5"];
  const deploy = (name: ConditionContractName) => deployConditionContract(stack.chain.url, d.account(0), name);
  const erc20 = await deploy("ConditionTestERC20");
  const erc721 = await deploy("ConditionTestERC721");
  const erc1155 = await deploy("ConditionTestERC1155");
  const target = await deploy("ConditionTestTarget");
  const call = (contract: ConditionContract, functionName: string, args: unknown[]) => sendToConditionContract(stack.chain.url, d.account(0), contract, functionName, args);
  const t0 = (await d.public.getBlock()).timestamp;

  // ---------------------------------------------------------------- random trees over these contracts
  const comparator = fc.constantFrom(...COMPARATORS);
  const selector = (signature: string) => keccak256(toBytes(signature)).slice(0, 10) as Hex;
  /** A call that always reverts: ConditionCallFailed wherever the evaluation reaches it. */
  const reverting: Condition = { kind: "call", target: target.address, selector: selector("reverts(address)"), args: ["reader"], returns: "uint256", comparator: ">=", value: 0n };
  const leaf: fc.Arbitrary<Condition> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant("erc20" as const), token: fc.constant(erc20.address), comparator, value: fc.bigInt(0n, 4n) }), weight: 3 },
    fc.record({ kind: fc.constant("erc721" as const), token: fc.constant(erc721.address), id: fc.oneof(fc.constant("any" as const), fc.bigInt(1n, 3n)) }),
    fc.record({ kind: fc.constant("erc1155" as const), token: fc.constant(erc1155.address), id: fc.bigInt(1n, 2n), comparator, value: fc.bigInt(0n, 3n) }),
    fc.record({ kind: fc.constant("native" as const), comparator, value: fc.constantFrom(0n, 10n ** 18n) }),
    { arbitrary: fc.record({ kind: fc.constant("time" as const), comparator, value: fc.bigInt(t0, t0 + 300n) }), weight: 4 },
    fc.record({
      kind: fc.constant("call" as const),
      target: fc.constant(target.address),
      selector: fc.constant(selector("score(address)")),
      args: fc.constant<CallArg[]>(["reader"]),
      returns: fc.constant("uint256" as const),
      comparator,
      value: fc.bigInt(0n, 3n),
    }) as fc.Arbitrary<Condition>,
    fc.constant<Condition>({ kind: "call", target: target.address, selector: selector("isMember(address)"), args: ["reader"], returns: "bool", comparator: "==", value: 1n }),
    fc.constant(reverting),
  );
  const combine = (operand: fc.Arbitrary<Condition>): fc.Arbitrary<Condition> =>
    fc.oneof(
      fc.record({ kind: fc.constantFrom("and" as const, "or" as const), operands: fc.array(operand, { minLength: 2, maxLength: 4 }) }),
      operand.map((o) => ({ kind: "not" as const, operand: o })),
    );
  const tree = fc.oneof(leaf, combine(leaf), combine(fc.oneof(leaf, combine(leaf))));
  const timeOnly = fc.oneof(
    fc.record({ kind: fc.constant("time" as const), comparator, value: fc.bigInt(t0, t0 + 300n) }),
    combine(fc.record({ kind: fc.constant("time" as const), comparator, value: fc.bigInt(t0, t0 + 300n) })),
  );
  // Some trees only the clock decides, so the indexer decides conditions too, not only defers.
  const trees = [
    ...fc.sample(tree, { seed: SEED, numRuns: POLICIES - 2 }),
    ...fc.sample(timeOnly, { seed: SEED + 1, numRuns: 2 }),
    // Every run reaches these: a threshold crossed back and forth, and a call that fails once the clock passes t0.
    { kind: "erc20", token: erc20.address, comparator: ">=", value: 2n },
    { kind: "or", operands: [{ kind: "time", comparator: "<", value: t0 }, reverting] },
  ] satisfies Condition[];

  const contents: { contentId: Hex; policyId: bigint; text: string }[] = [];
  for (const condition of trees) {
    await d.send(publisher, "PolicyRegistry", "createPolicyWithConditions", [
      { requirements: [], allowlist: [], notBefore: 0n, notAfter: 0n, mode: 0, k: 0, explicitMembers: [] },
      encodeConditions(condition),
    ]);
    const policyId = await d.read<bigint>("PolicyRegistry", "policyCount", []);
    const { contentId } = await d.registerContent(publisher, policyId, validator);
    contents.push({ contentId, policyId, text: formatCondition(condition) });
  }

  // ---------------------------------------------------------------- the node's decider, as a validator wires it
  const indexer = createIndexerClient({ chain: d.public }, { url: stack.indexer!.url, maxStalenessBlocks: 2 });
  const deployment = { addresses: { contentRegistry: d.addresses.ContentRegistry, policyRegistry: d.addresses.PolicyRegistry } };
  const node = createAccessDecider(
    { indexer, chainAccess: (contentId, account, blockNumber) => getAccessDecision({ publicClient: d.public, deployment }, { contentId, account, blockNumber }) },
    { accessCacheTtlMs: 0 },
  );

  /** The contract's decision, once per (policy, account, block): the indexer's and the node's answers mostly name the same block. */
  const decided = new Map<string, Promise<[boolean, number, bigint]>>();
  const checkAccess = (policyId: bigint, account: Address, block: bigint) => {
    const key = `${policyId}/${account}/${block}`;
    if (!decided.has(key)) decided.set(key, d.read<[boolean, number, bigint]>("PolicyRegistry", "checkAccess", [policyId, account], block));
    return decided.get(key)!;
  };
  const seen = { indexerDecided: 0, needsChain: 0, reasons: new Map<string, number>() };

  const compare = async (step: string) => {
    await synced(d);
    // All pairs at once: each compares at the blocks its own answers name.
    const pairs = contents.flatMap((c) => readers.map((account) => ({ c, account })));
    await Promise.all(
      pairs.map(async ({ c, account }) => {
        const where = `after ${step}: policy ${c.policyId} ${c.text}, ${account} (seed ${SEED})`;
        const { status, body } = await get(stack.indexer!.url, `/access/${c.contentId}/${account}`);
        assert.equal(status, 200, JSON.stringify(body));
        const block = BigInt(body.block.number);
        const [allowed, reasonCode, condition] = await checkAccess(c.policyId, account, block);
        // What validators read: the content registry's view passes the policy registry's decision on.
        if (account === readers[0]) assert.deepEqual(await d.read("ContentRegistry", "canAccessContent", [c.contentId, account], block), [allowed, reasonCode], where);
        seen.reasons.set(ACCESS_REASONS[reasonCode]!, (seen.reasons.get(ACCESS_REASONS[reasonCode]!) ?? 0) + 1);
        if (body.needsChain) {
          seen.needsChain++;
          assert.deepEqual([body.allowed, body.reason], [null, null], where);
        } else {
          seen.indexerDecided++;
          assert.deepEqual([body.allowed, body.reasonCode], [allowed, reasonCode], `indexer ${where}`);
          if (!allowed) assert.equal(BigInt(body.condition), condition, `indexer's decisive node ${where}`);
        }
        const decision = await node.access(c.contentId, account);
        const [chainAllowed, chainReason, chainCondition] = await checkAccess(c.policyId, account, BigInt(decision.block.number));
        assert.deepEqual([decision.allowed, decision.reason], [chainAllowed, ACCESS_REASONS[chainReason]], `node ${where}`);
        if (decision.reason === "ConditionNotMet" || decision.reason === "ConditionCallFailed") {
          assert.equal(decision.condition, Number(chainCondition), `node's decisive node ${where}`);
        }
      }),
    );
  };

  const rnd = fc.sample(fc.array(fc.nat(1_000_000), { minLength: STEPS * 3, maxLength: STEPS * 3 }), { seed: SEED, numRuns: 1 })[0]!;
  let r = 0;
  const pick = <T>(xs: readonly T[]): T => xs[rnd[r++ % rnd.length]! % xs.length]!;
  await compare("setup");
  for (let step = 0; step < STEPS; step++) {
    const action = pick(["mint20", "burn20", "mint721", "mint1155", "score", "time", "time"] as const);
    const account = pick(readers);
    let description: string = action;
    if (action === "mint20") await call(erc20, "mint", [account, 1n + BigInt(pick([0, 1, 2]))]);
    else if (action === "burn20") {
      const balance = await d.public.readContract({ address: erc20.address, abi: erc20.abi, functionName: "balanceOf", args: [account] }) as bigint;
      if (balance > 0n) await call(erc20, "burn", [account, 1n]);
    } else if (action === "mint721") {
      const id = BigInt(pick([1, 2, 3, 4]));
      await call(erc721, "mint", [account, id]).catch(() => undefined); // already minted: nothing changes
      description = `mint721 #${id}`;
    } else if (action === "mint1155") await call(erc1155, "mint", [account, BigInt(pick([1, 2])), 1n]);
    else if (action === "score") await call(target, "setScore", [account, BigInt(pick([0, 1, 2, 4]))]);
    else {
      const seconds = 10 + pick([0, 20, 40, 60]);
      await d.increaseTime(seconds);
      description = `time +${seconds}s`;
    }
    await compare(`step ${step}: ${description} ${account}`);
  }
  assert.ok(seen.indexerDecided > 0 && seen.needsChain > 0, `both indexer answers occurred: ${JSON.stringify({ ...seen, reasons: [...seen.reasons] })}`);
  for (const reason of ["Granted", "ConditionNotMet", "ConditionCallFailed"]) {
    assert.ok(seen.reasons.has(reason), `the run compared at least one ${reason} decision: ${JSON.stringify([...seen.reasons])}`);
  }
  assert.ok(node.stats().conditionReads > 0);
});
