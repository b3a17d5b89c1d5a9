/**
 * The network as `npm start` runs it (startDevnet: chain, contracts, Ponder, the shared IPFS
 * node, validators registered and staked by themselves), driven only through the client SDK,
 * with the ciphertext in the devnet's IPFS through the Kubo adapter:
 *
 * a publisher uploads under an attribute with stake(2) replication, naming validator 0 as the
 * initial validator, and goes offline; once the replica set holds the DEK, validator 0's
 * operator takes it out of the active set and the node stops for good. A reader holding the
 * attribute still decrypts — the key comes from the remaining holders, the ciphertext from IPFS
 * — and the audit trail names a validator other than the departed one.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { createClient, type DekmeshClient } from "../../../node/sdk/index.js";
import { requestExit } from "../../../node/chain/index.js";
import { devAccount, startDevnet, type Devnet } from "../../../node/devnet/index.js";
import { eventually } from "../validator/helpers.js";

const authority = devAccount(6);
const publisher = devAccount(5);
const reader = devAccount(7);

let devnet: Devnet;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-e2e-"));
const clients: DekmeshClient[] = [];

async function client(account: typeof publisher): Promise<DekmeshClient> {
  const c = await createClient({
    chain: { rpcUrl: devnet.endpoints.rpcUrl },
    deployment: devnet.endpoints.deploymentFile,
    indexerUrl: devnet.endpoints.indexerUrl,
    ipfs: { kind: "kubo", url: devnet.endpoints.ipfs!.rpcUrl },
    account,
  });
  clients.push(c);
  return c;
}

before(async () => {
  devnet = await startDevnet({
    dir,
    validators: 3,
    logLevel: "warn",
    chain: { blockIntervalMs: 1000 },
    validatorConfig: () => ({ replication: { intervalMs: 200 }, holdings: { intervalMs: 50 }, audit: { intervalMs: 200 } }),
  });
});

after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await devnet?.stop();
  if (process.env.DEKMESH_KEEP_RUN_DIRS !== "1") fs.rmSync(dir, { recursive: true, force: true });
});

test("the initial validator exits after replication; the content still decrypts", async () => {
  const [initial] = devnet.validators;
  const admin = await client(authority);
  await admin.attributes.createNamespace("e2e-clearance", "hierarchy", ["secret", "internal"]);
  await admin.attributes.grant("e2e-clearance/internal", reader.address);

  const plaintext = randomBytes(300_000); // more than one IPFS chunk
  const publishing = await client(publisher);
  const cid = await publishing.upload(plaintext, { attributes: ["e2e-clearance/internal"], replication: "stake:2", validator: initial!.address });
  await publishing.close(); // the publisher goes offline

  // The replica set holds the DEK, confirmed on chain.
  const replicated = await eventually(async () => {
    const info = await admin.holders(cid);
    const members = info.holders.filter((h) => h.inReplicaSet);
    return members.length === 2 && members.every((h) => h.state === "confirmed") && info;
  }, 60_000, "the stake(2) replica set to confirm");
  assert.equal(replicated.mode, "stake");

  // Validator 0 leaves: exit on chain (it hands its slot off if it had one), then it is gone.
  await requestExit(initial!.chain.operator, { node: initial!.address });
  await eventually(async () => {
    const info = await admin.holders(cid);
    const members = info.holders.filter((h) => h.inReplicaSet && h.state === "confirmed");
    return members.length === 2 && info.holders.every((h) => h.node.toLowerCase() !== initial!.address.toLowerCase());
  }, 60_000, "two confirmed holders without the departed validator");
  await initial!.stop();

  const readerClient = await client(reader);
  const decrypted = await readerClient.decrypt(cid);
  assert.ok(Buffer.from(decrypted).equals(plaintext), "the reader gets the publisher's bytes");

  const audit = await eventually(async () => {
    const page = await readerClient.audit.query({ cid, requester: reader.address });
    return page.records.length > 0 && page;
  }, 30_000, "the rewrap's audit record");
  assert.equal(audit.records.length, 1, "one rewrap, one audit record");
  assert.notEqual(audit.records[0]!.validator.toLowerCase(), initial!.address.toLowerCase());
});
