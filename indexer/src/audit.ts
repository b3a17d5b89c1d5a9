// RewrapAuditLog: one row per served rewrap, and the numbered batches they came in. Each batch
// is one RewrapBatchRecorded event carrying its records packed (node/chain/auditRecords.ts),
// stored with one multi-row insert.
import { decodeAuditRecords } from "../../node/chain/auditRecords.js";
import { on } from "./on.js";
import { rewrap, rewrapBatch, validator } from "ponder:schema";

on("RewrapAuditLog:RewrapBatchRecorded", async ({ event, context }) => {
  const { validator: node, batchId } = event.args;
  // The contract emits only whole records (it checks the length), so this cannot throw for a real event.
  const records = decodeAuditRecords(event.args.records);
  const ofBatch = {
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    validator: node,
    batchId,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  };
  // decodeAuditRecords gives addresses and byte strings lowercase, the schema's convention.
  await context.db.insert(rewrap).values(records.map((r, recordIndex) => ({ ...ofBatch, recordIndex, ...r })));
  await context.db.insert(rewrapBatch).values({
    validator: node,
    batchId,
    count: records.length,
    blockNumber: event.block.number,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await context.db.update(validator, { node }).set({ auditBatches: batchId });
});
