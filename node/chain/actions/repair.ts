import { getAddress, parseEventLogs, type Address, type Hex } from "viem";
import { contentRegistryAbi } from "../abis.js";
import { ChainError } from "../errors.js";
import type { ChainClients } from "../clients.js";
import { sendContractWrite, type ContractWrite, type WriteOptions, type WriteResult } from "./writeContract.js";

export interface RepairParameters extends WriteOptions {
  contentId: Hex;
  /** The content's current replica set, in slot order (checked against the on-chain commitment). */
  members: readonly Address[];
}

export interface RepairReturnType extends WriteResult {
  /** The replica set after the repair, in slot order (`address(0)` for a slot nobody could fill). */
  members: Address[];
}

export function repairRequest(clients: ChainClients, { contentId, members }: RepairParameters): ContractWrite {
  return { address: clients.deployment.addresses.contentRegistry, abi: contentRegistryAbi, functionName: "repair", args: [contentId, [...members]] };
}

/** Re-draws the slots of a `stake(k)` content's replica set whose member left the active set (anyone may call it). */
export async function repair(clients: ChainClients, parameters: RepairParameters): Promise<RepairReturnType> {
  const result = await sendContractWrite(clients, repairRequest(clients, parameters), parameters);
  return { ...result, members: applyRepairs(parameters.members, result.receipt.logs) };
}

/** The members after the ReplicaRepaired events among `logs`. */
export function applyRepairs(members: readonly Address[], logs: Parameters<typeof parseEventLogs>[0]["logs"]): Address[] {
  const repaired = members.map((member) => getAddress(member));
  for (const event of parseEventLogs({ abi: contentRegistryAbi, eventName: "ReplicaRepaired", logs })) {
    repaired[Number(event.args.slot)] = event.args.replacement;
  }
  return repaired;
}

/** At most this many contents per `repairMany` (ContentRegistry's MAX_REPAIR_BATCH). */
export const MAX_REPAIR_BATCH = 100;

export interface RepairManyParameters extends WriteOptions {
  /** 1–100 stake contents, each with its current replica set in slot order. */
  repairs: readonly { contentId: Hex; members: readonly Address[] }[];
}

/**
 * ContentRegistry.repairMany: one transaction for many sets (a departure touches every set that
 * named the leaver). Entries repaired by someone else meanwhile are skipped on chain; the call
 * reverts only if none changed.
 */
export function repairManyRequest(clients: ChainClients, { repairs }: RepairManyParameters): ContractWrite {
  if (repairs.length === 0 || repairs.length > MAX_REPAIR_BATCH) {
    throw new ChainError("CHAIN_INVALID_ARGUMENT", `repairMany takes 1–${MAX_REPAIR_BATCH} contents, got ${repairs.length}`);
  }
  return {
    address: clients.deployment.addresses.contentRegistry,
    abi: contentRegistryAbi,
    functionName: "repairMany",
    args: [repairs.map((r) => r.contentId), repairs.map((r) => [...r.members])],
  };
}
