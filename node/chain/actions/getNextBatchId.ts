import type { Address } from "viem";
import { rewrapAuditLogAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { read } from "./readContract.js";

export interface GetNextBatchIdParameters {
  validator: Address;
  blockNumber?: bigint;
}

/** The audit batch id RewrapAuditLog expects next from `validator` (1 for a validator that never wrote one). */
export function getNextBatchId(clients: ChainClients, { validator, blockNumber }: GetNextBatchIdParameters): Promise<bigint> {
  return read("nextBatchId", () =>
    clients.publicClient.readContract({
      address: clients.deployment.addresses.rewrapAuditLog,
      abi: rewrapAuditLogAbi,
      functionName: "nextBatchId",
      args: [validator],
      blockNumber,
    }),
  );
}
