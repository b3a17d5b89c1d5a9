/** The rewrap crypto back ends: on the main thread and on worker threads, the same answers. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { unwrapRewrap } from "../../../../node/crypto/envelopes/index.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { addressFromPrivateKey, signHash } from "../../../../node/crypto/keys/ethereum.js";
import {
  InlineRewrapCrypto,
  WorkerRewrapCrypto,
  type RewrapCrypto,
  type WrapOutcome,
} from "../../../../node/validator/rewrap/index.js";
import { dealShares, openShareAnswer } from "../../../../node/crypto/threshold/index.js";
import { type Address } from "viem";

const pool = new WorkerRewrapCrypto(2);
const p256 = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => ({ kind: "p256", publicKey, message, signature }) as const;
after(() => pool.close());

const backends: [string, RewrapCrypto][] = [
  ["inline", new InlineRewrapCrypto()],
  ["workers", pool],
];

for (const [name, crypto] of backends) {
  describe(`rewrap crypto: ${name}`, () => {
    it("verifies P-256 signatures and rejects wrong keys, messages and malformed input", async () => {
      const key = P256PrivateKey.generate();
      const message = randomBytes(32);
      const signature = key.sign(message);
      assert.equal(await crypto.checkSignature(p256(key.publicKey, message, signature)), true);
      assert.equal(await crypto.checkSignature(p256(P256PrivateKey.generate().publicKey, message, signature)), false);
      assert.equal(await crypto.checkSignature(p256(key.publicKey, randomBytes(32), signature)), false);
      assert.equal(await crypto.checkSignature(p256(key.publicKey, message, signature.subarray(1))), false);
      const offCurve = new Uint8Array(33).fill(0xff);
      offCurve[0] = 0x02;
      assert.equal(await crypto.checkSignature(p256(offCurve, message, signature)), false);
    });

    it("checks secp256k1 signers (low s only)", async () => {
      const account = randomBytes(32);
      const hash = randomBytes(32);
      const signature = signHash(account, hash);
      const signer = addressFromPrivateKey(account);
      assert.equal(await crypto.checkSignature({ kind: "secp256k1", hash, signature, signer }), true);
      assert.equal(await crypto.checkSignature({ kind: "secp256k1", hash, signature: signature.subarray(1), signer }), false);
      assert.equal(await crypto.checkSignature({ kind: "secp256k1", hash, signature, signer: addressFromPrivateKey(randomBytes(32)) }), false);
    });

    it("answers shares the reader opens and checks, signed with the KID's key; wipes the share and scalar; refuses a client key off the curve", async () => {
      const { commitments, shares } = dealShares({ m: 2, n: 3 });
      const contentId = randomBytes(32);
      for (const kasKey of [P256PrivateKey.generate(), P256PrivateKey.generate()]) {
        const client = P256PrivateKey.generate();
        const requestDigest = randomBytes(32);
        const input = {
          share: { index: shares[1]!.index, value: Uint8Array.from(shares[1]!.value) },
          contentId,
          requestDigest,
          clientPublicKey: client.publicKey,
          kasKid: kasKey.kid,
          kasScalar: kasKey.exportPrivateKey(),
        };
        const answer = await crypto.answerShare(input);
        assert.ok(input.share.value.every((b) => b === 0) && input.kasScalar.every((b) => b === 0));
        const opened = openShareAnswer({ answer, contentId, requestDigest, clientPrivateKey: client, member: { index: shares[1]!.index, kasPublicKey: kasKey.publicKey }, commitments });
        assert.deepEqual(opened.value, shares[1]!.value);
      }
      const kasKey = P256PrivateKey.generate();
      const offCurve = new Uint8Array(33).fill(0xff);
      offCurve[0] = 0x02;
      const bad = { share: { index: 1, value: Uint8Array.from(shares[0]!.value) }, contentId, requestDigest: randomBytes(32), clientPublicKey: offCurve, kasKid: kasKey.kid, kasScalar: kasKey.exportPrivateKey() };
      await assert.rejects(crypto.answerShare(bad), (e: unknown) => (e as { code?: string }).code === "THRESHOLD_INVALID_ARGUMENT");
    });

    it("wraps DEKs the client opens; refuses a client key off the curve", async () => {
      const client = P256PrivateKey.generate();
      const dek = randomBytes(32);
      const digest = randomBytes(32);
      const envelope = await crypto.wrap(Uint8Array.from(dek), client.publicKey, digest);
      assert.deepEqual(Buffer.from(unwrapRewrap({ envelope, clientPrivateKey: client, requestDigest: digest })), dek);
      const offCurve = new Uint8Array(33).fill(0xff);
      offCurve[0] = 0x03;
      await assert.rejects(crypto.wrap(Uint8Array.from(dek), offCurve, digest), (e: unknown) => (e as { code?: string }).code === "ENVELOPE_INVALID_ARGUMENT");
    });

    it("checkThenWrap: wraps only once the P-256 or secp256k1 signature holds", async () => {
      const client = P256PrivateKey.generate();
      const dek = randomBytes(32);
      const digest = randomBytes(32);
      const wrap = () => ({ dek: Uint8Array.from(dek), clientPublicKey: client.publicKey, requestDigest: digest });
      const opens = (outcome: WrapOutcome | undefined) => {
        assert.ok(outcome !== undefined && "envelope" in outcome, `expected an envelope, got ${JSON.stringify(outcome)}`);
        assert.deepEqual(Buffer.from(unwrapRewrap({ envelope: outcome.envelope, clientPrivateKey: client, requestDigest: digest })), dek);
      };
      const session = P256PrivateKey.generate();
      const p256 = { kind: "p256", publicKey: session.publicKey, message: digest, signature: session.sign(digest) } as const;
      opens(await crypto.checkThenWrap(p256, wrap()));
      assert.equal(await crypto.checkThenWrap({ ...p256, signature: P256PrivateKey.generate().sign(digest) }, wrap()), undefined);
      assert.equal(await crypto.checkThenWrap({ ...p256, message: randomBytes(32) }, wrap()), undefined);

      const account = randomBytes(32);
      const secp256k1 = { kind: "secp256k1", hash: digest, signature: signHash(account, digest), signer: addressFromPrivateKey(account) } as const;
      opens(await crypto.checkThenWrap(secp256k1, wrap()));
      opens(await crypto.checkThenWrap({ ...secp256k1, signer: secp256k1.signer.toUpperCase().replace("0X", "0x") as Address }, wrap()));
      assert.equal(await crypto.checkThenWrap({ ...secp256k1, signer: addressFromPrivateKey(randomBytes(32)) }, wrap()), undefined);
      assert.equal(await crypto.checkThenWrap({ ...secp256k1, signature: secp256k1.signature.subarray(1) }, wrap()), undefined);

      // A valid signature with a client key off the curve: the wrap's refusal, as a value.
      const offCurve = new Uint8Array(33).fill(0xff);
      offCurve[0] = 0x03;
      assert.deepEqual(await crypto.checkThenWrap(p256, { ...wrap(), clientPublicKey: offCurve }), { error: "ENVELOPE_INVALID_ARGUMENT" });
    });

    it("keeps answers in order under many concurrent jobs", async () => {
      const keys = Array.from({ length: 8 }, () => P256PrivateKey.generate());
      const jobs = Array.from({ length: 400 }, (_, i) => {
        const message = randomBytes(32);
        const key = keys[i % keys.length]!;
        // Every third signature is by another key: must come back false, at its own index.
        return { key, message, signature: (i % 3 === 0 ? keys[(i + 1) % keys.length]! : key).sign(message), expected: i % 3 !== 0 };
      });
      const results = await Promise.all(jobs.map((j) => crypto.checkSignature(p256(j.key.publicKey, j.message, j.signature))));
      assert.deepEqual(results, jobs.map((j) => j.expected));
    });
  });
}

describe("rewrap crypto: worker pool", () => {
  it("matches answers to jobs that arrive turn by turn while earlier batches are still out", async () => {
    // One worker, so jobs pile up behind the batches in flight and go out as the answers come.
    const single = new WorkerRewrapCrypto(1);
    try {
      const key = P256PrivateKey.generate();
      const other = P256PrivateKey.generate();
      const answers: Promise<boolean>[] = [];
      const expected: boolean[] = [];
      for (let turn = 0; turn < 60; turn++) {
        for (let j = 0; j < 1 + (turn % 4); j++) {
          const message = randomBytes(32);
          const valid = (turn + j) % 3 !== 0;
          answers.push(single.checkSignature(p256(key.publicKey, message, (valid ? key : other).sign(message))));
          expected.push(valid);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.deepEqual(await Promise.all(answers), expected);
    } finally {
      await single.close();
    }
  });

  it("answers a long batch as it goes: its first jobs resolve while its last are still computing", async () => {
    const single = new WorkerRewrapCrypto(1);
    try {
      const client = P256PrivateKey.generate();
      const session = P256PrivateKey.generate();
      const digest = randomBytes(32);
      const check = { kind: "p256", publicKey: session.publicKey, message: digest, signature: session.sign(digest) } as const;
      // One turn, so one batch: 300 verify-and-wrap jobs, ~40 ms of work at ~0.13 ms each.
      const settled: number[] = [];
      const jobs = Array.from({ length: 300 }, (_, i) =>
        single.checkThenWrap(check, { dek: new Uint8Array(randomBytes(32)), clientPublicKey: client.publicKey, requestDigest: digest }).then((outcome) => {
          settled.push(i);
          return outcome;
        }),
      );
      const first = await jobs[0];
      assert.ok(first !== undefined && "envelope" in first);
      assert.ok(settled.length < 300, `the whole batch was answered at once (${settled.length} settled with the first)`);
      await Promise.all(jobs);
      assert.deepEqual(settled, [...settled].sort((a, b) => a - b), "answers resolve in job order");
    } finally {
      await single.close();
    }
  });

  it("wipes this thread's copy of a DEK once the job is sent", async () => {
    const client = P256PrivateKey.generate();
    const session = P256PrivateKey.generate();
    const digest = randomBytes(32);
    const forWrap = new Uint8Array(randomBytes(32));
    const forCheck = new Uint8Array(randomBytes(32));
    const wrapped = pool.wrap(forWrap, client.publicKey, digest);
    const checked = pool.checkThenWrap(
      { kind: "p256", publicKey: session.publicKey, message: digest, signature: session.sign(digest) },
      { dek: forCheck, clientPublicKey: client.publicKey, requestDigest: digest },
    );
    await Promise.all([wrapped, checked]);
    assert.ok(forWrap.every((b) => b === 0) && forCheck.every((b) => b === 0));
  });

  it("a worker that crashes fails its jobs and is replaced", async () => {
    const crashing = pool.checkSignature(p256(undefined as unknown as Uint8Array, randomBytes(32), randomBytes(64)));
    await assert.rejects(crashing);
    const key = P256PrivateKey.generate();
    const message = randomBytes(32);
    const results = await Promise.all(Array.from({ length: 10 }, () => pool.checkSignature(p256(key.publicKey, message, key.sign(message)))));
    assert.ok(results.every(Boolean));
  });

  it("fails outstanding jobs on close and refuses work after it", async () => {
    const closing = new WorkerRewrapCrypto(1);
    const account = randomBytes(32);
    const outstanding = Array.from({ length: 20 }, () => {
      const hash = randomBytes(32);
      return closing.checkSignature({ kind: "secp256k1", hash, signature: signHash(account, hash), signer: addressFromPrivateKey(account) });
    });
    const settled = Promise.allSettled(outstanding);
    await closing.close();
    // Every job settles (answered before the close, or failed by it): none is left hanging.
    assert.equal((await settled).length, 20);
    await assert.rejects(closing.checkSignature({ kind: "secp256k1", hash: randomBytes(32), signature: randomBytes(65), signer: addressFromPrivateKey(account) }));
  });
});
