/**
 * The audit outbox keeps each record's evidence (the signed request) in the record's own insert,
 * and writes each batch's evidence blob and root in the transaction that assigns the batch.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ethers } from "ethers";
import type { Address, Hex } from "viem";
import * as reference from "../../../contracts/helpers/auditEvidence.js";
import { evidenceTree, type AuditEvidence } from "../../../../node/protocol/auditEvidence.js";
import { parseEvidenceBlob } from "../../../../node/protocol/auditEvidenceBlob.js";
import { verifyRecordEvidence } from "../../../../node/protocol/auditVerify.js";
import { openStore, rejectsWith } from "./helpers.js";

const domain = { chainId: 31337n, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address };
const now = 1_800_000_000;
const ids = [1, 2, 3].map((i) => ethers.id(`content-${i}`) as Hex);

function evidenceOf(entry: reference.Entry): AuditEvidence {
  const e = entry.evidence;
  const evidence: AuditEvidence = { clientPublicKey: e.clientPublicKey, nonce: e.nonce, expiry: e.expiry, signature: ethers.getBytes(e.signature) };
  if (e.bulkContentIds !== undefined) evidence.bulkContentIds = e.bulkContentIds as Hex[];
  if (e.grant !== undefined) evidence.grant = { ...e.grant, account: e.grant.account.toLowerCase() as Address, signature: ethers.getBytes(e.grant.signature) };
  return evidence;
}

const recordOf = ({ record }: reference.Entry) => ({
  contentId: record.contentId as Hex,
  requester: record.requester.toLowerCase() as Hex,
  requestDigest: record.requestDigest as Hex,
  servedAt: record.servedAt,
});

describe("audit outbox evidence", () => {
  it("takeBatch writes the blob and root of the records' evidence: account, session, bulk, and a record without", async () => {
    const store = openStore();
    const session = reference.sessionReader(domain, now + 3_600);
    const single = [reference.singleRecord(domain, reference.accountReader(), ids[0]!, now), reference.singleRecord(domain, session, ids[1]!, now)];
    const bulk = reference.bulkRecords(domain, session, ids, now);
    for (const entry of single) await store.appendAudit(recordOf(entry), evidenceOf(entry));
    await store.appendAudits(bulk.map(recordOf), evidenceOf(bulk[0]!));
    await store.appendAudit(recordOf(single[0]!));
    const batch = (await store.takeBatch(10))!;
    const blob = store.evidenceBlob(batch.batchId)!;
    const contents = parseEvidenceBlob(blob);
    assert.equal(contents.batchId, batch.batchId);
    assert.equal(contents.records.length, 6);
    assert.equal(batch.evidenceRoot, evidenceTree(contents.records).root);
    assert.deepEqual(
      contents.records.map((e) => verifyRecordEvidence(domain, e.record, e.evidence)),
      [...Array(5).fill({ valid: true }), { valid: false, code: "EVIDENCE_MISSING" }],
    );
    assert.deepEqual(contents.records[3]!.evidence!.bulkContentIds, ids);
    // The leaves are the contract's (the ethers implementation the contract tests hold to it).
    const tree = reference.tree([...single, ...bulk]);
    assert.equal(evidenceTree(contents.records.slice(0, 5)).root, tree.root);
    store.close();
  });

  it("the blob outlives its records' pruning; a bulk request's ids go once no unbatched record needs them", async () => {
    const store = openStore();
    const bulk = reference.bulkRecords(domain, reference.accountReader(), ids, now);
    await store.appendAudits(bulk.map(recordOf), evidenceOf(bulk[0]!));
    const batch = (await store.takeBatch(10))!;
    await store.markBatchRecorded(batch.batchId, 5);
    assert.equal(await store.pruneAudit(5), 3);
    assert.equal(parseEvidenceBlob(store.evidenceBlob(batch.batchId)!).records.length, 3);
    assert.equal(store.evidenceBlob(batch.batchId + 1n), undefined);
    store.close();
  });

  it("setEvidenceCid: stored once, the same again is fine, another is refused", async () => {
    const store = openStore();
    const entry = reference.singleRecord(domain, reference.accountReader(), ids[0]!, now);
    await store.appendAudit(recordOf(entry), evidenceOf(entry));
    const batch = (await store.takeBatch(10))!;
    assert.equal(batch.evidenceCid, undefined);
    await store.setEvidenceCid(batch.batchId, "bafkreiexample");
    await store.setEvidenceCid(batch.batchId, "bafkreiexample");
    assert.equal(store.getBatch(batch.batchId)!.evidenceCid, "bafkreiexample");
    assert.equal((await store.pendingBatches())[0]!.evidenceCid, "bafkreiexample");
    await rejectsWith(store.setEvidenceCid(batch.batchId, "bafkreiother"), "STORE_BATCH_STATE");
    await rejectsWith(store.setEvidenceCid(batch.batchId + 1n, "bafkreiexample"), "STORE_NOT_FOUND");
    store.close();
  });
});
