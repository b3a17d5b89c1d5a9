// RewrapAuditLog: the numbered audit batches, one row each with its records packed as the
// RewrapBatchRecorded event carries them (node/protocol/auditRecords.ts); the `rewrap` view
// unpacks them into one row per served rewrap. A verifiable batch's evidence commitment
// (RewrapBatchEvidenceCommitted, emitted right after) is kept on its row.
import { CID } from "multiformats/cid";
import { hexToBytes, type Hex } from "viem";
import { decodeAuditRecords } from "../../node/protocol/auditRecords.js";
import { on } from "./on.js";
import { rewrapBatch, validator } from "ponder:schema";

on("RewrapAuditLog:RewrapBatchRecorded", async ({ event, context }) => {
  const { validator: node, batchId } = event.args;
  // The contract emits only whole records (it checks the length), so this cannot throw for a
  // real event; decoding also gives the batch's content ids and requesters for its indexes.
  const records = decodeAuditRecords(event.args.records);
  const perContent = new Map<Hex, number>();
  for (const r of records) perContent.set(r.contentId, (perContent.get(r.contentId) ?? 0) + 1);
  await context.db.insert(rewrapBatch).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    validator: node,
    batchId,
    count: records.length,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
    records: hexToBytes(event.args.records),
    // decodeAuditRecords gives addresses and byte strings lowercase, the schema's convention.
    contentIds: [...perContent.keys()],
    contentCounts: [...perContent.values()],
    requesters: [...new Set(records.map((r) => r.requester))],
  });
  await context.db.update(validator, { node }).set({ auditBatches: batchId });
});

on("RewrapAuditLog:RewrapBatchEvidenceCommitted", async ({ event, context }) => {
  const { validator: node, batchId, evidenceRoot, evidenceCid } = event.args;
  // The contract takes any 1–64 bytes as the CID; one that does not parse is kept as hex, which
  // no blob can match (a verifier then finds the evidence invalid).
  let cid: string;
  try {
    cid = CID.decode(hexToBytes(evidenceCid)).toString();
  } catch {
    cid = evidenceCid;
  }
  await context.db.update(rewrapBatch, { validator: node, batchId }).set({ evidenceRoot, evidenceCid: cid });
});
