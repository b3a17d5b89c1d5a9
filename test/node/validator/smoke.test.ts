import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Net, devAccount, eventually, removeTempDirs } from "./helpers.js";
import type { Validator } from "../../../node/validator/index.js";

let net: Net;
let v0: Validator;

before(async () => {
  net = await Net.start();
  v0 = await net.startValidator(0);
});

after(async () => {
  await v0?.stop();
  await net?.stop();
  removeTempDirs();
});

test("startValidator registers, stakes and serves", async () => {
  assert.equal(v0.registration.validator.status, "active");
  const info = await (await fetch(`${v0.httpUrl}/v1/info`)).json();
  assert.equal(info.address.toLowerCase(), v0.address.toLowerCase());
  const policyId = await net.createPolicy(devAccount(5), "stake", 1);
  const { contentId, dek } = await net.registerContent(devAccount(5), policyId, v0);
  await eventually(() => v0.store.hasDek(contentId), 15_000, "derived DEK");
  assert.deepEqual(v0.store.getDek(contentId), dek);
  await eventually(async () => (await v0.indexer.holders(contentId)).holders.some((h) => h.state === "confirmed"), 15_000, "confirmed holding");

  // The daemon's own metrics, pulled from the parts when /metrics is rendered.
  const metrics = await (await fetch(`${v0.httpUrl}/metrics`)).text();
  const sample = (line: string) => Number(new RegExp(`^${line.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(metrics)?.[1]);
  assert.ok(sample('dekmesh_store_rows{table="deks"}') >= 1, "the derived DEK is in the store");
  assert.ok(sample("dekmesh_store_wal_fsyncs") >= 1, "storing it fsync'd the WAL");
  assert.ok(sample("dekmesh_store_wal_fsync_seconds") > 0);
  assert.ok(sample('dekmesh_submitter_events{kind="holdingsConfirmed"}') >= 1);
});
