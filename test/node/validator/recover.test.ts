/**
 * POST /v1/recover on real validators (startValidator: store, p2p, rewrap, replication, HTTP)
 * over a real chain + Ponder: a publisher re-seeds the DEK of a content whose only holder is
 * gone at a validator that never had it; that validator then serves rewraps and its holding is
 * confirmed on chain. Every refusal — forged, wrong DEK, replayed, expired, misdirected,
 * unknown KAS key, unknown content, malformed or oversized body — is the rewrap refusal of its
 * code (256 bytes whatever the code) and stores nothing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Address, Hex, HDAccount } from "viem";
import {
  createClient,
  createRecoverySeed,
  encodeRecoverySeed,
  type DekmeshClient,
  type RecoverySeed,
} from "../../../node/sdk/index.js";
import {
  decodeRefusal,
  decodeRewrapAnswer,
  encodeRewrapRequest,
  REFUSAL_BYTES,
  type RewrapDomain,
} from "../../../node/protocol/rewrap/index.js";
import type { Validator } from "../../../node/validator/index.js";
import { Reader } from "./rewrap/helpers.js";
import { devAccount, eventually, Net, removeTempDirs } from "./helpers.js";

const publisherAccount = devAccount(5);
const strangerAccount = devAccount(7);

let net: Net;
let holder: Validator; // the initial validator and only replica: stopped before the recovery
let target: Validator; // never had the DEK
let publisher: DekmeshClient;
let domain: RewrapDomain;
let cid: string;
let contentId: Hex;
let dek: Uint8Array;

const nowS = () => Math.floor(Date.now() / 1000);
const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}` as Hex;
let nonce = BigInt(Date.now()) * 1000n;

/** A seed for `target` carrying the content's DEK, with any field overridden. */
async function seed(overrides: Partial<Parameters<typeof createRecoverySeed>[0]> = {}): Promise<RecoverySeed> {
  const kas = target.store.currentKasKey()!;
  return createRecoverySeed({
    account: publisherAccount,
    domain,
    contentId,
    validator: target.address,
    kasPublicKey: kas.publicKey,
    kid: hex(kas.kid),
    dek,
    nonce: nonce++,
    expiry: nowS() + 120,
    ...overrides,
  });
}

function post(body: string, contentType = "application/json"): Promise<Response> {
  return fetch(`${target.httpUrl}/v1/recover`, { method: "POST", headers: { "content-type": contentType }, body });
}

/** Asserts a rewrap refusal of `code` with `status`, in the constant-size shape; nothing stored. */
async function refusedWith(response: Response, status: number, code: string): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${text.trim()}`);
  assert.equal(Buffer.byteLength(text), REFUSAL_BYTES);
  assert.equal(decodeRefusal(text).code, code);
  assert.equal(target.store.hasDek(contentId), false, "a refused seed stored a DEK");
}

before(async () => {
  net = await Net.start();
  holder = await net.startValidator(0);
  target = await net.startValidator(1);
  await net.synced();
  domain = { chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog };
  publisher = await createClient({ chain: { rpcUrl: net.stack.chain.url }, deployment: net.stack.deployment.file, indexerUrl: net.indexerUrl, account: publisherAccount });
  // Explicit replication to the initial validator alone: the target is never asked to hold it.
  cid = await publisher.upload(randomBytes(4096), { replication: { explicit: [holder.address] }, validator: holder.address });
  const recovered = await publisher.recoverDek(cid);
  contentId = recovered.registration.contentId;
  dek = recovered.dek;
  await eventually(() => holder.store.hasDek(contentId), 20_000, "the initial validator's DEK");
  assert.deepEqual(holder.store.getDek(contentId), dek);
  await target.replication.waitIdle({ timeoutMs: 20_000 });
  assert.equal(target.store.hasDek(contentId), false);
});

after(async () => {
  await publisher?.close().catch(() => {});
  for (const v of [target, holder]) await v?.stop().catch(() => {});
  await net?.stop();
  removeTempDirs();
});

describe("refusals: nothing is stored", () => {
  it("error: not signed by the publisher → 403 REWRAP_ACCESS_DENIED; an unrecoverable signature → 401 REWRAP_SIGNATURE_INVALID", async () => {
    await refusedWith(await post(encodeRecoverySeed(await seed({ account: strangerAccount }))), 403, "REWRAP_ACCESS_DENIED");
    const good = await seed();
    // v = 5 is no recovery id: no signer at all.
    const broken = { ...good, signature: `${good.signature.slice(0, -2)}05` as Hex };
    await refusedWith(await post(encodeRecoverySeed(broken)), 401, "REWRAP_SIGNATURE_INVALID");
    // A signature over other fields: recovers to some other account.
    const moved = { ...good, expiry: good.expiry + 1 };
    await refusedWith(await post(encodeRecoverySeed(moved)), 403, "REWRAP_ACCESS_DENIED");
  });

  it("error: the envelope of another DEK, or to another validator's key → 400 REWRAP_MALFORMED", async () => {
    await refusedWith(await post(encodeRecoverySeed(await seed({ dek: randomBytes(32) }))), 400, "REWRAP_MALFORMED");
    await refusedWith(await post(encodeRecoverySeed(await seed({ kasPublicKey: holder.store.currentKasKey()!.publicKey }))), 400, "REWRAP_MALFORMED");
  });

  it("error: expired → 401 REWRAP_EXPIRED; more than 300 s ahead → 401 REWRAP_EXPIRY_TOO_FAR", async () => {
    await refusedWith(await post(encodeRecoverySeed(await seed({ expiry: nowS() - 1 }))), 401, "REWRAP_EXPIRED");
    await refusedWith(await post(encodeRecoverySeed(await seed({ expiry: nowS() + 3600 }))), 401, "REWRAP_EXPIRY_TOO_FAR");
  });

  it("error: addressed to another validator, or to a KAS key it does not hold → 400 REWRAP_MALFORMED", async () => {
    await refusedWith(await post(encodeRecoverySeed(await seed({ validator: holder.address }))), 400, "REWRAP_MALFORMED");
    await refusedWith(await post(encodeRecoverySeed(await seed({ kid: "0x0102030405060708" }))), 400, "REWRAP_MALFORMED");
  });

  it("error: an unknown content → 404 REWRAP_CONTENT_NOT_FOUND", async () => {
    await refusedWith(await post(encodeRecoverySeed(await seed({ contentId: hex(randomBytes(32)) }))), 404, "REWRAP_CONTENT_NOT_FOUND");
  });

  it("error: malformed bodies → 400 REWRAP_MALFORMED, oversized → 413 REWRAP_TOO_LARGE, other media types → 415", async () => {
    const good = JSON.parse(encodeRecoverySeed(await seed())) as Record<string, unknown>;
    const { envelope: _missing, ...withoutEnvelope } = good;
    for (const body of [
      "not json",
      "[]",
      JSON.stringify(withoutEnvelope),
      JSON.stringify({ ...good, extra: 1 }),
      JSON.stringify({ ...good, nonce: 5 }),
      JSON.stringify({ ...good, nonce: "-1" }),
      JSON.stringify({ ...good, expiry: "soon" }),
      JSON.stringify({ ...good, kid: "0x01" }),
      JSON.stringify({ ...good, envelope: `${String(good.envelope)}00` }),
      JSON.stringify({ ...good, signature: `0x${"zz".repeat(65)}` }),
      JSON.stringify({ ...good, validator: "0x1234" }),
    ]) {
      await refusedWith(await post(body), 400, "REWRAP_MALFORMED");
    }
    await refusedWith(await post(JSON.stringify({ ...good, pad: "x".repeat(5000) })), 413, "REWRAP_TOO_LARGE");
    const media = await post(encodeRecoverySeed(await seed()), "text/plain");
    assert.equal(media.status, 415);
    assert.equal(((await media.json()) as { error: { code: string } }).error.code, "HTTP_UNSUPPORTED_MEDIA_TYPE");
    const get = await fetch(`${target.httpUrl}/v1/recover`);
    assert.equal(get.status, 405);
    await get.body?.cancel();
  });
});

describe("re-seeding a DEK whose holders are gone", () => {
  const reader = () => new Reader(publisherAccount, domain);

  async function rewrapAtTarget(): Promise<Response> {
    const r = reader();
    const signed = await r.request(contentId);
    const response = await fetch(`${target.httpUrl}/v1/rewrap`, { method: "POST", headers: { "content-type": "application/json" }, body: encodeRewrapRequest(signed) });
    if (response.status === 200) {
      const answer = decodeRewrapAnswer(await response.text());
      assert.deepEqual(r.open(answer.envelope, Buffer.from(answer.requestDigest.slice(2), "hex")), dek);
    }
    return response;
  }

  it("the only holder stops: the target cannot serve the content", async () => {
    await holder.stop();
    const response = await rewrapAtTarget();
    assert.equal(response.status, 503);
    assert.ok(["REWRAP_NOT_HOLDER", "REWRAP_FORWARD_FAILED"].includes(decodeRefusal(await response.text()).code));
  });

  it("client.recover re-seeds the DEK at the target: stored durably as recovered, served by rewrap, confirmed on chain", async () => {
    await publisher.recover(cid, target.address);
    assert.deepEqual(target.store.getDek(contentId), dek);
    const info = target.store.getDekInfo(contentId)!;
    assert.equal(info.source, "recovered");
    assert.equal(info.mode, "explicit");
    assert.equal(target.stats().replication.recovered, 1);
    const response = await rewrapAtTarget();
    assert.equal(response.status, 200);
    // Confirmed like a replicated holding: HoldingConfirmed on chain, indexed.
    await eventually(async () => (await publisher.holders(cid)).holders.find((h) => h.node.toLowerCase() === target.address.toLowerCase() && h.state === "confirmed"), 20_000, "the target's confirmation");
    await eventually(() => target.store.getDekInfo(contentId)!.confirmation.state === "confirmed", 20_000, "the store's confirmation");
  });

  it("a seed for a DEK already held answers stored again; its replay → 409 REWRAP_REPLAYED", async () => {
    const body = encodeRecoverySeed(await seed());
    const first = await post(body);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { contentId, stored: true });
    const replay = await post(body);
    assert.equal(replay.status, 409);
    assert.equal(decodeRefusal(await replay.text()).code, "REWRAP_REPLAYED");
    // The DEK was already held: nothing new stored, nothing counted.
    assert.equal(target.stats().replication.recovered, 1);
  });

  it("error: a stranger's client.recover is refused before any request", async () => {
    const stranger = await createClient({ chain: { rpcUrl: net.stack.chain.url }, deployment: net.stack.deployment.file, indexerUrl: net.indexerUrl, account: strangerAccount as HDAccount });
    try {
      await assert.rejects(stranger.recover(cid, target.address as Address), (e: Error & { code?: string }) => e.code === "CLIENT_RECOVERY_FAILED");
    } finally {
      await stranger.close();
    }
  });
});
