import type { Address, Hex } from "viem";
import { rewrapAuditLogAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { MAX_AUDIT_BATCH } from "../constants.js";
import { ChainError } from "../errors.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

/** RewrapAuditLog.RewrapRecord. */
export interface RewrapRecord {
  contentId: Hex;
  requester: Address;
  requestDigest: Hex;
  /** Unix seconds. */
  servedAt: number | bigint;
}

export interface RecordRewrapsParameters extends WriteOptions {
  /** Must equal RewrapAuditLog.nextBatchId(node); anything else reverts with RewrapAuditLogBatchOutOfOrder. */
  batchId: bigint;
  /** 1–500 records. */
  records: readonly RewrapRecord[];
}

export type RecordRewrapsReturnType = WriteResult;

export function recordRewrapsRequest(clients: ChainClients, { batchId, records }: RecordRewrapsParameters): ContractWrite {
  if (records.length === 0 || records.length > MAX_AUDIT_BATCH) {
    throw new ChainError("CHAIN_INVALID_ARGUMENT", `an audit batch carries 1–${MAX_AUDIT_BATCH} records`, { details: { count: records.length } });
  }
  if (batchId < 1n) throw new ChainError("CHAIN_INVALID_ARGUMENT", "audit batch ids start at 1", { details: { batchId: batchId.toString() } });
  return {
    address: clients.deployment.addresses.rewrapAuditLog,
    abi: rewrapAuditLogAbi,
    functionName: "recordRewraps",
    args: [
      batchId,
      records.map((r) => ({ contentId: r.contentId, requester: r.requester, requestDigest: r.requestDigest, servedAt: BigInt(r.servedAt) })),
    ],
  };
}

/**
 * Gas for recordRewraps of `count` records with headroom, so that a batch can go out without
 * its own estimate: Hardhat estimates by executing the call several times, which cost the chain
 * ~64 ms of CPU for a batch of 500 (measured when each record was its own event), more than
 * executing it once. Measured (actions.test.ts, which checks that ≥ 20 % of the limit stays
 * unused): 55,194 gas for a validator's first batch of one record (it pays for the batch-id
 * slot), 38,094 for a later one, 1,976,930 for 500 records (64 % of the limit). Unused gas is
 * not charged.
 */
export function recordRewrapsGasLimit(count: number): bigint {
  return 100_000n + 6_000n * BigInt(count);
}

/** Records one numbered batch of the node's rewraps. Prefer the TxSubmitter, which numbers and resends batches safely. */
export async function recordRewraps(clients: ChainClients, parameters: RecordRewrapsParameters): Promise<RecordRewrapsReturnType> {
  return sendContractWrite(clients, recordRewrapsRequest(clients, parameters), parameters);
}
