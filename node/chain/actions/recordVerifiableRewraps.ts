import type { Hex } from "viem";
import { CID } from "multiformats/cid";
import { ChainError } from "../errors.js";
import type { ChainClients } from "../clients.js";
import { recordRewrapsGasLimit, recordRewrapsRequest, type RecordRewrapsParameters } from "./recordRewraps.js";
import { sendContractWrite, type ContractWrite, type WriteResult } from "./writeContract.js";

export type RecordVerifiableRewrapsParameters = RecordRewrapsParameters & {
  /** The Merkle root over the records' evidence leaves (node/protocol/auditEvidence.ts). */
  evidenceRoot: Hex;
  /** The evidence blob's CID (a content CID, node/ipfs/cid.ts, as text). */
  evidenceCid: string;
};

/** RewrapAuditLog.recordVerifiableRewraps: the batch as recordRewraps takes it, plus its evidence root and blob CID (docs/accountability.md). */
export function recordVerifiableRewrapsRequest(clients: ChainClients, parameters: RecordVerifiableRewrapsParameters): ContractWrite {
  const plain = recordRewrapsRequest(clients, parameters);
  const { evidenceRoot, evidenceCid } = parameters;
  if (!/^0x[0-9a-fA-F]{64}$/.test(evidenceRoot) || /^0x0{64}$/.test(evidenceRoot)) {
    throw new ChainError("CHAIN_INVALID_ARGUMENT", "an evidence root is 32 nonzero bytes", { details: { evidenceRoot } });
  }
  let cid: Uint8Array;
  try {
    cid = CID.parse(evidenceCid).bytes;
  } catch (cause) {
    throw new ChainError("CHAIN_INVALID_ARGUMENT", "the evidence CID is not a CID", { details: { evidenceCid }, cause });
  }
  const [batchId, records] = plain.args as [bigint, Hex];
  return { ...plain, functionName: "recordVerifiableRewraps", args: [batchId, records, evidenceRoot, `0x${Buffer.from(cid).toString("hex")}`] };
}

/**
 * recordRewrapsGasLimit plus the commitment: two fresh storage slots (2 × 22,100) and the
 * RewrapBatchEvidenceCommitted log, with headroom. Unused gas is not charged.
 */
export function recordVerifiableRewrapsGasLimit(count: number): bigint {
  return recordRewrapsGasLimit(count) + 60_000n;
}

export async function recordVerifiableRewraps(clients: ChainClients, parameters: RecordVerifiableRewrapsParameters): Promise<WriteResult> {
  return sendContractWrite(clients, recordVerifiableRewrapsRequest(clients, parameters), parameters);
}
