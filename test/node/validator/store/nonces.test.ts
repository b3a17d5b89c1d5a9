import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { DekStore } from "../../../../node/validator/store/index.js";
import { address, auditRecord, openStore, rejectsWith, tempDir } from "./helpers.js";

function clockedStore(maxNonces?: number, maxNoncesPerAccount?: number): { store: DekStore; clock: { now: number } } {
  const clock = { now: 1_000 };
  return { store: openStore({ now: () => clock.now, maxNonces, maxNoncesPerAccount }), clock };
}

describe("replay nonces", () => {
  it("error: a replayed nonce is refused; other requesters and nonces are independent", () => {
    const { store } = clockedStore();
    const alice = address("alice");
    assert.equal(store.rememberNonce(alice, 1n, 2_000), true);
    assert.equal(store.rememberNonce(alice, 1n, 2_000), false);
    assert.equal(store.rememberNonce(alice, "0x0001", 2_500), false, "same uint256 nonce in another spelling");
    assert.equal(store.rememberNonce(alice, 2n, 2_000), true);
    assert.equal(store.rememberNonce(address("bob"), 1n, 2_000), true);
    store.close();
  });

  it("nonceSeen says what rememberNonce would refuse, and records nothing", () => {
    const { store, clock } = clockedStore();
    const alice = address("alice");
    assert.equal(store.nonceSeen(alice, 1n), false);
    assert.equal(store.nonceSeen(alice, 1n), false);
    assert.equal(store.stats().nonces, 0);
    assert.equal(store.rememberNonce(alice, 1n, 2_000), true);
    assert.equal(store.nonceSeen(alice, 1n), true);
    assert.equal(store.nonceSeen(alice, "0x01"), true, "same uint256 nonce in another spelling");
    assert.equal(store.nonceSeen(address("bob"), 1n), false);
    clock.now = 2_000;
    assert.equal(store.nonceSeen(alice, 1n), false, "expired");
    assert.equal(store.rememberNonce(alice, 1n, 3_000), true);
    store.close();
  });

  it("error: a requester that holds its share of the table is refused; others are not, and its share frees as its nonces expire", async () => {
    const { store, clock } = clockedStore(1_000, 10);
    const flooder = address("flooder");
    for (let i = 0; i < 10; i++) assert.equal(store.rememberNonce(flooder, BigInt(i), 1_100), true);
    await rejectsWith(() => store.rememberNonce(flooder, 10n, 1_100), "STORE_NONCES_ACCOUNT_FULL");
    assert.equal(store.stats().nonces, 10, "the refused nonce was not recorded");
    for (let i = 0; i < 10; i++) assert.equal(store.rememberNonce(address(`reader${i}`), 1n, 1_100), true, "other requesters are served");
    assert.equal(store.rememberNonce(flooder, 3n, 1_100), false, "a replay is still a replay");
    // After a prune the in-memory count restarts, but the table itself bounds the flooder.
    clock.now = 1_050;
    store.pruneNonces();
    for (let i = 10; i < 20; i++) assert.equal(store.rememberNonce(flooder, BigInt(i), 1_200), true);
    await rejectsWith(() => store.rememberNonce(flooder, 20n, 1_200), "STORE_NONCES_ACCOUNT_FULL");
    // Its first ten expire at 1,100: its share frees.
    clock.now = 1_100;
    store.pruneNonces();
    assert.equal(store.rememberNonce(flooder, 21n, 1_200), true);
    store.close();
  });

  it("error: an already expired request is refused", () => {
    const { store } = clockedStore();
    assert.equal(store.rememberNonce(address("a"), 5n, 1_000), false);
    assert.equal(store.rememberNonce(address("a"), 5n, 999), false);
    assert.equal(store.stats().nonces, 0);
    store.close();
  });

  it("expired nonces are pruned, and a nonce may be used again once its request has expired", () => {
    const { store, clock } = clockedStore();
    for (let i = 0; i < 100; i++) assert.equal(store.rememberNonce(address("p"), BigInt(i), 1_010 + (i % 2) * 100), true);
    assert.equal(store.stats().nonces, 100);
    clock.now = 1_050;
    assert.equal(store.pruneNonces(), 50);
    assert.equal(store.stats().nonces, 50);
    assert.equal(store.rememberNonce(address("p"), 1n, 1_200), false, "odd nonces are live until 1110");
    assert.equal(store.rememberNonce(address("p"), 0n, 1_200), true, "even nonces expired at 1010");
    clock.now = 1_111;
    assert.equal(store.rememberNonce(address("p"), 3n, 1_200), true, "expired but not yet pruned still counts as expired");
    store.close();
  });

  it("nonces are durable with the next commit and survive a restart", async () => {
    const directory = tempDir();
    const storageKey = randomBytes(32);
    let store = DekStore.open({ directory, storageKey, now: () => 1_000 });
    assert.equal(store.rememberNonce(address("r"), 77n, 5_000), true);
    await store.appendAudit(auditRecord("r"));
    store.close();
    store = DekStore.open({ directory, storageKey, now: () => 1_000 });
    assert.equal(store.rememberNonce(address("r"), 77n, 5_000), false);
    store.close();
  });

  it("error: at the bound, new nonces are refused (STORE_NONCES_FULL) rather than forgetting live ones", async () => {
    const { store, clock } = clockedStore(10);
    for (let i = 0; i < 5; i++) store.rememberNonce(address("b"), BigInt(i), 1_100);
    for (let i = 5; i < 10; i++) store.rememberNonce(address("b"), BigInt(i), 1_500);
    await rejectsWith(() => store.rememberNonce(address("b"), 10n, 1_500), "STORE_NONCES_FULL");
    for (let i = 0; i < 10; i++) assert.equal(store.rememberNonce(address("b"), BigInt(i), 1_600), false, "nothing live was forgotten");
    clock.now = 1_100;
    assert.equal(store.rememberNonce(address("b"), 10n, 1_500), true, "pruning the expired ones makes room");
    assert.equal(store.stats().nonces, 6);
    store.close();
  });

  it("error: malformed nonces and requesters are typed refusals", async () => {
    const { store } = clockedStore();
    await rejectsWith(() => store.rememberNonce(address("m"), -1n, 2_000), "STORE_INVALID_ARGUMENT");
    await rejectsWith(() => store.rememberNonce(address("m"), `0x${"00".repeat(33)}`, 2_000), "STORE_INVALID_ARGUMENT");
    await rejectsWith(() => store.rememberNonce("0x1234", 1n, 2_000), "STORE_INVALID_ARGUMENT");
    await rejectsWith(() => store.rememberNonce(address("m"), 1n, 1.5), "STORE_INVALID_ARGUMENT");
    store.close();
  });
});
