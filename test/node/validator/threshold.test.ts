/**
 * threshold(2, 3) on real validators, chain and indexer (docs/threshold.md): a content
 * registered with the crypto core's dealing, shares sealed to the drawn members' KAS keys. Each
 * member opens its share from the registration as /holders serves it, stores it sealed and
 * confirms it on chain; a reader asks members over HTTP (POST /v1/rewrap/share), checks the
 * signed answers against the commitments and combines m of them to the DEK; every share served
 * is one audit record on chain; a reader without access and a node without a share are refused.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { encodeAbiParameters, getAddress, hexToBytes, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { CONTRACT_ABIS } from "../../../node/chain/abis.js";
import { P256PrivateKey } from "../../../node/crypto/keys/index.js";
import { createNanoTdfHeader, decodeHeader } from "../../../node/crypto/tdf/index.js";
import { dealSealedShares, deriveThresholdDek, encodeCommitments, openShareAnswer, type Share } from "../../../node/crypto/threshold/index.js";
import { decodeRefusal, decodeShareRewrapAnswer, encodeRewrapRequest } from "../../../node/protocol/rewrap/index.js";
import { thresholdK } from "../../../node/protocol/threshold.js";
import { RewrapSigner } from "../../../node/sdk/rewrapSigner.js";
import type { Validator } from "../../../node/validator/index.js";
import { Net, devAccount, eventually, removeTempDirs } from "./helpers.js";

const THRESHOLD_MODE = 4;
const M = 2;
const N = 3;
let net: Net;
const validators: Validator[] = [];
const publisher = devAccount(5);
const reader = devAccount(6);
const outsider = devAccount(7);

let contentId: Hex;
let dek: Uint8Array;
let header: Uint8Array;
let commitments: Uint8Array[];
let members: Address[];
let policyId: bigint;

before(async () => {
  net = await Net.start();
  for (let i = 0; i < N; i++) validators.push(await net.startValidator(i));
  await net.synced();

  const receipt = await net.send(publisher, "PolicyRegistry", "createPolicy", [
    { requirements: [], allowlist: [reader.address], notBefore: 0n, notAfter: 0n, mode: THRESHOLD_MODE, k: thresholdK(M, N)!, explicitMembers: [] },
  ]);
  const [created] = parseEventLogs({ abi: CONTRACT_ABIS.PolicyRegistry as never, eventName: "PolicyCreated", logs: receipt.logs }) as unknown as { args: { policyId: bigint } }[];
  policyId = created!.args.policyId;

  const registered = await registerThreshold(policyId);
  ({ contentId, dek, header, commitments, members } = registered);
  await net.synced();
});

after(async () => {
  for (const v of validators.reverse()) await v.stop().catch(() => {});
  await net?.stop();
  removeTempDirs();
});

/**
 * Registers a threshold(M, N) content as the SDK does: the draw computed from a recent block,
 * shares dealt and sealed to the drawn members' KAS keys (`kasKeyOf` may name another key), a
 * header made against the content key with the ECDSA binding.
 */
async function registerThreshold(policy: bigint, kasKeyOf = (member: Address) => byAddress(member).store.currentKasKey()!.publicKey) {
  const cid = toHex(new TextEncoder().encode(`threshold-${Date.now()}-${Math.random()}`));
  const id = keccak256(cid);
  const drawBlock = await net.public.getBlockNumber({ cacheTime: 0 });
  const { hash } = await net.public.getBlock({ blockNumber: drawBlock });
  const seed = BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [hash!, id])));
  const drawn = (await net.read<Address[]>("ValidatorRegistry", "sample", [seed, BigInt(N), []])).map((m) => m.toLowerCase() as Address);
  const dealt = dealSealedShares({ m: M, members: drawn.map((m) => ({ address: getAddress(m), kasPublicKey: kasKeyOf(m) })), contentId: hexToBytes(id) });
  const made = createNanoTdfHeader({ kasPublicKey: dealt.commitments[0]!, locator: validators[0]!.httpUrl, policyId: policy, binding: "ecdsa" });
  await net.send(publisher, "ContentRegistry", "registerThreshold", [
    { cid, policyId: policy, header: toHex(made.header.bytes), recoveryEnvelope: "0x", drawBlock, commitments: toHex(encodeCommitments(dealt.commitments)), sealedShares: toHex(Buffer.concat(dealt.sealedShares)) },
  ]);
  return { contentId: id, dek: made.dek, header: made.header.bytes, commitments: dealt.commitments, members: drawn };
}

function byAddress(address: string): Validator {
  return validators.find((v) => v.address.toLowerCase() === address.toLowerCase())!;
}

function signer(account = reader): RewrapSigner {
  const v = validators[0]!;
  return new RewrapSigner(account, { chainId: BigInt(v.deployment.chainId), verifyingContract: v.deployment.addresses.rewrapAuditLog }, { session: false });
}

/** Asks `member` for its share over HTTP: the answer checked against the commitments, or the refusal's code. */
async function askShare(member: Validator, s = signer()): Promise<Share | string> {
  const clientKey = P256PrivateKey.generate();
  const { signed, digest } = await s.sign(contentId, clientKey.publicKey);
  const response = await fetch(`${member.httpUrl}/v1/rewrap/share`, { method: "POST", headers: { "content-type": "application/json" }, body: encodeRewrapRequest(signed) });
  const text = await response.text();
  if (response.status !== 200) return decodeRefusal(text).code;
  const answer = decodeShareRewrapAnswer(text);
  assert.equal(answer.requestDigest, toHex(digest));
  const { holders, threshold } = await member.indexer.holders(contentId);
  const listed = holders.find((h) => h.node === member.address.toLowerCase())!;
  const slot = threshold!.slots.find((s) => s.member === listed.node)!;
  return openShareAnswer({
    answer: answer.shareAnswer,
    contentId: hexToBytes(contentId),
    requestDigest: digest,
    clientPrivateKey: clientKey,
    member: { index: slot.index, kasPublicKey: hexToBytes(listed.kasPublicKey) },
    commitments,
  });
}

test("each member opens its share from the registration, stores it sealed and confirms it on chain", async () => {
  assert.deepEqual([...members].sort(), validators.map((v) => v.address.toLowerCase()).sort(), "threshold(2, 3) over three validators draws all three");
  // A share is opened when first needed: a read asks for it (the reader's request below does too).
  for (const member of members) assert.equal(typeof (await askShare(byAddress(member))), "object");
  for (const [slot, member] of members.entries()) {
    const info = byAddress(member).store.getShareInfo(contentId);
    assert.equal(info?.index, slot + 1);
    assert.equal(byAddress(member).store.hasDek(contentId), false, "a member never holds the DEK");
  }
  await eventually(async () => {
    const { holders } = await validators[0]!.indexer.holders(contentId);
    return holders.filter((h) => h.state === "confirmed").length === N;
  }, 30_000, "every member's confirmation on chain");
  for (const member of members) assert.equal(byAddress(member).store.getShareInfo(contentId)?.confirmation.state, "confirmed");
});

test("a reader gets m share answers over HTTP, checks them and combines them to the DEK; one audit record per share", async () => {
  const asked = members.slice(0, M).map(byAddress);
  const s = signer();
  const shares = await Promise.all(asked.map((member) => askShare(member, s)));
  for (const share of shares) assert.equal(typeof share, "object", `refused: ${String(share)}`);
  const parsed = decodeHeader(header);
  assert.deepEqual(deriveThresholdDek({ header: parsed, commitments, shares: shares as Share[] }), dek);
  // m − 1 shares do not combine.
  assert.throws(() => deriveThresholdDek({ header: parsed, commitments, shares: [shares[0] as Share] }), { code: "THRESHOLD_NOT_ENOUGH_SHARES" });

  const url = `${net.indexerUrl}/audit?cid=${contentId}&requester=${reader.address.toLowerCase()}&limit=500`;
  await eventually(async () => {
    const body = (await (await fetch(url)).json()) as { records: { validator: string }[] };
    // Two shares in this test and three in the one before: one record per share served.
    return body.records.length === N + M;
  }, 30_000, "the audit records of the shares served");
  assert.equal(asked.reduce((sum, v) => sum + v.rewrap.stats().sharesServed, 0) >= 2 * M, true);
});

test("a reader without access, and a node asked for a share it does not hold, are refused; neither is served", async () => {
  const served = () => validators.map((v) => v.rewrap.stats().sharesServed);
  const before = served();
  assert.equal(await askShare(byAddress(members[0]!), signer(outsider)), "REWRAP_ACCESS_DENIED");
  // A stake(1) content: its initial validator holds the DEK, no share, and does not forward a share request.
  const policyId = await net.createPolicy(publisher, "stake", 1);
  const initial = validators[0]!;
  const stake = await net.registerContent(publisher, policyId, initial);
  await net.synced();
  const clientKey = P256PrivateKey.generate();
  const asPublisher = await signer(publisher).sign(stake.contentId, clientKey.publicKey);
  const response = await fetch(`${initial.httpUrl}/v1/rewrap/share`, { method: "POST", headers: { "content-type": "application/json" }, body: encodeRewrapRequest(asPublisher.signed) });
  assert.notEqual(response.status, 200);
  assert.equal(decodeRefusal(await response.text()).code, "REWRAP_NOT_HOLDER");
  assert.deepEqual(served(), before);
});

test("a share sealed to a key its member does not hold: that member refuses and stores nothing; m others still serve", async () => {
  const stranger = P256PrivateKey.generate();
  const victim = validators[0]!;
  const bad = await registerThreshold(policyId, (member) => (byAddress(member) === victim ? stranger.publicKey : byAddress(member).store.currentKasKey()!.publicKey));
  await net.synced();
  ({ contentId, dek, header, commitments, members } = bad);
  assert.equal(await askShare(victim), "REWRAP_NOT_HOLDER");
  assert.equal(await askShare(victim), "REWRAP_NOT_HOLDER");
  assert.equal(victim.store.getShareInfo(contentId), undefined, "nothing stored");
  const shares = await Promise.all(validators.filter((v) => v !== victim).map((v) => askShare(v)));
  assert.deepEqual(deriveThresholdDek({ header: decodeHeader(header), commitments, shares: shares as Share[] }), dek);
});

test("a member exits: the remaining members' designated sender repairs its slot with a fresh index for the validator drawn; the leaver's hand-off still counts it", async () => {
  validators.push(await net.startValidator(N));
  await net.synced();
  ({ contentId, dek, header, commitments, members } = await registerThreshold(policyId));
  await net.synced();
  for (const member of members) assert.equal(typeof (await askShare(byAddress(member))), "object", "each member takes its share");
  const leaver = members[N - 1]!;
  const stayed = validators.find((v) => !members.includes(v.address.toLowerCase() as Address))!;
  await net.send(devAccount(0), "ValidatorRegistry", "requestExit", [getAddress(leaver)]);
  const repaired = await eventually(async () => {
    const { threshold } = await validators[0]!.indexer.holders(contentId);
    const slot = threshold!.slots[N - 1]!;
    return slot.previous === leaver ? slot : undefined;
  }, 30_000, "the leaver's slot repaired");
  assert.deepEqual([repaired.member, repaired.index, repaired.sealedShare], [stayed.address.toLowerCase(), N + 1, null]);
  const { threshold } = await validators[0]!.indexer.holders(contentId);
  assert.deepEqual(threshold!.slots.slice(0, N - 1).map((s) => [s.member, s.index, s.previous]), members.slice(0, N - 1).map((m, i) => [m, i + 1, null]), "the other slots unchanged");
  // The leaver still counts its slot of every content it holds a share of (here as `previous`)
  // until each replacement confirms its enrollment; so does a staying member, as member.
  for (const v of [byAddress(leaver), byAddress(members[0]!)]) {
    const held = v.store.shareContentIds().length;
    // The validator added above was not drawn for the first content; the three others were.
    assert.ok(held >= (v === validators[N] ? 1 : 2), `${held} shares: this content's, and the first one's unless it joined after it`);
    assert.equal((await v.replication.handOffStatus()).thresholdSlots, held);
  }
  // One repair, sent by the active member of the lowest slot.
  const events = await net.public.getContractEvents({ address: net.addresses.ContentRegistry, abi: CONTRACT_ABIS.ContentRegistry as never, eventName: "ThresholdSlotRepaired", fromBlock: 0n });
  const mine = (events as unknown as { transactionHash: Hex; args: { contentId: Hex } }[]).filter((e) => e.args.contentId === contentId);
  assert.equal(mine.length, 1);
  const tx = await net.public.getTransaction({ hash: mine[0]!.transactionHash });
  assert.equal(tx.from.toLowerCase(), members[0]);
});
