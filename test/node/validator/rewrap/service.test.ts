/**
 * The rewrap service against a real chain and indexer: a validator that holds DEKs serves
 * readers the policy allows (per-request EIP-712, session, bulk), and refuses every docs/architecture.md#threats
 * attack on the rewrap path with its reason code. One stack for the whole file.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { getEventListeners } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Address, type Hex, bytesToHex, hexToBytes } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { HARDHAT_MNEMONIC } from "../../../../node/devnet/accounts.js";
import {
  createRewrapService,
  type RewrapCrypto,
  type RewrapService,
  WorkerRewrapCrypto,
} from "../../../../node/validator/rewrap/index.js";
import { createAccessDecider } from "../../../../node/validator/access/index.js";
import {
  decodeBulkRequest,
  decodeRewrapRequest,
  encodeRefusal,
  encodeRewrapRequest,
  MAX_BULK_CONTENTS,
  REFUSAL_BYTES,
  RewrapError,
  rewrapRequestTypedData,
  type RewrapAnswer,
} from "../../../../node/protocol/rewrap/index.js";
import { bulkItemDigest } from "../../../../node/crypto/keys/eip712.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import {
  devAccount,
  hex,
  Reader,
  refused,
  removeTempDirs,
  startValidator,
  tempDir,
  TestNet,
  type TestValidator,
} from "./helpers.js";

const nowS = () => Math.floor(Date.now() / 1000);

let net: TestNet;
let validator: TestValidator;
const publisher = devAccount(3);
let clearance: Hex;
/** policy: clearance ≥ secret (hierarchy) */
let secretPolicy: bigint;
let secretContent: Hex;
const deks = new Map<Hex, Uint8Array>();
/** Every rewrap the validator served: what its audit outbox must hold, one for one. */
const served: { contentId: Hex; requester: Address; requestDigest: Hex }[] = [];
const refusals: RewrapError[] = [];

const cleared = () => new Reader(devAccount(4), net.domain);
const uncleared = () => new Reader(devAccount(5), net.domain);

async function holdContent(policyId: bigint): Promise<Hex> {
  const contentId = await net.registerContent(publisher, policyId, validator.account.address);
  const dek = new Uint8Array(randomBytes(32));
  deks.set(contentId, dek);
  await validator.store.putDek(contentId, dek, { policyId, mode: "all", source: "initial" });
  return contentId;
}

async function serve(reader: Reader, promise: Promise<RewrapAnswer>): Promise<RewrapAnswer> {
  const answer = await promise;
  assert.equal(hex(reader.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(deks.get(answer.contentId)!));
  served.push({ contentId: answer.contentId, requester: reader.address, requestDigest: answer.requestDigest });
  return answer;
}

async function refuse(promise: Promise<unknown>, code: string, reason?: string): Promise<void> {
  refusals.push(await refused(promise, code, reason));
}

before(async () => {
  net = await TestNet.start();
  validator = await startValidator(net, devAccount(1), devAccount(2));
  clearance = await net.createNamespace(publisher, "clearance", "hierarchy", ["top", "secret", "public"]);
  secretPolicy = await net.createPolicy(publisher, { requirements: [{ namespace: clearance, value: 1 }] });
  await net.grant(publisher, clearance, devAccount(4).address, 1);
  secretContent = await holdContent(secretPolicy);
  await net.synced();
});

after(async () => {
  await validator?.stop();
  await net?.stop();
  removeTempDirs();
});

describe("serving", () => {
  it("a per-request EIP-712 rewrap opens to the DEK and is bound to its request", async () => {
    const reader = cleared();
    const signed = await reader.request(secretContent);
    const answer = await serve(reader, validator.service.rewrap(signed));
    assert.equal(answer.requestDigest, bytesToHex(validator.service.hasher.request(signed.request)));
    assert.throws(() => reader.open(answer.envelope, randomBytes(32)), /authentication/);
  });

  it("the publisher is always served", async () => {
    const reader = new Reader(publisher, net.domain);
    await serve(reader, validator.service.rewrap(await reader.request(secretContent)));
  });

  it("a session: one grant recovery, then P-256-signed requests", async () => {
    const reader = cleared();
    const grant = await reader.startSession();
    const before = validator.service.stats().grantRecoveries;
    const info = await validator.service.registerSession(grant);
    assert.equal(info.account, reader.address);
    assert.equal(info.grantHash, bytesToHex(validator.service.hasher.grant(grant)));
    for (let i = 0; i < 5; i++) await serve(reader, validator.service.rewrap(reader.sessionRequest(secretContent)));
    assert.equal(validator.service.stats().grantRecoveries, before + 1);
  });

  it("a session request works without registering the grant first", async () => {
    const reader = cleared();
    await reader.startSession();
    await serve(reader, validator.service.rewrap(reader.sessionRequest(secretContent)));
  });

  it("bulk: one signature, per-content results, envelopes bound to keccak(bulkDigest ‖ contentId)", async () => {
    const reader = cleared();
    const held = [secretContent, await holdContent(secretPolicy), await holdContent(secretPolicy)];
    const otherPolicy = await net.createPolicy(publisher, { requirements: [{ namespace: clearance, value: 0 }] });
    const denied = await holdContent(otherPolicy);
    const notHeld = await net.registerContent(publisher, secretPolicy, validator.account.address);
    const unknown = bytesToHex(randomBytes(32));
    await net.synced();
    const ids = [held[0]!, denied, held[1]!, unknown, notHeld, held[2]!];
    for (const session of [false, true]) {
      if (session) await reader.startSession();
      const signed = await reader.bulk(ids, { session });
      const answer = await validator.service.rewrapBulk(signed);
      const bulkDigest = hexToBytes(answer.requestDigest);
      assert.equal(answer.requestDigest, bytesToHex(validator.service.hasher.bulk(signed.request)));
      assert.deepEqual(answer.results.map((r) => r.contentId), ids);
      const codes = answer.results.map((r) => ("error" in r ? `${r.error.code}${r.error.reason ? `/${r.error.reason}` : ""}` : "ok"));
      assert.deepEqual(codes, ["ok", "REWRAP_ACCESS_DENIED/MissingAttribute", "ok", "REWRAP_CONTENT_NOT_FOUND", "REWRAP_NOT_HOLDER", "ok"]);
      for (const item of answer.results) {
        if (!("envelope" in item)) continue;
        assert.equal(hex(reader.openBulkItem(item.envelope, bulkDigest, item.contentId)), hex(deks.get(item.contentId)!));
        served.push({ contentId: item.contentId, requester: reader.address, requestDigest: bytesToHex(bulkItemDigest(bulkDigest, item.contentId)) });
      }
      await refuse(validator.service.rewrapBulk(signed), "REWRAP_REPLAYED");
    }
    assert.ok(validator.missing.includes(notHeld.toLowerCase() as Hex), "onMissingDek was called for the content it lacks");
  });

  it("bulk of 1,000 contents under one policy", async () => {
    const reader = cleared();
    const ids = [secretContent, ...Array.from({ length: MAX_BULK_CONTENTS - 1 }, () => bytesToHex(randomBytes(32)))];
    const started = performance.now();
    const answer = await validator.service.rewrapBulk(await reader.bulk(ids));
    const ms = performance.now() - started;
    assert.equal(answer.results.length, MAX_BULK_CONTENTS);
    assert.ok("envelope" in answer.results[0]!);
    served.push({ contentId: secretContent, requester: reader.address, requestDigest: bytesToHex(bulkItemDigest(hexToBytes(answer.requestDigest), secretContent)) });
    assert.ok(answer.results.slice(1).every((r) => "error" in r && r.error.code === "REWRAP_CONTENT_NOT_FOUND"));
    assert.ok(ms < 2_000, `bulk of 1,000 took ${ms.toFixed(0)} ms`);
    console.log(`bulk of 1,000 (999 unknown, cold caches) took ${ms.toFixed(0)} ms`);
  });
});

describe("docs/architecture.md#threats: refusals with reason codes", () => {
  it("error: a reader without the attribute (MissingAttribute), per request, session and bulk", async () => {
    const reader = uncleared();
    await refuse(validator.service.rewrap(await reader.request(secretContent)), "REWRAP_ACCESS_DENIED", "MissingAttribute");
    await reader.startSession();
    await refuse(validator.service.rewrap(reader.sessionRequest(secretContent)), "REWRAP_ACCESS_DENIED", "MissingAttribute");
    const answer = await validator.service.rewrapBulk(await reader.bulk([secretContent]));
    assert.deepEqual(answer.results[0], { contentId: secretContent, error: { code: "REWRAP_ACCESS_DENIED", reason: "MissingAttribute" } });
  });

  it("error: a reader not on the allowlist (NotOnAllowlist)", async () => {
    const policy = await net.createPolicy(publisher, { allowlist: [devAccount(4).address] });
    const content = await holdContent(policy);
    await net.synced();
    const listed = cleared();
    await serve(listed, validator.service.rewrap(await listed.request(content)));
    await refuse(validator.service.rewrap(await uncleared().request(content)), "REWRAP_ACCESS_DENIED", "NotOnAllowlist");
  });

  it("error: a revoked grant stops rewraps within the staleness bound + cache TTL", async () => {
    const reader = new Reader(devAccount(7), net.domain);
    await net.grant(publisher, clearance, reader.address, 1);
    await net.synced();
    await serve(reader, validator.service.rewrap(await reader.request(secretContent)));
    await net.revokeGrant(publisher, clearance, reader.address, 1);
    const revokedAt = Date.now();
    const { maxStalenessBlocks, chainHeadTtlMs } = validator.indexer.options;
    const { accessCacheTtlMs } = validator.access.options;
    // 1-second blocks: the bound in time is maxStalenessBlocks seconds, plus both caches, plus 1 s slack.
    const bound = maxStalenessBlocks * 1_000 + chainHeadTtlMs + accessCacheTtlMs + 1_000;
    for (;;) {
      try {
        await serve(reader, validator.service.rewrap(await reader.request(secretContent)));
      } catch (error) {
        assert.ok(error instanceof RewrapError && ["REWRAP_ACCESS_DENIED", "REWRAP_STATE_STALE"].includes(error.code), String(error));
        break;
      }
      assert.ok(Date.now() - revokedAt <= bound, "still served after the bound");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await net.synced();
    await new Promise((resolve) => setTimeout(resolve, accessCacheTtlMs));
    await refuse(validator.service.rewrap(await reader.request(secretContent)), "REWRAP_ACCESS_DENIED", "MissingAttribute");
  });

  it("error: a revoked policy (PolicyRevoked) stops rewraps of all its contents within the bound, while they are requested concurrently", async () => {
    const policy = await net.createPolicy(publisher, {});
    const policyContents = [await holdContent(policy), await holdContent(policy), await holdContent(policy)];
    await net.synced();
    const reader = new Reader(devAccount(8), net.domain);
    // Requests keep the (policy, account) decision hot, so it is refreshed in the background
    // rather than left to expire: the bound must hold all the same.
    const round = async () =>
      Promise.allSettled(policyContents.map(async (id) => serve(reader, validator.service.rewrap(await reader.request(id)))));
    for (const result of await round()) assert.equal(result.status, "fulfilled");
    const readsBefore = validator.indexer.stats().accessReads;
    await net.revokePolicy(publisher, policy);
    const revokedAt = Date.now();
    const { maxStalenessBlocks, chainHeadTtlMs } = validator.indexer.options;
    const { accessCacheTtlMs } = validator.access.options;
    const bound = maxStalenessBlocks * 1_000 + chainHeadTtlMs + accessCacheTtlMs + 1_000;
    let rounds = 0;
    for (;; rounds++) {
      const results = await round();
      const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
      for (const error of failures) {
        assert.ok(error instanceof RewrapError && ["REWRAP_ACCESS_DENIED", "REWRAP_STATE_STALE"].includes(error.code), String(error));
      }
      if (failures.length > 0) break;
      assert.ok(Date.now() - revokedAt <= bound, "still served after the bound");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // One decision per (policy, account): rounds of three contents did not cost three reads each.
    assert.ok(validator.indexer.stats().accessReads - readsBefore <= rounds + 2, `${validator.indexer.stats().accessReads - readsBefore} reads in ${rounds} rounds`);
    await net.synced();
    await new Promise((resolve) => setTimeout(resolve, accessCacheTtlMs));
    for (const id of policyContents) await refuse(validator.service.rewrap(await reader.request(id)), "REWRAP_ACCESS_DENIED", "PolicyRevoked");
  });

  it("error: a window that has not opened yet (NotYetValid)", async () => {
    const policy = await net.createPolicy(publisher, { notBefore: (await net.chainTime()) + 3_600n });
    const content = await holdContent(policy);
    await net.synced();
    await refuse(validator.service.rewrap(await cleared().request(content)), "REWRAP_ACCESS_DENIED", "NotYetValid");
  });

  it("error: unknown content (CONTENT_NOT_FOUND)", async () => {
    await refuse(validator.service.rewrap(await cleared().request(bytesToHex(randomBytes(32)))), "REWRAP_CONTENT_NOT_FOUND");
  });

  it("error: forged signatures — wrong signer, tampered fields, flipped bits, another domain", async () => {
    const reader = cleared();
    // Signed by an uncleared account, claiming the cleared one.
    const wrongSigner = await reader.request(secretContent, { signer: devAccount(5) });
    await refuse(validator.service.rewrap(wrongSigner), "REWRAP_SIGNATURE_INVALID");
    const good = await reader.request(secretContent);
    const tampered = [
      { ...good, request: { ...good.request, nonce: good.request.nonce + 1n } },
      { ...good, request: { ...good.request, expiry: good.request.expiry - 1 } },
      { ...good, request: { ...good.request, clientPublicKey: P256PrivateKey.generate().publicKey } },
      { ...good, request: { ...good.request, contentId: await holdContent(secretPolicy) } },
    ];
    for (const signed of tampered) await refuse(validator.service.rewrap(signed), "REWRAP_SIGNATURE_INVALID");
    for (const byte of [0, 40, 63, 64]) {
      const signature = new Uint8Array(good.auth.kind === "account" ? good.auth.signature : []);
      signature[byte]! ^= 0x01;
      await refuse(validator.service.rewrap({ ...good, auth: { ...good.auth, signature } as typeof good.auth }), "REWRAP_SIGNATURE_INVALID");
    }
    const otherChain = new Reader(devAccount(4), { ...net.domain, chainId: 1n });
    await refuse(validator.service.rewrap(await otherChain.request(secretContent)), "REWRAP_SIGNATURE_INVALID");
    // None of these consumed the nonce: the genuine request still goes through.
    await serve(reader, validator.service.rewrap(good));
  });

  it("error: a replayed request (REPLAYED) — same request, same nonce on another content, across session and account", async () => {
    const reader = cleared();
    const signed = await reader.request(secretContent);
    await serve(reader, validator.service.rewrap(signed));
    await refuse(validator.service.rewrap(signed), "REWRAP_REPLAYED");
    const other = await holdContent(secretPolicy);
    await net.synced();
    await refuse(validator.service.rewrap(await reader.request(other, { nonce: signed.request.nonce })), "REWRAP_REPLAYED");
    await reader.startSession();
    await refuse(validator.service.rewrap(reader.sessionRequest(other, { nonce: signed.request.nonce })), "REWRAP_REPLAYED");
  });

  it("a refused request takes no slot of the replay table: fresh accounts cannot fill it; its replay gets the same refusal", async () => {
    const held = validator.store.stats().nonces;
    for (let i = 0; i < 20; i++) {
      // Accounts anyone can make: unfunded, never granted anything.
      const stranger = new Reader(mnemonicToAccount(HARDHAT_MNEMONIC, { accountIndex: 1, addressIndex: i }), net.domain);
      await refuse(validator.service.rewrap(await stranger.request(secretContent)), "REWRAP_ACCESS_DENIED", "MissingAttribute");
      await refuse(validator.service.rewrap(await stranger.request(`0x${"ee".repeat(32)}`)), "REWRAP_CONTENT_NOT_FOUND");
      const bulk = await validator.service.rewrapBulk(await stranger.bulk([secretContent, `0x${"ee".repeat(32)}`]));
      assert.deepEqual(bulk.results.map((r) => ("error" in r ? r.error.code : "served")), ["REWRAP_ACCESS_DENIED", "REWRAP_CONTENT_NOT_FOUND"]);
    }
    assert.equal(validator.store.stats().nonces, held, "no refused request left a nonce");
    const denied = await uncleared().request(secretContent);
    await refuse(validator.service.rewrap(denied), "REWRAP_ACCESS_DENIED", "MissingAttribute");
    await refuse(validator.service.rewrap(denied), "REWRAP_ACCESS_DENIED", "MissingAttribute");
    // An allowed request's nonce is held: its replay is refused as one.
    const reader = cleared();
    const signed = await reader.request(secretContent);
    await serve(reader, validator.service.rewrap(signed));
    assert.equal(validator.store.stats().nonces, held + 1);
    await refuse(validator.service.rewrap(signed), "REWRAP_REPLAYED");
  });

  it("error: an expired request (EXPIRED) and one that expires too far ahead (EXPIRY_TOO_FAR)", async () => {
    const reader = cleared();
    await refuse(validator.service.rewrap(await reader.request(secretContent, { expiry: nowS() - 1 })), "REWRAP_EXPIRED");
    await refuse(validator.service.rewrap(await reader.request(secretContent, { expiry: nowS() })), "REWRAP_EXPIRED");
    const tooFar = nowS() + validator.service.options.maxRequestLifetimeS + 5;
    await refuse(validator.service.rewrap(await reader.request(secretContent, { expiry: tooFar })), "REWRAP_EXPIRY_TOO_FAR");
    await reader.startSession();
    await refuse(validator.service.rewrap(reader.sessionRequest(secretContent, { expiry: nowS() - 10 })), "REWRAP_EXPIRED");
    await refuse(validator.service.rewrapBulk(await reader.bulk([secretContent], { expiry: nowS() - 10 })), "REWRAP_EXPIRED");
  });

  it("error: session grant expired, too long, signed by someone else; session key mismatch", async () => {
    const reader = cleared();
    await reader.startSession({ expiry: nowS() - 1 });
    await refuse(validator.service.registerSession(reader.session!.grant), "REWRAP_SESSION_EXPIRED");
    await refuse(validator.service.rewrap(reader.sessionRequest(secretContent)), "REWRAP_SESSION_EXPIRED");

    await reader.startSession({ expiry: nowS() + validator.service.options.maxSessionLifetimeS + 60 });
    await refuse(validator.service.rewrap(reader.sessionRequest(secretContent)), "REWRAP_SESSION_INVALID");

    // An uncleared account signs a grant naming the cleared account.
    await reader.startSession({ signer: devAccount(5) });
    await refuse(validator.service.registerSession(reader.session!.grant), "REWRAP_SESSION_INVALID");
    await refuse(validator.service.rewrap(reader.sessionRequest(secretContent)), "REWRAP_SESSION_INVALID");

    // A valid grant, but the request is signed by a key other than the granted one.
    await reader.startSession();
    await refuse(validator.service.rewrap(reader.sessionRequest(secretContent, { key: P256PrivateKey.generate() })), "REWRAP_SIGNATURE_INVALID");
    // The grant's fields are covered by its signature: swapping in another session key breaks it.
    const forgedKey = P256PrivateKey.generate();
    reader.session = { key: forgedKey, grant: { ...reader.session!.grant, sessionPublicKey: forgedKey.publicKey } };
    await refuse(validator.service.rewrap(reader.sessionRequest(secretContent)), "REWRAP_SESSION_INVALID");
  });

  it("error: malformed, truncated and oversized wire messages; bulk over 1,000", async () => {
    const reader = cleared();
    const text = encodeRewrapRequest(await reader.request(secretContent));
    const decodeAndServe = (input: string) => Promise.resolve().then(() => validator.service.rewrap(decodeRewrapRequest(input)));
    await refuse(decodeAndServe(text.slice(0, text.length - 5)), "REWRAP_MALFORMED");
    await refuse(decodeAndServe(text.replace('"nonce":"', '"nonce":"x')), "REWRAP_MALFORMED");
    await refuse(decodeAndServe(`${text.slice(0, -1)},"extra":1}`), "REWRAP_MALFORMED");
    await refuse(decodeAndServe(`${text.slice(0, -1)},"pad":"${"x".repeat(5_000)}"}`), "REWRAP_TOO_LARGE");
    // Built in code rather than decoded: the service checks shapes too.
    const signed = await reader.request(secretContent);
    await refuse(validator.service.rewrap({ ...signed, request: { ...signed.request, clientPublicKey: new Uint8Array(65) } }), "REWRAP_MALFORMED");
    await refuse(validator.service.rewrap({ ...signed, request: { ...signed.request, contentId: "0x1234" as Hex } }), "REWRAP_MALFORMED");
    // A well-formed compressed key that is not on the curve: refused when the wrap needs it.
    const offCurve = new Uint8Array(33).fill(0xff);
    offCurve[0] = 0x02;
    const offCurveRequest = { ...signed.request, clientPublicKey: offCurve, nonce: Reader.nonce() };
    const offCurveSignature = hexToBytes(await devAccount(4).signTypedData(rewrapRequestTypedData(net.domain, offCurveRequest) as never));
    await refuse(
      validator.service.rewrap({ request: offCurveRequest, auth: { kind: "account", account: reader.address, signature: offCurveSignature } }),
      "REWRAP_MALFORMED",
    );

    const ids = Array.from({ length: MAX_BULK_CONTENTS + 1 }, () => bytesToHex(randomBytes(32)));
    const bulk = await reader.bulk(ids);
    await refuse(validator.service.rewrapBulk(bulk), "REWRAP_TOO_LARGE");
    const bulkText = JSON.stringify({
      contentIds: ids,
      clientPublicKey: bytesToHex(bulk.request.clientPublicKey),
      nonce: bulk.request.nonce.toString(),
      expiry: bulk.request.expiry,
      auth: { account: reader.address, signature: bytesToHex(bulk.auth.kind === "account" ? bulk.auth.signature : new Uint8Array()) },
    });
    await refuse(Promise.resolve().then(() => decodeBulkRequest(bulkText)), "REWRAP_TOO_LARGE");
    await refuse(validator.service.rewrapBulk(await reader.bulk([])), "REWRAP_MALFORMED");
    await refuse(validator.service.rewrapBulk(await reader.bulk([secretContent, secretContent])), "REWRAP_MALFORMED");
  });

  it("error: indexed state too far behind the chain head (STATE_STALE)", async () => {
    // A node whose RPC reports a head 50 blocks past what the indexer has: state it must not use.
    const ahead = { getBlockNumber: async () => (await net.public.getBlockNumber({ cacheTime: 0 })) + 50n };
    const indexer = net.indexerClient({}, ahead);
    const service = createRewrapService({
      store: validator.store,
      access: createAccessDecider({ indexer }),
      indexer,
      chainId: net.domain.chainId,
      auditLog: net.domain.verifyingContract,
    });
    const reader = cleared();
    await refuse(service.rewrap(await reader.request(secretContent)), "REWRAP_STATE_STALE");
    const answer = await service.rewrapBulk(await reader.bulk([secretContent]));
    assert.deepEqual(answer.results[0], { contentId: secretContent, error: { code: "REWRAP_STATE_STALE" } });
  });

  it("error: a closed window (Expired) and an expired attribute grant (MissingAttribute)", async () => {
    const chainNow = await net.chainTime();
    const policy = await net.createPolicy(publisher, { requirements: [{ namespace: clearance, value: 1 }], notAfter: chainNow + 30n });
    const content = await holdContent(policy);
    const reader = new Reader(devAccount(6), net.domain);
    await net.grant(publisher, clearance, reader.address, 1, chainNow + 30n);
    await net.synced();
    await serve(reader, validator.service.rewrap(await reader.request(secretContent)));
    const inWindow = cleared();
    await serve(inWindow, validator.service.rewrap(await inWindow.request(content)));
    await net.increaseTime(60);
    await net.synced();
    await new Promise((resolve) => setTimeout(resolve, validator.access.options.accessCacheTtlMs));
    await refuse(validator.service.rewrap(await cleared().request(content)), "REWRAP_ACCESS_DENIED", "Expired");
    await refuse(validator.service.rewrap(await reader.request(secretContent)), "REWRAP_ACCESS_DENIED", "MissingAttribute");
  });
});

describe("the wrap done in the signature check's crypto trip", () => {
  // A second service on its own store and indexer client (fresh caches), with real worker
  // crypto behind a wrapper that records which calls each request makes.
  const calls: string[] = [];
  let crypto: WorkerRewrapCrypto;
  let store: DekStore;
  let service: RewrapService;
  let content: Hex;
  let notHeld: Hex;

  const open = async (reader: Reader, promise: Promise<RewrapAnswer>) => {
    const answer = await promise;
    assert.equal(hex(reader.open(answer.envelope, hexToBytes(answer.requestDigest))), hex(deks.get(answer.contentId)!));
  };
  const took = (expected: string[]) => {
    assert.deepEqual(calls.splice(0), expected);
  };

  before(async () => {
    crypto = new WorkerRewrapCrypto(1);
    const recorded: RewrapCrypto = {
      checkSignature: (check) => (calls.push(check.kind === "p256" ? "verify" : "recover"), crypto.checkSignature(check)),
      wrap: (...args) => (calls.push("wrap"), crypto.wrap(...args)),
      checkThenWrap: async (...args) => {
        const wrapped = await crypto.checkThenWrap(...args);
        calls.push(wrapped === undefined ? "check failed, nothing wrapped" : "checkThenWrap");
        return wrapped;
      },
      answerShare: (input) => (calls.push("answerShare"), crypto.answerShare(input)),
      close: () => crypto.close(),
    };
    store = DekStore.open({ directory: join(tempDir(), "store"), storageKey: randomBytes(32) });
    const indexer = net.indexerClient();
    service = createRewrapService({ store, access: createAccessDecider({ indexer }), indexer, crypto: recorded, chainId: net.domain.chainId, auditLog: net.domain.verifyingContract });
    await service.start();
    content = await net.registerContent(publisher, secretPolicy, validator.account.address);
    const dek = new Uint8Array(randomBytes(32));
    deks.set(content, dek);
    await store.putDek(content, dek, { policyId: secretPolicy, mode: "all", source: "initial" });
    notHeld = await net.registerContent(publisher, secretPolicy, validator.account.address);
    await net.synced();
  });

  after(async () => {
    await service?.stop();
    await crypto?.close();
    store?.close();
  });

  it("a request from a known account, allowed by a cached decision, for a held DEK: one trip", async () => {
    const reader = cleared();
    await reader.startSession();
    // The grant is not verified yet and the decision not cached: recover, verify, read, wrap.
    await open(reader, service.rewrap(reader.sessionRequest(content)));
    took(["recover", "verify", "wrap"]);
    await open(reader, service.rewrap(reader.sessionRequest(content)));
    took(["checkThenWrap"]);
    await open(reader, service.rewrap(await reader.request(content)));
    took(["checkThenWrap"]);
    assert.equal(service.stats().discardedWraps, 0);
  });

  it("nothing is wrapped ahead of a replay, a denied account or a content held elsewhere; a forged signature wraps nothing", async () => {
    const reader = cleared();
    await reader.startSession();
    await service.registerSession(reader.session!.grant);
    calls.splice(0);
    const signed = reader.sessionRequest(content);
    await open(reader, service.rewrap(signed));
    took(["checkThenWrap"]);
    await refused(service.rewrap(signed), "REWRAP_REPLAYED");
    took(["verify"]);
    await refused(service.rewrap(reader.sessionRequest(content, { key: P256PrivateKey.generate() })), "REWRAP_SIGNATURE_INVALID");
    took(["check failed, nothing wrapped"]);
    await refused(service.rewrap(reader.sessionRequest(notHeld)), "REWRAP_NOT_HOLDER");
    took(["verify"]);

    const denied = uncleared();
    await denied.startSession();
    await refused(service.rewrap(denied.sessionRequest(content)), "REWRAP_ACCESS_DENIED", "MissingAttribute");
    calls.splice(0);
    // Now its denial is cached.
    await refused(service.rewrap(denied.sessionRequest(content)), "REWRAP_ACCESS_DENIED", "MissingAttribute");
    took(["verify"]);
    assert.equal(service.stats().discardedWraps, 0);
  });

  it("a replay racing its original: both wrapped ahead, one served, the other refused and its envelope discarded", async () => {
    const reader = cleared();
    await reader.startSession();
    await open(reader, service.rewrap(reader.sessionRequest(content)));
    calls.splice(0);
    const signed = reader.sessionRequest(content);
    const [first, second] = await Promise.allSettled([service.rewrap(signed), service.rewrap(signed)]);
    took(["checkThenWrap", "checkThenWrap"]);
    assert.equal(first.status, "fulfilled");
    await refused(Promise.resolve(second).then((s) => (s.status === "rejected" ? Promise.reject(s.reason) : s.value)), "REWRAP_REPLAYED");
    assert.equal(service.stats().discardedWraps, 1);
    // Each served rewrap has its audit record; the discarded one has none.
    assert.equal(store.stats().unbatchedAuditRecords, service.stats().served);
  });

  it("a client key off the curve is refused MALFORMED whether or not it was wrapped ahead", async () => {
    const offCurve = new Uint8Array(33).fill(0xff);
    offCurve[0] = 0x03;
    const reader = new Reader(publisher, net.domain);
    await refused(service.rewrap(await reader.request(content, { clientPublicKey: offCurve })), "REWRAP_MALFORMED");
    took(["recover", "wrap"]);
    await refused(service.rewrap(await reader.request(content, { clientPublicKey: offCurve })), "REWRAP_MALFORMED");
    took(["checkThenWrap"]);
    await open(reader, service.rewrap(await reader.request(content)));
    took(["checkThenWrap"]);
  });
});

describe("cancellation", () => {
  // A second service whose indexer accepts connections and never answers, so every access read
  // waits until its caller or the service gives up (the client's own timeout is a minute).
  const sockets = new Set<Socket>();
  let silent: Server;
  let store: DekStore;
  let service: RewrapService;

  before(async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    store = DekStore.open({ directory: join(tempDir(), "store"), storageKey: randomBytes(32) });
    await store.putDek(secretContent, deks.get(secretContent)!, { policyId: secretPolicy, mode: "all", source: "initial" });
    const indexer = net.indexerClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 60_000 });
    service = createRewrapService({ store, access: createAccessDecider({ indexer }), indexer, chainId: net.domain.chainId, auditLog: net.domain.verifyingContract });
    await service.start();
  });

  after(async () => {
    await service?.stop();
    store?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
  });

  it("a rewrap waiting on the indexer ends when its caller aborts, and when the service stops; nothing is left on the caller's signal", async () => {
    const reader = cleared();
    const caller = new AbortController();
    const started = Date.now();
    const first = service.rewrap(await reader.request(secretContent), { signal: caller.signal });
    const second = service.rewrap(await reader.request(secretContent));
    while (sockets.size === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    caller.abort();
    await refused(first, "REWRAP_UNAVAILABLE");
    assert.equal(getEventListeners(caller.signal, "abort").length, 0);
    await service.stop();
    await refused(second, "REWRAP_UNAVAILABLE");
    assert.ok(Date.now() - started < 10_000, "ended by the aborts, not by the indexer client's timeout");
    assert.equal(store.unbatchedAuditCount(), 0, "nothing was served");
  });
});

describe("audit and refusals", () => {
  it("the audit outbox holds exactly the served rewraps, one for one", async () => {
    const records = [];
    for (let batch = await validator.store.takeBatch(); batch; batch = await validator.store.takeBatch()) records.push(...validator.store.batchRecords(batch.batchId));
    const key = (r: { contentId: string; requester: string; requestDigest: string }) => `${r.contentId}/${r.requester.toLowerCase()}/${r.requestDigest}`;
    assert.deepEqual(records.map(key).sort(), served.map(key).sort());
    assert.equal(new Set(records.map((r) => r.requestDigest)).size, records.length);
    assert.equal(validator.service.stats().served, served.length);
  });

  it("every refusal seen in this file serializes to the same size", () => {
    assert.ok(refusals.length >= 40, `${refusals.length} refusals`);
    for (const refusal of refusals) assert.equal(Buffer.byteLength(encodeRefusal(refusal)), REFUSAL_BYTES);
    assert.deepEqual(
      [...new Set(refusals.map((r) => r.code))].sort(),
      [
        "REWRAP_ACCESS_DENIED",
        "REWRAP_CONTENT_NOT_FOUND",
        "REWRAP_EXPIRED",
        "REWRAP_EXPIRY_TOO_FAR",
        "REWRAP_MALFORMED",
        "REWRAP_REPLAYED",
        "REWRAP_SESSION_EXPIRED",
        "REWRAP_SESSION_INVALID",
        "REWRAP_SIGNATURE_INVALID",
        "REWRAP_STATE_STALE",
        "REWRAP_TOO_LARGE",
      ],
    );
  });
});
