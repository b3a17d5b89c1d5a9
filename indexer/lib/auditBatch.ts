// The records of one audit batch, read from the transaction that recorded it (indexer/src/audit.ts
// says why the indexer does not follow the RewrapRecorded events one by one).
import { decodeEventLog, decodeFunctionData, type Hex, type Log } from "viem";
import { rewrapAuditLogAbi } from "../../build/abi/index.js";

export interface BatchRecord {
  contentId: Hex;
  requester: Hex;
  requestDigest: Hex;
  servedAt: bigint;
}

/**
 * The records of a direct `recordRewraps(batchId, records)` call by the validator — how every
 * dekmesh node sends them — or undefined for anything else (a call through a contract account,
 * several calls in one transaction): then the receipt's logs are the source.
 */
export function batchRecordsFromCalldata(
  tx: { from: Hex; to: Hex | null; input: Hex },
  auditLog: Hex,
  node: Hex,
  batchId: bigint,
  count: number,
): BatchRecord[] | undefined {
  if (tx.to === null || tx.to.toLowerCase() !== auditLog.toLowerCase() || tx.from.toLowerCase() !== node.toLowerCase()) return undefined;
  let call;
  try {
    call = decodeFunctionData({ abi: rewrapAuditLogAbi, data: tx.input });
  } catch {
    return undefined;
  }
  if (call.functionName !== "recordRewraps") return undefined;
  const [calledBatch, records] = call.args as readonly [bigint, readonly BatchRecord[]];
  if (calledBatch !== batchId || records.length !== count) return undefined;
  return records.map(lowercase);
}

/**
 * The batch's records from its transaction's logs: the contract emits them, in order, as the
 * `count` RewrapRecorded logs right before the batch's RewrapBatchRecorded (at `batchLogIndex`).
 * Anything else there is an indexer invariant violation (thrown).
 */
export function batchRecordsFromLogs(logs: readonly Log[], auditLog: Hex, node: Hex, batchLogIndex: number, count: number): BatchRecord[] {
  const first = batchLogIndex - count;
  const records: BatchRecord[] = [];
  for (const log of logs) {
    if (log.logIndex === null || log.logIndex < first || log.logIndex >= batchLogIndex) continue;
    if (log.address.toLowerCase() !== auditLog.toLowerCase()) throw invariant(`log ${log.logIndex} of a batch is not the audit log's`);
    let decoded;
    try {
      decoded = decodeEventLog({ abi: rewrapAuditLogAbi, data: log.data, topics: log.topics });
    } catch {
      throw invariant(`log ${log.logIndex} of a batch is not an audit log event`);
    }
    if (decoded.eventName !== "RewrapRecorded" || decoded.args.validator.toLowerCase() !== node.toLowerCase()) {
      throw invariant(`log ${log.logIndex} of a batch is not a RewrapRecorded of its validator`);
    }
    records.push(lowercase(decoded.args));
  }
  if (records.length !== count) throw invariant(`a batch of ${count} records has ${records.length} RewrapRecorded logs before it`);
  return records;
}

/** The schema's convention: addresses and byte strings lowercase. */
function lowercase(r: BatchRecord): BatchRecord {
  return {
    contentId: r.contentId.toLowerCase() as Hex,
    requester: r.requester.toLowerCase() as Hex,
    requestDigest: r.requestDigest.toLowerCase() as Hex,
    servedAt: r.servedAt,
  };
}

function invariant(message: string): Error {
  return new Error(`indexer invariant: ${message}`);
}
