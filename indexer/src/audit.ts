// RewrapAuditLog: one row per served rewrap, and the numbered batches they came in.
//
// The indexer follows RewrapBatchRecorded only and reads the batch's records from the
// transaction that recorded it, not one RewrapRecorded event at a time: in realtime each event
// cost Ponder ~1 ms of CPU (bench:rewrap measured 1.19 ms of indexer CPU per rewrap served, more
// than the validator's own 0.87 ms, on the same cores), while a batch of up to 500 records costs
// one event and one multi-row insert. The RewrapRecorded events stay on chain for anyone who
// filters logs by content, requester or validator.
import { on } from "./on.js";
import { rewrap, rewrapBatch, validator } from "ponder:schema";
import { batchRecordsFromCalldata, batchRecordsFromLogs } from "../lib/auditBatch.js";

on("RewrapAuditLog:RewrapBatchRecorded", async ({ event, context }) => {
  const { validator: node, batchId, count } = event.args;
  const n = Number(count);
  const auditLog = event.log.address;
  const records =
    batchRecordsFromCalldata(event.transaction, auditLog, node, batchId, n) ??
    batchRecordsFromLogs((await context.client.getTransactionReceipt({ hash: event.transaction.hash })).logs, auditLog, node, event.log.logIndex, n);
  const firstLogIndex = event.log.logIndex - n;
  await context.db.insert(rewrap).values(
    records.map((r, i) => ({
      ...r,
      blockNumber: event.block.number,
      logIndex: firstLogIndex + i,
      validator: node,
      batchId,
      blockTimestamp: event.block.timestamp,
      txHash: event.transaction.hash,
    })),
  );
  await context.db.insert(rewrapBatch).values({
    validator: node,
    batchId,
    count: n,
    blockNumber: event.block.number,
    blockTimestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await context.db.update(validator, { node }).set({ auditBatches: batchId });
}, ({ event }) => event.args.count + 1n);
