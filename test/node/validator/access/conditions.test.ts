/**
 * A validator's rewrap service under condition policies (docs/conditions.md), wired as the daemon
 * wires it — a real indexer client, the access decider with the chain reader, the DEK store —
 * against a real chain and Ponder indexer: a reader gains and loses access as its ERC-20 balance
 * crosses the policy's threshold, each within a block and the decider's cache bounds of the
 * change, and refusals name the condition reason.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hexToBytes, keccak256, toBytes, type Hex } from "viem";
import { getAccessDecision } from "../../../../node/chain/index.js";
import { createAccessDecider, type AccessDecider } from "../../../../node/validator/access/index.js";
import { createRewrapService, type RewrapService } from "../../../../node/validator/rewrap/index.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import { encodeConditions, parseCondition } from "../../../../node/protocol/conditions.js";
import { devAccount, hex, Reader, refused, removeTempDirs, tempDir, TestNet } from "../rewrap/helpers.js";
import { deployConditionContract, sendToConditionContract, type ConditionContract, type ConditionContractName } from "../../helpers/conditionContracts.js";

/** The decider's cache life plus the indexer client's chain-head cache: how long a decision can outlive a change. */
const ACCESS_CACHE_TTL_MS = 1_000;
const CHAIN_HEAD_TTL_MS = 250;

let net: TestNet;
let store: DekStore;
let access: AccessDecider;
let service: RewrapService;
let token: ConditionContract;
let target: ConditionContract;
const publisher = devAccount(3);
const validator = devAccount(1);
const deks = new Map<Hex, Uint8Array>();

const deploy = (name: ConditionContractName) => deployConditionContract(net.stack.chain.url, devAccount(0), name);
/** Sends `functionName` to a test contract; returns the block it was mined in. */
const call = (contract: ConditionContract, functionName: string, args: unknown[]) => sendToConditionContract(net.stack.chain.url, devAccount(0), contract, functionName, args);

/** A content under a new policy with `conditions`, whose DEK the validator holds. */
async function conditionContent(conditions: string): Promise<Hex> {
  const input = { requirements: [], allowlist: [], notBefore: 0n, notAfter: 0n, mode: 0, k: 0, explicitMembers: [] };
  await net.send(publisher, "PolicyRegistry", "createPolicyWithConditions", [input, encodeConditions(parseCondition(conditions))]);
  const policyId = await net.read<bigint>("PolicyRegistry", "policyCount", []);
  const contentId = await net.registerContent(publisher, policyId, validator.address);
  const dek = new Uint8Array(randomBytes(32));
  deks.set(contentId, dek);
  await store.putDek(contentId, dek, { policyId, mode: "all", source: "initial" });
  return contentId;
}

/** Rewraps until `outcome` holds or `withinMs` passes; returns how long it took. */
async function until(outcome: () => Promise<boolean>, withinMs: number, what: string): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await outcome()) return Date.now() - start;
    if (Date.now() - start > withinMs) assert.fail(`${what} did not happen within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const served = async (reader: Reader, contentId: Hex): Promise<boolean> => {
  try {
    const answer = await service.rewrap(await reader.request(contentId));
    assert.equal(hex(reader.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(deks.get(contentId)!));
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "REWRAP_ACCESS_DENIED") return false;
    throw error;
  }
};

before(async () => {
  net = await TestNet.start();
  await net.activateValidator(validator, devAccount(2));
  token = await deploy("ConditionTestERC20");
  target = await deploy("ConditionTestTarget");
  store = DekStore.open({ directory: join(tempDir(), "store"), storageKey: randomBytes(32) });
  const indexer = net.indexerClient({ maxStalenessBlocks: 2, chainHeadTtlMs: CHAIN_HEAD_TTL_MS });
  const deployment = { addresses: { contentRegistry: net.addresses.ContentRegistry, policyRegistry: net.addresses.PolicyRegistry } };
  access = createAccessDecider(
    { indexer, chainAccess: (contentId, account, blockNumber) => getAccessDecision({ publicClient: net.public, deployment }, { contentId, account, blockNumber }) },
    { accessCacheTtlMs: ACCESS_CACHE_TTL_MS },
  );
  service = createRewrapService({ store, access, indexer, chainId: net.domain.chainId, auditLog: net.domain.verifyingContract, onMissingDek: () => undefined });
  await service.start();
});

after(async () => {
  await service?.stop();
  store?.close();
  await net?.stop();
  removeTempDirs();
});

describe("rewraps under condition policies", () => {
  it("a reader gains and loses access as its ERC-20 balance crosses the threshold, within the cache bounds", async () => {
    const contentId = await conditionContent(`erc20:${token.address}>=100`);
    const reader = new Reader(devAccount(4), net.domain);
    await net.synced();
    const denied = await refused(service.rewrap(await reader.request(contentId)), "REWRAP_ACCESS_DENIED", "ConditionNotMet");
    assert.ok(denied);
    const bound = ACCESS_CACHE_TTL_MS + CHAIN_HEAD_TTL_MS + 1_500;

    const mintedAt = await call(token, "mint", [reader.address, 100n]);
    const gained = await until(() => served(reader, contentId), bound, "access after the mint");
    const decision = access.cachedAccess(contentId, reader.address);
    assert.ok(decision && BigInt(decision.block.number) >= mintedAt, "decided at or after the mint's block");

    const burnedAt = await call(token, "burn", [reader.address, 1n]);
    const lost = await until(async () => !(await served(reader, contentId)), bound, "refusal after the burn");
    await refused(service.rewrap(await reader.request(contentId)), "REWRAP_ACCESS_DENIED", "ConditionNotMet");
    const after = access.cachedAccess(contentId, reader.address);
    assert.ok(after && BigInt(after.block.number) >= burnedAt);
    assert.ok(after.condition === 0, "the refusal's decision names the failed condition node");
    console.log(`access gained ${gained} ms after the mint, lost ${lost} ms after the burn (bound ${bound} ms)`);

    // Decided by the chain each time, with the indexer healthy all along.
    assert.ok(access.stats().conditionReads > 0);
    assert.equal(access.indexerDegraded, undefined);
    assert.equal(access.stats().indexerMisses, 0);
  });

  it("a condition whose call reverts refuses with ConditionCallFailed; the publisher is served", async () => {
    const selector = keccak256(toBytes("reverts(address)")).slice(0, 10);
    const contentId = await conditionContent(`or(erc20:${token.address}>=1000000, call:${target.address}:${selector}(:reader)->uint256>=0)`);
    await net.synced();
    const reader = new Reader(devAccount(5), net.domain);
    await refused(service.rewrap(await reader.request(contentId)), "REWRAP_ACCESS_DENIED", "ConditionCallFailed");
    assert.equal(access.cachedAccess(contentId, reader.address)?.condition, 2);
    assert.ok(await served(new Reader(publisher, net.domain), contentId));
  });
});
