// Challenges through chain and indexer (docs/challenges.md): a withheld-service challenge
// answered with the validator's own answer, and one left unanswered and resolved, appear in
// the `challenge` table with their request, answer and settlement, as GraphQL serves them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createWalletClient, hexToBytes, http, maxUint256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { hardhat } from "viem/chains";
import { adjudicatorAbi } from "../../build/abi/index.js";
import { P256PrivateKey } from "../../node/crypto/keys/index.js";
import { rpcRequest, startStack, type Stack } from "../../node/devnet/index.js";
import { kasKeyCoordinates, rewrapChallengeAnswer } from "../../node/validator/challenges/index.js";
import { post, synced } from "./helpers/api.js";
import { Driver, TOKEN } from "./helpers/driver.js";

let stack: Stack;
let d: Driver;
let adjudicator: Address;
let holder: Address;
let reader: Address;
const kasKey = P256PrivateKey.generate();

before(async () => {
  stack = await startStack({ chain: { blockIntervalMs: 1000 } });
  d = await Driver.connect(stack);
  adjudicator = stack.deployment.deployment.contracts.Adjudicator.address as Address;
  const operator = d.account(1);
  holder = d.account(3);
  reader = d.account(4);
  await d.registerValidator(holder, operator, { kasKey: toHex(kasKey.publicKey) });
  await d.stake(holder, operator);
  await d.send(d.account(0), "StakeToken", "mint", [reader, 100n * TOKEN]);
  await d.send(reader, "StakeToken", "approve", [adjudicator, maxUint256]);
});

after(async () => {
  await stack?.stop();
});

async function call(from: Address, functionName: string, args: readonly unknown[]) {
  const wallet = createWalletClient({ chain: hardhat, transport: http(stack.chain.url), account: from });
  const hash = await wallet.writeContract({ address: adjudicator, abi: adjudicatorAbi, functionName, args } as never);
  const receipt = await d.public.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, "success", functionName);
  return receipt;
}

async function openAgainstHolder(contentId: Hex) {
  const clientKey = P256PrivateKey.generate();
  const { timestamp } = await d.public.getBlock();
  const request = { contentId, clientPublicKey: toHex(clientKey.publicKey), nonce: BigInt(Date.now()), expiry: timestamp + 600n };
  const receipt = await call(reader, "openWithheld", [request, holder, { members: [], slots: [], slot: 0n }]);
  const [event] = parseEventLogs({ abi: adjudicatorAbi, eventName: "WithheldServiceRequested", logs: receipt.logs });
  return { id: event!.args.id, requestDigest: event!.args.requestDigest, clientPublicKey: request.clientPublicKey };
}

interface Row {
  id: string;
  kind: string;
  status: string;
  accused: string;
  challenger: string;
  contentId: string | null;
  requestDigest: string | null;
  answer: string | null;
  slashed: string | null;
  reward: string | null;
}

async function rows(): Promise<Row[]> {
  await synced(d);
  const query = "{ challenges(orderBy: \"id\", orderDirection: \"asc\") { items { id kind status accused challenger contentId requestDigest answer slashed reward } } }";
  const { status, body } = await post(stack.indexer!.url, "/graphql", { query });
  assert.equal(status, 200, JSON.stringify(body));
  return body.data.challenges.items as Row[];
}

test("an answered and a slashed withheld-service challenge, from opening to settlement", async () => {
  const policyId = await d.createPolicy(d.account(2), { mode: "all" });
  const { contentId } = await d.registerContent(d.account(2), policyId, holder);

  const answered = await openAgainstHolder(contentId);
  let [row] = await rows();
  assert.deepEqual([row!.kind, row!.status, row!.accused, row!.challenger, row!.contentId, row!.requestDigest], ["withheld-rewrap", "open", holder, reader, contentId, answered.requestDigest]);

  const request = { contentId: hexToBytes(contentId), requestDigest: hexToBytes(answered.requestDigest), clientPublicKey: hexToBytes(answered.clientPublicKey) };
  const answer = toHex(rewrapChallengeAnswer(request, new Uint8Array(32).fill(7), kasKey));
  const { x, y } = kasKeyCoordinates(kasKey.publicKey);
  await call(holder, "answerWithheld", [answered.id, answer, x, y]);
  [row] = await rows();
  assert.equal(row!.status, "answered");
  assert.equal(row!.answer, answer);

  const silent = await openAgainstHolder(contentId);
  const window = await d.public.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "answerWindow" });
  // One evm_mine per block: hardhat_mine's lazily made blocks have no parent hash Ponder can follow.
  for (let i = 0n; i <= window; i++) await rpcRequest(stack.chain.url, "evm_mine", []);
  await call(d.account(5), "resolve", [silent.id]);
  const second = (await rows()).find((r) => r.id === silent.id.toString())!;
  assert.equal(second.status, "slashed");
  assert.ok(BigInt(second.slashed!) > 0n && BigInt(second.reward!) > 0n && BigInt(second.reward!) < BigInt(second.slashed!));
});
