// RewrapAuditLog: one row per served rewrap, and the numbered batches they came in. Each batch
// is one RewrapBatchRecorded event carrying its records, stored with one multi-row insert.
import type { Hex } from "viem";
import { on } from "./on.js";
import { rewrap, rewrapBatch, validator } from "ponder:schema";

on("RewrapAuditLog:RewrapBatchRecorded", async ({ event, context }) => {
  const { validator: node, batchId, records } = event.args;
  const ofBatch = {
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    validator: node,
    batchId,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  };
  // The schema's convention: addresses and byte strings lowercase.
  await context.db.insert(rewrap).values(
    records.map((r, recordIndex) => ({
      ...ofBatch,
      recordIndex,
      contentId: r.contentId.toLowerCase() as Hex,
      requester: r.requester.toLowerCase() as Hex,
      requestDigest: r.requestDigest.toLowerCase() as Hex,
      servedAt: r.servedAt,
    })),
  );
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
