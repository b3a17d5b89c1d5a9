// A threshold(3, 5) content through chain and indexer: the registration the SDK will send (real
// dealing, shares sealed to the drawn members' KAS keys, a header made against the content key),
// then /holders with each member's share index, confirmations, a member's exit, the repair of
// its slot and its replacement's enrollment.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { encodeAbiParameters, getAddress, hexToBytes, keccak256, toHex, type Address, type Hex } from "viem";
import { P256PrivateKey } from "../../node/crypto/keys/index.js";
import { createNanoTdfHeader } from "../../node/crypto/tdf/index.js";
import { dealSealedShares, encodeCommitments, isValidShare, openSealedShare } from "../../node/crypto/threshold/index.js";
import { thresholdK } from "../../node/protocol/threshold.js";
import { startStack, type Stack } from "../../node/devnet/index.js";
import { get } from "./helpers/api.js";
import { Driver, randomCid } from "./helpers/driver.js";

const THRESHOLD_MODE = 4;
let stack: Stack;
let d: Driver;
const kasKeys = new Map<Address, P256PrivateKey>();
let operator: Address;
let publisher: Address;

before(async () => {
  stack = await startStack({ chain: { blockIntervalMs: 1000 } });
  d = await Driver.connect(stack);
  operator = d.account(1);
  publisher = d.account(2);
  for (let i = 3; i < 9; i++) {
    const key = P256PrivateKey.generate();
    kasKeys.set(d.account(i), key);
    await d.registerValidator(d.account(i), operator, { kasKey: toHex(key.publicKey) });
    await d.stake(d.account(i), operator);
  }
});

after(async () => {
  await stack?.stop();
});

interface ThresholdSlotBody {
  slot: number;
  member: Address;
  index: number;
  previous: Address | null;
  sealedShare: Hex | null;
}

interface HoldersBody {
  replication: { mode: string; replicaSet: Address[]; threshold?: { m: number; n: number; commitments: Hex; slots: ThresholdSlotBody[] } };
  holders: { node: Address; state: string; shareIndex?: number | null }[];
}

const ZERO: Address = "0x0000000000000000000000000000000000000000";
/** The slots as the contract takes them: no previous member is address(0). */
const chainSlots = (slots: ThresholdSlotBody[]) => slots.map((s) => ({ member: s.member, index: s.index, previous: s.previous ?? ZERO }));

/** Polls /holders until `ready` accepts the body. */
async function holdersWhen(cid: string, ready: (body: HoldersBody) => boolean): Promise<HoldersBody> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status, body } = await get(stack.indexer!.url, `/holders/${cid}`);
    if (status === 200 && ready(body as HoldersBody)) return body as HoldersBody;
    if (Date.now() > deadline) throw new Error(`/holders/${cid} never became ready: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a threshold content's members, share indexes, confirmations, repair and enrollment reach /holders", async () => {
  const policyInput = { requirements: [], allowlist: [], notBefore: 0n, notAfter: 0n, mode: THRESHOLD_MODE, k: thresholdK(3, 5)!, explicitMembers: [] };
  const receipt = await d.send(publisher, "PolicyRegistry", "createPolicy", [policyInput]);
  const policyId = BigInt(receipt.logs[0]!.topics[1]!);

  // The publisher's side: the draw from a recent block, computed before sealing.
  const cid = await randomCid();
  const contentId = keccak256(cid.bytes);
  const drawBlock = await d.blockNumber();
  const { hash } = await d.public.getBlock({ blockNumber: drawBlock });
  const seed = BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [hash!, contentId])));
  const members = (await d.read<Address[]>("ValidatorRegistry", "sample", [seed, 5n, []])).map((m) => m.toLowerCase() as Address);
  const { commitments, sealedShares } = dealSealedShares({
    m: 3,
    members: members.map((m) => ({ address: getAddress(m), kasPublicKey: kasKeys.get(m)!.publicKey })),
    contentId: hexToBytes(contentId),
  });
  const { header } = createNanoTdfHeader({ kasPublicKey: commitments[0]!, locator: "https://threshold.dekmesh.invalid", policyId, binding: "ecdsa" });
  await d.send(publisher, "ContentRegistry", "registerThreshold", [
    {
      cid: toHex(cid.bytes),
      policyId,
      header: toHex(header.bytes),
      recoveryEnvelope: "0x",
      drawBlock,
      commitments: toHex(encodeCommitments(commitments)),
      sealedShares: toHex(Buffer.concat(sealedShares)),
    },
  ]);

  let body = await holdersWhen(cid.toString(), (b) => b.replication.threshold !== undefined);
  const dealt = body.replication.threshold!;
  assert.equal(body.replication.mode, "threshold");
  assert.deepEqual([dealt.m, dealt.n, dealt.commitments], [3, 5, toHex(encodeCommitments(commitments))]);
  assert.deepEqual(body.replication.replicaSet, members);
  assert.deepEqual(body.holders.map((h) => [h.node, h.shareIndex, h.state]).sort(), members.map((m, i) => [m, i + 1, "assigned"]).sort());
  // Each member finds its sealed share in the answer and opens it as its own share.
  for (const slot of dealt.slots) {
    const share = openSealedShare({ sealed: hexToBytes(slot.sealedShare!), contentId: hexToBytes(contentId), member: getAddress(slot.member), kasKey: kasKeys.get(slot.member)!, expectedIndex: slot.index });
    assert.ok(isValidShare(commitments, share));
  }

  await d.send(members[0]!, "ContentRegistry", "confirmHoldings", [[contentId]]);
  body = await holdersWhen(cid.toString(), (b) => b.holders.some((h) => h.state === "confirmed"));
  assert.deepEqual(body.holders.filter((h) => h.state === "confirmed").map((h) => [h.node, h.shareIndex]), [[members[0], 1]]);
  // A member holds a share, not the DEK: the content stays out of its DEK replication work list.
  const work = await get(stack.indexer!.url, `/replication/${members[0]}`);
  assert.equal(work.status, 200);
  assert.ok(!(work.body as { contents: { contentId: Hex }[] }).contents.some((c) => c.contentId === contentId));

  // Slot 2's member exits; anyone repairs the slot; the replacement gets index 6 and, once enrolled, confirms.
  const leaver = members[1]!;
  await d.send(operator, "ValidatorRegistry", "requestExit", [leaver]);
  await d.send(publisher, "ContentRegistry", "repairThreshold", [contentId, chainSlots(dealt.slots)]);
  body = await holdersWhen(cid.toString(), (b) => b.replication.threshold!.slots[1]!.index === 6);
  const repaired = body.replication.threshold!.slots[1]!;
  assert.deepEqual([repaired.previous, repaired.sealedShare], [leaver, null]);
  assert.ok(!body.holders.some((h) => h.node === leaver), "an exiting member serves nobody");
  assert.deepEqual(body.holders.filter((h) => h.node === repaired.member).map((h) => [h.shareIndex, h.state]), [[6, "assigned"]]);
  const current = chainSlots(body.replication.threshold!.slots);
  assert.equal(await d.read<boolean>("ContentRegistry", "isThresholdSlots", [contentId, current]), true, "the indexer's slots are the ones the chain commits to");

  await d.send(repaired.member, "ContentRegistry", "confirmEnrollment", [contentId, current, 1n]);
  body = await holdersWhen(cid.toString(), (b) => b.replication.threshold!.slots[1]!.previous === null);
  assert.equal(body.holders.find((h) => h.node === repaired.member)?.state, "confirmed");
  assert.equal(await d.read<boolean>("ContentRegistry", "isThresholdSlots", [contentId, chainSlots(body.replication.threshold!.slots)]), true);
});
