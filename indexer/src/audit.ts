// RewrapAuditLog: one row per served rewrap, and the numbered batches they came in.
import { on } from "./on.js";
import { rewrap, rewrapBatch, validator } from "ponder:schema";

on("RewrapAuditLog:RewrapRecorded", async ({ event, context }) => {
  const { contentId, requester, validator: node, requestDigest, servedAt } = event.args;
  // Records come before their RewrapBatchRecorded in the same transaction, and batch ids are
  // sequential per validator, so the batch a record belongs to is the validator's next one.
  const row = await context.db.find(validator, { node });
  if (!row) throw new Error(`indexer invariant: audit record from unregistered validator ${node}`);
  await context.db.insert(rewrap).values({
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    contentId,
    requester,
    validator: node,
    requestDigest,
    servedAt,
    batchId: row.auditBatches + 1n,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

on("RewrapAuditLog:RewrapBatchRecorded", async ({ event, context }) => {
  const { validator: node, batchId, count } = event.args;
  await context.db.insert(rewrapBatch).values({
    validator: node,
    batchId,
    count: Number(count),
    blockNumber: event.block.number,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await context.db.update(validator, { node }).set({ auditBatches: batchId });
});
