import type { Hex } from "viem";
import { rewrapAuditLogAbi } from "../abis.js";
import {
  AUDIT_RECORD_BYTES,
  AuditRecordsError,
  encodeAuditRecords,
  packedAuditRecordsHex,
  type RewrapRecord,
} from "../../protocol/auditRecords.js";
import type { ChainClients } from "../clients.js";
import { ChainError } from "../errors.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export type { RewrapRecord };

export type RecordRewrapsParameters = WriteOptions & {
  /** Must equal RewrapAuditLog.nextBatchId(node); anything else reverts with RewrapAuditLogBatchOutOfOrder. */
  batchId: bigint;
} & (
    | {
        /** 1–1,000 records. */
        records: readonly RewrapRecord[];
      }
    | {
        /** 1–1,000 records already packed (AUDIT_RECORD_BYTES each), as the store's outbox holds them. */
        packedRecords: Uint8Array;
      }
  );

export type RecordRewrapsReturnType = WriteResult;

export function recordRewrapsRequest(clients: ChainClients, parameters: RecordRewrapsParameters): ContractWrite {
  const { batchId } = parameters;
  if (batchId < 1n) throw new ChainError("CHAIN_INVALID_ARGUMENT", "audit batch ids start at 1", { details: { batchId: batchId.toString() } });
  let packed: Hex;
  try {
    packed = "packedRecords" in parameters ? packedAuditRecordsHex(parameters.packedRecords) : encodeAuditRecords(parameters.records);
  } catch (error) {
    if (!(error instanceof AuditRecordsError)) throw error;
    throw new ChainError("CHAIN_INVALID_ARGUMENT", error.message, {
      details: { count: "packedRecords" in parameters ? parameters.packedRecords.length / AUDIT_RECORD_BYTES : parameters.records.length },
    });
  }
  return {
    address: clients.deployment.addresses.rewrapAuditLog,
    abi: rewrapAuditLogAbi,
    functionName: "recordRewraps",
    args: [batchId, packed],
  };
}

/**
 * Gas for recordRewraps of `count` records with headroom, so that a batch can go out without
 * its own estimate: Hardhat estimates by executing the call several times, which cost the chain
 * ~64 ms of CPU for a batch of 500 (measured when each record was its own event), more than
 * executing it once. Measured (actions.test.ts, which checks that ≥ 20 % of the limit stays
 * unused): 54,718 gas for a validator's first batch of one record (it pays for the batch-id
 * slot), 37,618 for a later one, 1,797,450 for 500 records (58 % of the limit), 3,572,520 for
 * 1,000 (59 %). Unused gas is not charged.
 */
export function recordRewrapsGasLimit(count: number): bigint {
  return 100_000n + 6_000n * BigInt(count);
}

/** Records one numbered batch of the node's rewraps. Prefer the TxSubmitter, which numbers and resends batches safely. */
export async function recordRewraps(clients: ChainClients, parameters: RecordRewrapsParameters): Promise<RecordRewrapsReturnType> {
  return sendContractWrite(clients, recordRewrapsRequest(clients, parameters), parameters);
}
