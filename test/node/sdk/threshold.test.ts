/**
 * threshold(m, n) through the SDK on a real network (chain, Ponder, five validators with their
 * stores, HTTP and libp2p on loopback): `upload(…, { replication: "threshold:M/N" })` deals, seals
 * to the contract's draw and registers in one transaction; `decrypt` asks m + 1 members, checks
 * and combines m shares. Byte-for-byte round trips of threshold:2/3 and threshold:3/5 with one
 * audit record per share served; bad specs refused before anything is sent; a member answering a
 * wrong share (the validator's test-only fault) named with its signed answer while the read still
 * succeeds; a member stopped: the read still succeeds within the timeout.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hexToBytes, toHex } from "viem";
import { P256PrivateKey } from "../../../node/crypto/keys/index.js";
import { decodeCommitments, openShareAnswer, ThresholdError } from "../../../node/crypto/threshold/index.js";
import type { BadShareEvidence } from "../../../node/sdk/index.js";
import { content } from "../ipfs/helpers.js";
import { devAccount, eventually } from "../validator/helpers.js";
import { refused, SdkNet } from "./helpers.js";

const N = 5;
const publisherAccount = devAccount(5);
const readerAccount = devAccount(6);
let sdk: SdkNet;

const served = (): number => sdk.validators.reduce((sum, v) => sum + v.rewrap.stats().sharesServed, 0);

before(async () => {
  sdk = await SdkNet.start(N);
});

after(async () => {
  await sdk?.stop();
});

describe("threshold contents through the SDK", () => {
  it("refuses a bad threshold spec with a typed error before sending anything", async () => {
    const publisher = await sdk.client(publisherAccount);
    const nonce = await sdk.net.public.getTransactionCount({ address: publisherAccount.address });
    for (const spec of ["threshold:1/3", "threshold:4/3", "threshold:3/17", "threshold:x", "threshold:3-5"]) {
      const error = await refused(publisher.upload(new Uint8Array(10), { replication: spec as never }), "CLIENT_INVALID_ARGUMENT");
      assert.match(error.message, /threshold:M\/N/);
    }
    assert.equal(await sdk.net.public.getTransactionCount({ address: publisherAccount.address }), nonce, "nothing sent");
  });

  for (const [m, n] of [
    [2, 3],
    [3, 5],
  ] as const) {
    it(`threshold:${m}/${n}: one registration, m shares per read, byte for byte, each share audited on chain`, async () => {
      const publisher = await sdk.client(publisherAccount);
      const plaintext = Buffer.concat([...content(300_000, `threshold-${m}-${n}`)]);
      const result = await publisher.publish([plaintext], { allowlist: [readerAccount.address], replication: `threshold:${m}/${n}` });
      assert.deepEqual([result.threshold?.m, result.threshold?.n, result.threshold?.members.length], [m, n, n]);
      await sdk.net.synced();
      const holders = await publisher.holders(result.cid);
      assert.equal(holders.mode, "threshold");
      assert.deepEqual(
        holders.threshold!.slots.map((s) => [s.member, s.index]),
        result.threshold!.members.map((member, i) => [member.toLowerCase(), i + 1]),
      );
      // No validator holds the content's key or its DEK.
      for (const v of sdk.validators) assert.equal(v.store.hasDek(result.contentId), false);

      const reader = await sdk.client(readerAccount);
      const before = served();
      const decrypted = await reader.decrypt(result.cid);
      assert.ok(Buffer.from(decrypted).equals(plaintext), "byte for byte");
      // m + 1 asked at once: the (m + 1)-th may have answered too before it was abandoned.
      const shares = served() - before;
      assert.ok(shares >= m && shares <= m + 1, `${shares} shares served`);
      const records = await eventually(async () => {
        const page = await reader.audit.query({ cid: result.cid, requester: readerAccount.address });
        return page.records.length === shares ? page.records : undefined;
      }, 30_000, "one audit record per share served");
      for (const record of records) assert.ok(result.threshold!.members.some((member) => member.toLowerCase() === record.validator.toLowerCase()));
    });
  }

  it("a member answering a wrong share is named with its signed answer as evidence; the read still succeeds from the others", async () => {
    const publisher = await sdk.client(publisherAccount);
    const plaintext = Buffer.concat([...content(100_000, "cheat")]);
    const result = await publisher.publish([plaintext], { allowlist: [readerAccount.address], replication: "threshold:3/5" });
    await sdk.net.synced();
    const cheater = sdk.byAddress(result.threshold!.members[0]!);
    process.env.DEKMESH_TEST_FAULT_WRONG_SHARE = toHex(cheater.store.currentKasKey()!.kid);
    try {
      const reader = await sdk.client(readerAccount);
      const bad: BadShareEvidence[] = [];
      // m + 1 asked at once: an answer still on its way once m valid ones are in is abandoned
      // unread, so the cheater (asked first) is caught on most reads, not necessarily every one.
      for (let read = 0; read < 10 && bad.length === 0; read++) {
        const decrypted = await reader.decrypt(result.cid, { validator: cheater.address, onBadShare: (e) => bad.push(e) });
        assert.ok(Buffer.from(decrypted).equals(plaintext));
      }
      assert.equal(bad.length, 1);
      const [evidence] = bad;
      assert.deepEqual([evidence!.member.toLowerCase(), evidence!.index, evidence!.code], [cheater.address.toLowerCase(), 1, "THRESHOLD_SHARE_INVALID"]);
      // Anyone can re-run the check from the evidence alone: the member's signature holds, its share does not.
      const holders = await reader.holders(result.cid);
      assert.throws(
        () =>
          openShareAnswer({
            answer: hexToBytes(evidence!.answer),
            contentId: hexToBytes(evidence!.contentId),
            requestDigest: hexToBytes(evidence!.requestDigest),
            clientPrivateKey: P256PrivateKey.fromBytes(hexToBytes(evidence!.clientPrivateKey)),
            member: { index: evidence!.index, kasPublicKey: cheater.store.currentKasKey()!.publicKey },
            commitments: decodeCommitments(hexToBytes(holders.threshold!.commitments)),
          }),
        (error: unknown) => error instanceof ThresholdError && error.code === "THRESHOLD_SHARE_INVALID",
      );
    } finally {
      delete process.env.DEKMESH_TEST_FAULT_WRONG_SHARE;
    }
  });

  it("two members slow (answering after the timeout): the read asks others after 2 s and succeeds well within the timeout", async () => {
    const publisher = await sdk.client(publisherAccount);
    const plaintext = Buffer.concat([...content(50_000, "slow")]);
    const result = await publisher.publish([plaintext], { allowlist: [readerAccount.address], replication: "threshold:3/5" });
    await sdk.net.synced();
    const slow = result.threshold!.members.slice(0, 2).map((m) => sdk.byAddress(m));
    const timeoutMs = 20_000;
    const restore = slow.map((v) => {
      const original = v.rewrap.rewrapShare.bind(v.rewrap);
      // The members' real service, answering late (a node under a stall), not a stub.
      v.rewrap.rewrapShare = async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, timeoutMs + 5_000));
        return original(...args);
      };
      return () => (v.rewrap.rewrapShare = original);
    });
    try {
      const reader = await sdk.client(readerAccount, { timeouts: { validatorMs: timeoutMs } });
      const started = performance.now();
      // The first slow member is asked first; the second is among the first m + 1 asked three times in four
      // (without the 2 s hedge such a read waits out the 20 s timeout; otherwise it would pass either way).
      const decrypted = await reader.decrypt(result.cid, { validator: slow[0]!.address });
      assert.ok(Buffer.from(decrypted).equals(plaintext));
      const took = performance.now() - started;
      assert.ok(took < timeoutMs / 2, `${Math.round(took)} ms`);
    } finally {
      for (const undo of restore) undo();
    }
  });

  it("one member stopped: the read still succeeds, within the per-member timeout", async () => {
    const publisher = await sdk.client(publisherAccount);
    const plaintext = Buffer.concat([...content(100_000, "one-down")]);
    const result = await publisher.publish([plaintext], { allowlist: [readerAccount.address], replication: "threshold:3/5" });
    await sdk.net.synced();
    // Slot 1's member: the ciphertext is also pinned at slot 0's.
    const down = sdk.byAddress(result.threshold!.members[1]!);
    await down.stop();
    const timeoutMs = 5_000;
    const reader = await sdk.client(readerAccount, { timeouts: { validatorMs: timeoutMs } });
    const started = performance.now();
    const decrypted = await reader.decrypt(result.cid, { validator: down.address });
    assert.ok(Buffer.from(decrypted).equals(plaintext));
    assert.ok(performance.now() - started < timeoutMs * 2, "within the timeout");
    // Fewer than m reachable: a typed, retryable refusal naming the shortfall.
    const others = result.threshold!.members.filter((m) => m !== result.threshold!.members[1]).map((m) => sdk.byAddress(m));
    // Slots 2 and 3 (slot 0 keeps the ciphertext's copy).
    await others[1]!.stop();
    await others[2]!.stop();
    await refused(reader.decrypt(result.cid), "CLIENT_NOT_ENOUGH_SHARES", (e) => assert.deepEqual([e.details.m, e.details.valid, e.retryable], [3, 2, true]));
  });
});
