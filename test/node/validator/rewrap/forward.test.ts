/**
 * Forward-if-not-have over real libp2p on loopback, against a real chain and indexer: three
 * validators (A holds the DEKs, B forwards, C holds nothing), peers gated by the indexer's active
 * set. The forwarder relays answers it cannot open and keeps no DEK and no audit record.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type Hex, bytesToHex, hexToBytes } from "viem";
import { P2pRemoteError, PROTOCOL_REWRAP } from "../../../../node/validator/p2p/index.js";
import { rewrapRequestToJson } from "../../../../node/protocol/rewrap/index.js";
import { bulkItemDigest } from "../../../../node/crypto/keys/eip712.js";
import { devAccount, hex, Reader, refused, removeTempDirs, startValidator, TestNet, type TestValidator } from "./helpers.js";

let net: TestNet;
let a: TestValidator;
let b: TestValidator;
let c: TestValidator;
const publisher = devAccount(3);
let policy: bigint;
let team: Hex;
const deks = new Map<Hex, Uint8Array>();
const reader = () => new Reader(devAccount(4), net.domain);

async function content(holder: TestValidator | undefined, initial: TestValidator = a, policyId: bigint = policy): Promise<Hex> {
  const contentId = await net.registerContent(publisher, policyId, initial.account.address);
  const dek = new Uint8Array(randomBytes(32));
  deks.set(contentId, dek);
  if (holder) await holder.store.putDek(contentId, dek, { policyId, mode: "all", source: "initial" });
  return contentId;
}

async function auditRecords(v: TestValidator) {
  const records = [];
  for (let batch = await v.store.takeBatch(); batch; batch = await v.store.takeBatch()) records.push(...v.store.batchRecords(batch.batchId));
  return records;
}

before(async () => {
  net = await TestNet.start();
  // A serves with its signature checks and wraps on a worker thread; B and C on the main thread.
  a = await startValidator(net, devAccount(10), devAccount(11), { p2p: true, service: { cryptoWorkers: 1 } });
  b = await startValidator(net, devAccount(12), devAccount(13), { p2p: true });
  c = await startValidator(net, devAccount(14), devAccount(15), { p2p: true });
  team = await net.createNamespace(publisher, "team", "anyOf", ["red", "blue"]);
  policy = await net.createPolicy(publisher, { requirements: [{ namespace: team, value: 0 }], mode: "all" });
  await net.grant(publisher, team, devAccount(4).address, 0);
  await net.synced();
});

after(async () => {
  await Promise.all([a, b, c].map((v) => v?.stop()));
  await net?.stop();
  removeTempDirs();
});

describe("forwarding", () => {
  let served: { validator: TestValidator; contentId: Hex; requestDigest: Hex }[] = [];

  it("a non-holder forwards to the holder; the answer opens at the client; only the holder audits", async () => {
    const id = await content(a);
    await net.synced();
    const r = reader();
    const signed = await r.request(id);
    const answer = await b.service.rewrap(signed);
    assert.equal(hex(r.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(deks.get(id)!));
    assert.equal(answer.requestDigest, bytesToHex(b.service.hasher.request(signed.request)));
    served.push({ validator: a, contentId: id, requestDigest: answer.requestDigest });
    assert.equal(b.store.hasDek(id), false);
    assert.equal(b.store.unbatchedAuditCount(), 0);
    assert.equal(a.store.unbatchedAuditCount(), 1);
    assert.deepEqual(b.missing, [id]);
    assert.equal(b.service.stats().forwarded, 1);
    assert.equal(a.service.stats().inboundForwards, 1);
  });

  it("session requests are forwarded too", async () => {
    const id = await content(a);
    await net.synced();
    const r = reader();
    await r.startSession();
    const answer = await b.service.rewrap(r.sessionRequest(id));
    assert.equal(hex(r.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(deks.get(id)!));
    served.push({ validator: a, contentId: id, requestDigest: answer.requestDigest });
  });

  it("bulk: serves what it holds, forwards the rest to the holder in one request", async () => {
    const local = await content(b);
    const remote = [await content(a), await content(a)];
    const nowhere = await content(undefined, c);
    await net.synced();
    const r = reader();
    const ids = [remote[0]!, local, nowhere, remote[1]!];
    const answer = await b.service.rewrapBulk(await r.bulk(ids));
    const bulkDigest = hexToBytes(answer.requestDigest);
    const codes = answer.results.map((item) => ("error" in item ? item.error.code : "ok"));
    assert.deepEqual(codes, ["ok", "ok", "REWRAP_FORWARD_FAILED", "ok"]);
    for (const item of answer.results) {
      if (!("envelope" in item)) continue;
      assert.equal(hex(r.openBulkItem(item.envelope, bulkDigest, item.contentId)), hex(deks.get(item.contentId)!));
      served.push({ validator: item.contentId === local ? b : a, contentId: item.contentId, requestDigest: bytesToHex(bulkItemDigest(bulkDigest, item.contentId)) });
    }
  });

  it("fails over: a holder that confirmed on chain but lost the DEK answers NOT_HOLDER, the next one serves", async () => {
    const id = await content(a);
    await net.confirmHoldings(c.account, [id]);
    await net.synced();
    const holders = await b.indexer.holders(id);
    assert.equal(holders.holders[0]!.node, c.account.address.toLowerCase(), "C is listed first (confirmed)");
    const r = reader();
    const answer = await b.service.rewrap(await r.request(id));
    assert.equal(hex(r.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(deks.get(id)!));
    served.push({ validator: a, contentId: id, requestDigest: answer.requestDigest });
    assert.ok(c.service.stats().inboundForwards >= 1);
    assert.equal(c.store.unbatchedAuditCount(), 0);
  });

  it("no listed holder has it: the holder is found through its DHT provider record", async () => {
    // An explicit set {C}, with C as the initial validator: C is all the indexer lists, and C
    // lacks the DEK. A holds it anyway, as a validator its publisher re-seeded would, and says
    // so in the DHT only; nothing on chain or in the indexer names A for this content.
    const explicit = await net.createPolicy(publisher, { requirements: [{ namespace: team, value: 0 }], mode: "explicit", explicitMembers: [c.account.address] });
    const id = await content(a, c, explicit);
    await net.synced();
    assert.deepEqual([...new Set((await b.indexer.holders(id)).holders.map((h) => h.peerId))], [c.p2p!.peerId]);
    for (const peer of [b, c]) await a.p2p!.dial(peer.p2p!.getMultiaddrs()[0]!);
    assert.ok((await a.p2p!.provide(id)) >= 1, "the record reached a DHT peer");

    const before = { b: b.service.stats(), c: c.service.stats() };
    const r = reader();
    const answer = await b.service.rewrap(await r.request(id));
    assert.equal(hex(r.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(deks.get(id)!));
    served.push({ validator: a, contentId: id, requestDigest: answer.requestDigest });
    assert.equal(b.service.stats().forwardedViaProviders - before.b.forwardedViaProviders, 1);
    assert.equal(c.service.stats().inboundForwards - before.c.inboundForwards, 1, "the listed holder was asked first");
    assert.equal(b.store.hasDek(id), false);
  });

  it("error: no holder has the DEK (FORWARD_FAILED)", async () => {
    const id = await content(undefined, c);
    await net.synced();
    await refused(b.service.rewrap(await reader().request(id)), "REWRAP_FORWARD_FAILED");
  });

  it("error: the holder's refusal is relayed (a request already served there is REPLAYED)", async () => {
    const id = await content(a);
    await net.synced();
    const r = reader();
    const signed = await r.request(id);
    const answer = await a.service.rewrap(signed);
    served.push({ validator: a, contentId: id, requestDigest: answer.requestDigest });
    await refused(b.service.rewrap(signed), "REWRAP_REPLAYED");
  });

  it("error: a forwarded request is never forwarded again (hop limit)", async () => {
    const id = await content(a);
    await net.synced();
    const signed = await reader().request(id);
    const auditedByA = a.store.unbatchedAuditCount();
    const message = new TextEncoder().encode(JSON.stringify({ hop: 1, rewrap: rewrapRequestToJson(signed) }));
    const target = `${c.p2p!.getMultiaddrs()[0]!.toString()}`;
    await assert.rejects(b.p2p!.request(target, PROTOCOL_REWRAP, message), (e: unknown) => e instanceof P2pRemoteError && e.code === "REWRAP_NOT_HOLDER");
    assert.equal(a.store.unbatchedAuditCount(), auditedByA, "A was not asked");
  });

  it("error: malformed, truncated and oversized forwarded messages", async () => {
    const target = `${a.p2p!.getMultiaddrs()[0]!.toString()}`;
    const signed = rewrapRequestToJson(await reader().request(await content(a)));
    const auditedByA = a.store.unbatchedAuditCount();
    const send = (body: string | Uint8Array) => b.p2p!.request(target, PROTOCOL_REWRAP, typeof body === "string" ? new TextEncoder().encode(body) : body);
    const code = (expected: string) => (e: unknown) => e instanceof P2pRemoteError && e.code === expected;
    await assert.rejects(send(JSON.stringify({ hop: 2, rewrap: signed })), code("REWRAP_MALFORMED"));
    await assert.rejects(send(JSON.stringify({ hop: 1, rewrap: signed, extra: 1 })), code("REWRAP_MALFORMED"));
    await assert.rejects(send(JSON.stringify({ hop: 1, rewrap: signed }).slice(0, 100)), code("REWRAP_MALFORMED"));
    await assert.rejects(send(new Uint8Array([0xff, 0x00, 0x7b])), code("REWRAP_MALFORMED"));
    await assert.rejects(send(JSON.stringify({ hop: 1, bulk: { ...signed, contentIds: [signed.contentId] }, only: [0] })), code("REWRAP_MALFORMED"));
    await assert.rejects(send(new Uint8Array(200 * 1024)), code("P2P_MESSAGE_TOO_LARGE"));
    assert.equal(a.store.unbatchedAuditCount(), auditedByA);
  });

  it("audit records match the served rewraps one for one, at the validator that served them", async () => {
    for (const v of [a, b, c]) {
      const records = await auditRecords(v);
      const expected = served.filter((s) => s.validator === v);
      const key = (x: { contentId: string; requestDigest: string }) => `${x.contentId}/${x.requestDigest}`;
      assert.deepEqual(records.map(key).sort(), expected.map(key).sort());
      for (const record of records) assert.equal(record.requester, devAccount(4).address.toLowerCase());
    }
    assert.equal(b.store.hasDek(served.find((s) => s.validator === a)!.contentId), false);
  });
});
