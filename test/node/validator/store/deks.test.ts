import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { unconfirmedQuery } from "../../../../node/validator/store/deks.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import { SCHEMA_VERSION } from "../../../../node/validator/store/schema.js";
import { assertBytes, dekFor, hex32, openStore, rejectsWith, tempDir } from "./helpers.js";

const meta = { policyId: 7n, mode: "stake", source: "replicated" } as const;

describe("DEKs", () => {
  it("round trip: putDek then getDek returns the same DEK, for hex and byte ids", async () => {
    const store = openStore();
    const id = hex32("a");
    assert.equal(await store.putDek(id, dekFor(id), meta), true);
    assertBytes(store.getDek(id), dekFor(id));
    assertBytes(store.getDek(Buffer.from(id.slice(2), "hex")), dekFor(id));
    assert.equal(store.hasDek(id.toUpperCase().replace("0X", "0x") as `0x${string}`), true);
    assert.equal(store.getDek(hex32("missing")), undefined);
    assert.equal(store.hasDek(hex32("missing")), false);
    store.close();
  });

  it("survives close and reopen with the same key", async () => {
    const directory = tempDir();
    const key = new Uint8Array(32).fill(9);
    const store = DekStore.open({ directory, storageKey: key });
    for (let i = 0; i < 20; i++) await store.putDek(hex32(`c${i}`), dekFor(hex32(`c${i}`)), meta);
    store.close();
    const reopened = DekStore.open({ directory, storageKey: key });
    for (let i = 0; i < 20; i++) assertBytes(reopened.getDek(hex32(`c${i}`)), dekFor(hex32(`c${i}`)));
    assert.equal(reopened.stats().deks, 20);
    reopened.close();
  });

  it("putDek of the same DEK again is a no-op returning false; a different DEK is a conflict", async () => {
    const store = openStore();
    const id = hex32("b");
    await store.putDek(id, dekFor(id), meta);
    await store.markConfirmed([id], 12n);
    assert.equal(await store.putDek(id, dekFor(id), { ...meta, source: "recovered" }), false);
    assert.equal(store.getDekInfo(id)!.source, "replicated");
    assert.equal(store.getDekInfo(id)!.confirmation.state, "confirmed");
    await rejectsWith(store.putDek(id, dekFor("other"), meta), "STORE_DEK_CONFLICT");
    assertBytes(store.getDek(id), dekFor(id));
    store.close();
  });

  it("concurrent putDeks share commits and all resolve durable", async () => {
    const store = openStore();
    const before = store.stats().commits;
    const ids = Array.from({ length: 200 }, (_, i) => hex32(`concurrent${i}`));
    await Promise.all(ids.map((id) => store.putDek(id, dekFor(id), meta)));
    assert.ok(store.stats().commits - before <= 2, `expected group commit, got ${store.stats().commits - before} commits`);
    assert.equal(store.stats().deks, 200);
    store.close();
  });

  it("confirmation lifecycle: pending → submitted(tx) → confirmed(block)", async () => {
    const store = openStore();
    const ids = [hex32("x1"), hex32("x2"), hex32("x3")];
    for (const [i, id] of ids.entries()) await store.putDek(id, dekFor(id), { ...meta, receivedAt: 1000 + i });
    await store.putDek(hex32("xor"), dekFor(hex32("xor")), { ...meta, mode: "xor", receivedAt: 999 });
    assert.deepEqual((await store.listUnconfirmed({ modes: ["stake", "explicit"] })).map((d) => d.contentId), ids);
    assert.equal((await store.listUnconfirmed()).length, 4);
    assert.equal((await store.listUnconfirmed({ limit: 2 }))[0]!.contentId, hex32("xor"));

    const tx = hex32("tx1");
    await store.markConfirmationSubmitted(ids.slice(0, 2), tx);
    assert.deepEqual(store.getDekInfo(ids[0]!)!.confirmation, { state: "submitted", txHash: tx });
    assert.deepEqual((await store.listUnconfirmed({ state: "pending", modes: ["stake"] })).map((d) => d.contentId), [ids[2]]);
    assert.deepEqual((await store.listUnconfirmed({ state: "submitted" })).map((d) => d.contentId), ids.slice(0, 2));

    await store.markConfirmed(ids.slice(0, 2), 42n);
    assert.deepEqual(store.getDekInfo(ids[1]!)!.confirmation, { state: "confirmed", block: 42n, txHash: tx });
    // A late "submitted" for a confirmed DEK does not un-confirm it.
    await store.markConfirmationSubmitted([ids[0]!], hex32("tx2"));
    assert.equal(store.getDekInfo(ids[0]!)!.confirmation.state, "confirmed");
    assert.deepEqual((await store.listUnconfirmed({ modes: ["stake"] })).map((d) => d.contentId), [ids[2]]);
    const info = store.getDekInfo(ids[2]!)!;
    assert.deepEqual(info, { contentId: ids[2], policyId: 7n, mode: "stake", source: "replicated", receivedAt: 1002, confirmation: { state: "pending" } });
    store.close();
  });

  it("unconfirmed DEKs are found by mode: the many that confirm off chain are not read (schema 1 → 2 migrates the index)", async () => {
    const directory = join(tempDir(), "store");
    const storageKey = randomBytes(32);
    const store = DekStore.open({ directory, storageKey });
    const offChain = Array.from({ length: 200 }, (_, i) => hex32(`all${i}`));
    await Promise.all(offChain.map((id, i) => store.putDek(id, dekFor(id), { ...meta, mode: i % 2 ? "all" : "xor" })));
    const onChain = [hex32("stake1"), hex32("explicit1")];
    await store.putDek(onChain[0]!, dekFor(onChain[0]!), meta);
    await store.putDek(onChain[1]!, dekFor(onChain[1]!), { ...meta, mode: "explicit" });
    store.close();

    // As version 1 left it: the index on received_at alone.
    const old = new DatabaseSync(join(directory, "store.sqlite"));
    old.exec("DROP TABLE audit_evidence; DROP TABLE audit_bulk_requests; ALTER TABLE audit_records DROP COLUMN evidence; DROP TABLE shares; DROP INDEX deks_unconfirmed; CREATE INDEX deks_unconfirmed ON deks (received_at) WHERE confirmation <> 'confirmed'; PRAGMA user_version = 1");
    old.close();

    const reopened = DekStore.open({ directory, storageKey });
    assert.deepEqual((await reopened.listUnconfirmed({ modes: ["stake", "explicit"] })).map((d) => d.contentId).sort(), [...onChain].sort());
    assert.equal((await reopened.listUnconfirmed({ modes: ["all", "xor"], limit: 500 })).length, 200);
    reopened.close();

    const db = new DatabaseSync(join(directory, "store.sqlite"));
    assert.equal((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, SCHEMA_VERSION);
    // The holdings lane's query (DekStore.listUnconfirmed, the statement itself) seeks each mode it asks for.
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${unconfirmedQuery(2, 2)}`).all("pending", "submitted", "stake", "explicit", 100) as { detail: string }[];
    assert.ok(
      plan.some((row) => /SEARCH deks USING INDEX deks_unconfirmed \(mode=\?\)/.test(row.detail)),
      JSON.stringify(plan),
    );
    db.close();
  });

  it("error: marking an unknown content changes nothing", async () => {
    const store = openStore();
    const id = hex32("known");
    await store.putDek(id, dekFor(id), meta);
    await rejectsWith(store.markConfirmed([id, hex32("unknown")], 5n), "STORE_NOT_FOUND");
    assert.equal(store.getDekInfo(id)!.confirmation.state, "pending");
    store.close();
  });

  it("error: malformed arguments are typed refusals", async () => {
    const store = openStore();
    await rejectsWith(store.putDek("0x1234", dekFor("a"), meta), "STORE_INVALID_ARGUMENT");
    await rejectsWith(store.putDek(hex32("a"), new Uint8Array(31), meta), "STORE_INVALID_ARGUMENT");
    await rejectsWith(store.putDek(hex32("a"), dekFor("a"), { ...meta, mode: "nope" as "xor" }), "STORE_INVALID_ARGUMENT");
    await rejectsWith(store.putDek(hex32("a"), dekFor("a"), { ...meta, policyId: -1n }), "STORE_INVALID_ARGUMENT");
    await rejectsWith(() => store.getDek("0xzz" as `0x${string}`), "STORE_INVALID_ARGUMENT");
    await rejectsWith(store.markConfirmationSubmitted([hex32("a")], "0x12"), "STORE_INVALID_ARGUMENT");
    assert.equal(store.stats().deks, 0);
    store.close();
    await rejectsWith(store.putDek(hex32("a"), dekFor("a"), meta), "STORE_CLOSED");
    await rejectsWith(() => store.getDek(hex32("a")), "STORE_CLOSED");
  });
});
