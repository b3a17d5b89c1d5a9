/**
 * Lazy replication in every mode reaches exactly the expected holders (replica set ∪ initial
 * validator), with the right DEK; stake/explicit holdings are confirmed on chain, xor/all
 * holders answer `has`; pullers outside the set, non-active pullers, unknown contents and
 * malformed or oversized requests are refused with their codes.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Address, Hex } from "viem";
import { createRecoverySeed, encodeRecoverySeed } from "../../../../node/sdk/index.js";
import { PROTOCOL_REPLICATE, P2pError } from "../../../../node/validator/p2p/index.js";
import { encodeContentRequest, xorReplicaSet } from "../../../../node/validator/replication/index.js";
import type { Validator } from "../../../../node/validator/index.js";
import { Net, devAccount, eventually, removeTempDirs } from "../helpers.js";

const N = 5;
let net: Net;
const validators: Validator[] = [];
const publisher = devAccount(5);

before(async () => {
  net = await Net.start();
  for (let i = 0; i < N; i++) validators.push(await net.startValidator(i));
});

after(async () => {
  for (const v of validators.reverse()) await v.stop().catch(() => {});
  await net?.stop();
  removeTempDirs();
});

const lower = (a: string) => a.toLowerCase() as Address;

/** Waits until exactly `expected` validators hold the content's DEK (and it is `dek`), and all are idle. */
async function expectHolders(contentId: Hex, dek: Uint8Array, expected: Address[]): Promise<void> {
  const want = new Set(expected.map(lower));
  await eventually(() => validators.every((v) => v.store.hasDek(contentId) === want.has(lower(v.address))), 30_000, `holders of ${contentId}`);
  for (const v of validators) if (want.has(lower(v.address))) assert.deepEqual(v.store.getDek(contentId), dek);
  // …and nobody else picks it up later.
  await Promise.all(validators.map((v) => v.replication.waitIdle({ timeoutMs: 20_000 })));
  for (const v of validators) assert.equal(v.store.hasDek(contentId), want.has(lower(v.address)), `${v.address} holds ${contentId}?`);
}

async function confirmedOnChain(contentId: Hex, expected: Address[]): Promise<void> {
  const want = expected.map(lower).sort();
  await eventually(async () => {
    const { holders } = await validators[0]!.indexer.holders(contentId);
    const confirmed = holders.filter((h) => h.state === "confirmed").map((h) => h.node).sort();
    return JSON.stringify(confirmed) === JSON.stringify(want);
  }, 20_000, `confirmations of ${contentId}`);
}

test("stake(3): the drawn set and the initial validator hold it, confirmed on chain", async () => {
  const policyId = await net.createPolicy(publisher, "stake", 3);
  const initial = validators[0]!;
  const { contentId, dek } = await net.registerContent(publisher, policyId, initial);
  await net.synced();
  const work = await initial.indexer.replication(initial.address);
  const set = work.contents.find((c) => c.contentId === contentId)!.replicaSet.filter((m): m is Address => m !== null);
  assert.equal(set.length, 3);
  const expected = [...new Set([...set, lower(initial.address)])];
  await expectHolders(contentId, dek, expected);
  await confirmedOnChain(contentId, expected);
});

test("xor(2): the two closest active validators and the initial validator hold it; they answer has", async () => {
  const policyId = await net.createPolicy(publisher, "xor", 2);
  const initial = validators[1]!;
  const { contentId, dek } = await net.registerContent(publisher, policyId, initial);
  const closest = xorReplicaSet(contentId, validators.map((v) => lower(v.address)), 2);
  const expected = [...new Set([...closest, lower(initial.address)])];
  await expectHolders(contentId, dek, expected);
  const holder = validators.find((v) => lower(v.address) === closest[0])!;
  const asker = validators.find((v) => !expected.includes(lower(v.address)))!;
  assert.equal(await asker.replication.askHas({ node: holder.address, peerId: holder.peerId, multiaddrs: holder.multiaddrs }, contentId), true);
  assert.equal(await holder.replication.askHas({ node: asker.address, peerId: asker.peerId, multiaddrs: asker.multiaddrs }, contentId), false);
});

test("all: every active validator holds it", async () => {
  const policyId = await net.createPolicy(publisher, "all");
  const { contentId, dek } = await net.registerContent(publisher, policyId, validators[2]!);
  await expectHolders(contentId, dek, validators.map((v) => lower(v.address)));
});

test("explicit: the listed validators (and the initial one) hold it, confirmed on chain", async () => {
  const members = [lower(validators[3]!.address), lower(validators[4]!.address)];
  const policyId = await net.createPolicy(publisher, "explicit", 0, members);
  const initial = validators[0]!;
  const { contentId, dek } = await net.registerContent(publisher, policyId, initial);
  const expected = [...members, lower(initial.address)];
  await expectHolders(contentId, dek, expected);
  await confirmedOnChain(contentId, expected);
});

test("pull requests: outside the set, unknown content, malformed and oversized are refused with their codes", async () => {
  const members = [lower(validators[3]!.address)];
  const policyId = await net.createPolicy(publisher, "explicit", 0, members);
  const holder = validators[0]!;
  const { contentId } = await net.registerContent(publisher, policyId, holder);
  await eventually(() => validators[3]!.store.hasDek(contentId), 20_000, "member pulled");
  const outsider = validators[2]!;
  const target = holder.multiaddrs[0]!;
  const refusal = async (payload: Uint8Array) => {
    try {
      await outsider.p2p.request(target, PROTOCOL_REPLICATE, payload);
    } catch (error) {
      assert.ok(error instanceof P2pError, String(error));
      return error.code;
    }
    assert.fail("the pull was served");
  };
  assert.equal(await refusal(encodeContentRequest(contentId)), "REPLICATION_NOT_IN_REPLICA_SET");
  assert.equal(await refusal(encodeContentRequest(`0x${"ab".repeat(32)}`)), "REPLICATION_UNKNOWN_CONTENT");
  assert.equal(await refusal(new TextEncoder().encode('{"contentId":"0x12"}')), "REPLICATION_MALFORMED");
  assert.equal(await refusal(new TextEncoder().encode(`{"contentId":"${contentId}","extra":1}`)), "REPLICATION_MALFORMED");
  assert.equal(await refusal(new Uint8Array(4096)), "P2P_MESSAGE_TOO_LARGE");
  assert.equal(outsider.store.hasDek(contentId), false);
  assert.ok((holder.replication.stats().refused.REPLICATION_NOT_IN_REPLICA_SET ?? 0) >= 1);
});

test("work list: `known` answers unchanged while the page holds, a new tag once it changes; a bad tag is refused", async () => {
  const node = validators[1]!;
  await net.synced();
  const first = await node.indexer.replication(node.address);
  assert.match(first.tag, /^[A-Za-z0-9_-]{22}$/);
  const same = await node.indexer.replication(node.address, { known: first.tag });
  assert.ok("unchanged" in same && same.unchanged === true && same.tag === first.tag);
  // A content that concerns the node (it is the initial validator) changes its list.
  const policyId = await net.createPolicy(publisher, "stake", 3);
  const { contentId } = await net.registerContent(publisher, policyId, node);
  await net.synced();
  const changed = await node.indexer.replication(node.address, { known: first.tag });
  assert.ok(!("unchanged" in changed), "a changed list is sent in full");
  assert.notEqual(changed.tag, first.tag);
  assert.ok(changed.contents.some((c) => c.contentId === contentId));
  for (const bad of ["short", "x".repeat(22).replace("x", "!"), "A".repeat(200)]) {
    const res = await fetch(`${net.indexerUrl}/replication/${node.address}?known=${encodeURIComponent(bad)}`);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "invalid_cursor");
  }
});

test("a pull that reaches the initial validator before its pass derived the DEK is served, not refused", async () => {
  // This initial validator runs a pass only when something wakes it: the member's pull arrives
  // for a content its last work list does not have yet.
  const initial = await net.startValidator(N, { replication: { intervalMs: 3_600_000 } });
  try {
    const member = validators[2]!;
    const before = { initial: initial.replication.stats(), member: member.replication.stats() };
    const policyId = await net.createPolicy(publisher, "explicit", 0, [lower(member.address)]);
    const { contentId, dek } = await net.registerContent(publisher, policyId, initial);
    await eventually(() => member.store.hasDek(contentId), 20_000, "member pulled");
    assert.deepEqual(member.store.getDek(contentId), dek);
    const after = { initial: initial.replication.stats(), member: member.replication.stats() };
    // Once in 27 runs under load one of these failed, with no message kept: say what happened.
    const seen = JSON.stringify({ before, after }, (_, value) => (typeof value === "bigint" ? value.toString() : value));
    assert.equal(after.initial.derived - before.initial.derived, 1, `derived once, by the pull or the pass it woke: ${seen}`);
    assert.equal(after.initial.served - before.initial.served, 1, seen);
    assert.equal(after.initial.refused.REPLICATION_NOT_HOLDER ?? 0, 0, seen);
    assert.equal((after.member.refused.REPLICATION_NOT_HOLDER ?? 0) - (before.member.refused.REPLICATION_NOT_HOLDER ?? 0), 0, seen);
    assert.equal(after.member.pullFailures, before.member.pullFailures, seen);
  } finally {
    await initial.stop();
  }
});

// Run on its own (--test-name-pattern), no validator has met another yet: every DHT routing
// table is empty, and the holder's provide reaches the others only by joining the DHT through
// the active set (DekKeeper, ProviderRecords). After the tests above, they are all connected.
test("xor: a holder outside the replica set, known only by its DHT provider record, is a pull source", async () => {
  // The initial validator is gone (stopped, still active on chain), so nobody derives the DEK.
  // Its publisher re-seeds it (POST /v1/recover) at a validator outside the set, which announces
  // it in the DHT. xor holdings leave nothing on chain or in the indexer: the member finds that
  // holder through the provider record or not at all. (A header sealed to a key no validator has
  // would not do: its initial validator reports it unusable, and nobody pulls it — junk.test.ts.)
  const gone = await net.startValidator(N + 1);
  const initial = { address: lower(gone.address), kasPublicKey: gone.store.currentKasKey()!.publicKey, httpUrl: gone.httpUrl };
  await gone.stop();
  const policyId = await net.createPolicy(publisher, "xor", 1);
  // The set as the validators will draw it: with `gone` in it (a cached or lagging read without
  // it names another member, which then never pulls).
  await net.synced();
  const active = await eventually(async () => {
    const nodes = (await validators[0]!.indexer.activeValidators()).validators.map((v) => lower(v.node));
    return nodes.includes(initial.address) && nodes;
  }, 10_000, "the stopped validator in the active set");
  const running = (address: Address) => validators.find((v) => lower(v.address) === address);
  // A content whose one-member set is a running validator (stopped ones are still active).
  let prepared: Awaited<ReturnType<Net["prepareContentFor"]>>;
  do {
    prepared = await net.prepareContentFor(policyId, initial);
  } while (running(xorReplicaSet(prepared.contentId, active, 1)[0]!) === undefined);
  const { contentId, cid, header, dek } = prepared;
  const member = running(xorReplicaSet(contentId, active, 1)[0]!)!;
  const holder = validators.find((v) => v !== member)!;
  await net.send(publisher, "ContentRegistry", "register", [cid, policyId, initial.address, header, "0x"]);
  await net.synced();
  const before = member.replication.stats();

  const kas = holder.store.currentKasKey()!;
  const seed = await createRecoverySeed({
    account: publisher,
    domain: { chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog },
    contentId,
    validator: holder.address,
    kasPublicKey: kas.publicKey,
    kid: `0x${Buffer.from(kas.kid).toString("hex")}`,
    dek,
    nonce: BigInt(Date.now()),
    expiry: Math.floor(Date.now() / 1000) + 120,
  });
  const response = await fetch(`${holder.httpUrl}/v1/recover`, { method: "POST", headers: { "content-type": "application/json" }, body: encodeRecoverySeed(seed) });
  assert.equal(response.status, 200, await response.text());

  // The stat moves once the DEK is durable; the store shows the row a few ms earlier, while
  // its commit is being fsync'd.
  await eventually(() => member.replication.stats().pulledFromProviders > before.pulledFromProviders, 30_000, "the member pulled from the provider");
  assert.deepEqual(member.store.getDek(contentId), dek);
  assert.equal(member.replication.stats().pulledFromProviders - before.pulledFromProviders, 1);
  for (const v of validators) if (v !== member && v !== holder) assert.equal(v.store.hasDek(contentId), false, `${v.address} holds it`);
});
