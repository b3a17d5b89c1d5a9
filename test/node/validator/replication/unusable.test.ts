/**
 * The pieces behind issue #22's junk registrations, without a network: the initial validator's
 * verdict on a registered header (./unusable.ts) and the back-off of failed work (./backoff.ts).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bytesToHex, type Hex } from "viem";
import { KasKeyRing, P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { createNanoTdfHeader } from "../../../../node/crypto/tdf/index.js";
import { Backoff } from "../../../../node/validator/replication/backoff.js";
import { openRegisteredHeader } from "../../../../node/validator/replication/unusable.js";

const key = P256PrivateKey.generate();
const keyring = new KasKeyRing([key]);
const kids = [bytesToHex(key.kid)];
const headerFor = (kasPublicKey: Uint8Array, policyId: bigint): Hex =>
  bytesToHex(createNanoTdfHeader({ kasPublicKey, locator: "https://kas.example.org", policyId }).header.bytes);

describe("openRegisteredHeader: the initial validator's verdict", () => {
  test("a header sealed to this node under the registered policy gives its DEK", () => {
    const { header, dek } = createNanoTdfHeader({ kasPublicKey: key.publicKey, locator: "https://kas.example.org", policyId: 7n });
    assert.deepEqual(openRegisteredHeader({ header: bytesToHex(header.bytes), policyId: 7n, keyring, kids }), { dek });
  });

  test("a header copied under another policy: PolicyMismatch", () => {
    const opened = openRegisteredHeader({ header: headerFor(key.publicKey, 7n), policyId: 8n, keyring, kids });
    assert.deepEqual(opened, { unusable: "PolicyMismatch", code: "TDF_POLICY_MISMATCH" });
  });

  test("a header sealed to a key this node never registered: UnknownKasKey", () => {
    const opened = openRegisteredHeader({ header: headerFor(P256PrivateKey.generate().publicKey, 7n), policyId: 7n, keyring, kids });
    assert.deepEqual(opened, { unusable: "UnknownKasKey", code: "TDF_UNKNOWN_KID" });
  });

  test("bytes that are no header: MalformedHeader", () => {
    for (const header of ["0x00", "0x4c314c01", headerFor(key.publicKey, 7n) + "00"] as Hex[]) {
      const opened = openRegisteredHeader({ header, policyId: 7n, keyring, kids });
      assert.ok("unusable" in opened && opened.unusable === "MalformedHeader", `${header.slice(0, 12)}…: ${JSON.stringify(opened)}`);
    }
  });

  test("a key this node registered but no longer holds is not a verdict: it throws (retried, never reported)", () => {
    const lost = P256PrivateKey.generate();
    assert.throws(
      () => openRegisteredHeader({ header: headerFor(lost.publicKey, 7n), policyId: 7n, keyring, kids: [...kids, bytesToHex(lost.kid)] }),
      (error: Error & { code?: string }) => error.code === "TDF_UNKNOWN_KID",
    );
  });
});

describe("Backoff", () => {
  test("doubles from the base to the cap, jittered to ½–1×", () => {
    let r = 0;
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 300_000, random: () => r });
    const delays = [];
    for (let i = 0; i < 12; i++) delays.push(backoff.failed("c", 0, "X").delayMs);
    assert.deepEqual(delays, [500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 150_000, 150_000, 150_000]);
    r = 0.999_999;
    assert.equal(backoff.failed("c", 0, "X").delayMs, 300_000);
  });

  test("waits until the delay passed; a new situation ends the wait and starts the count over", () => {
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 300_000, random: () => 0.999_999 });
    backoff.failed("c", 10_000, "X", "holders=a");
    backoff.failed("c", 10_000, "X", "holders=a");
    assert.equal(backoff.waiting("c", 11_999, "holders=a"), true);
    assert.equal(backoff.waiting("c", 12_000, "holders=a"), false);
    assert.equal(backoff.waiting("c", 10_000, "holders=a,b"), false, "a new holder: try now");
    assert.equal(backoff.failed("c", 10_000, "X", "holders=a,b").failures, 1);
    assert.equal(backoff.waiting("other", 10_000), false);
  });

  test("each cause is new once per key; success and retain forget", () => {
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 300_000 });
    assert.deepEqual([backoff.failed("c", 0, "A").newCause, backoff.failed("c", 0, "A").newCause, backoff.failed("c", 0, "B").newCause], [true, false, true]);
    assert.equal(backoff.failed("d", 0, "A").newCause, true);
    backoff.succeeded("c");
    assert.equal(backoff.failed("c", 0, "A").newCause, true);
    backoff.retain((key) => key === "d");
    assert.equal(backoff.size, 1);
    assert.equal(backoff.waiting("c", 0), false);
  });
});
