import { CID } from "multiformats/cid";
import { hexToBytes, type Address, type Hex } from "viem";
import { decodeAuditRecords, type DecodedAuditRecord } from "../../protocol/auditRecords.js";
import { rewrapAuditLogAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { toChainError } from "../errors.js";

export interface GetAuditBatchParameters {
  validator: Address;
  batchId: bigint;
}

export interface GetAuditBatchReturnType {
  batchId: bigint;
  records: DecodedAuditRecord[];
  /** Undefined for a batch recorded without evidence (recordRewraps). */
  evidence: { root: Hex; cid: string } | undefined;
  blockNumber: bigint;
}

/**
 * A recorded audit batch as its logs carry it: RewrapBatchRecorded's records and, for a
 * verifiable batch, RewrapBatchEvidenceCommitted's root and CID. Undefined if the validator has
 * no such batch. Read from the chain itself, so a verifier trusts no indexer.
 */
export async function getAuditBatch(clients: ChainClients, { validator, batchId }: GetAuditBatchParameters): Promise<GetAuditBatchReturnType | undefined> {
  const common = {
    address: clients.deployment.addresses.rewrapAuditLog,
    abi: rewrapAuditLogAbi,
    args: { validator, batchId },
    fromBlock: clients.deployment.startBlock,
    strict: true,
  } as const;
  try {
    const [recorded] = await clients.publicClient.getContractEvents({ ...common, eventName: "RewrapBatchRecorded" });
    if (recorded === undefined) return undefined;
    const [committed] = await clients.publicClient.getContractEvents({ ...common, eventName: "RewrapBatchEvidenceCommitted" });
    return {
      batchId,
      records: decodeAuditRecords(recorded.args.records),
      evidence: committed === undefined ? undefined : { root: committed.args.evidenceRoot, cid: CID.decode(hexToBytes(committed.args.evidenceCid)).toString() },
      blockNumber: recorded.blockNumber,
    };
  } catch (error) {
    throw toChainError(error, { action: "getAuditBatch", validator, batchId: batchId.toString() });
  }
}
