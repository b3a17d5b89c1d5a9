import type { Hex } from "viem";
import { contentRegistryAbi } from "../abis.js";
import type { ChainClients } from "../clients.js";
import { repairThresholdRequest, type ThresholdSlotInput } from "./repairThreshold.js";
import type { ContractWrite } from "./writeContract.js";

/**
 * ContentRegistry.confirmEnrollment: the replacement member of a repaired threshold slot says it
 * holds its enrolled share, which releases the member it replaced (docs/threshold.md#on-chain).
 * `slots` are the current ones in slot order, as the indexer serves them; `slot` is the caller's.
 */
export function confirmEnrollmentRequest(clients: ChainClients, { contentId, slots, slot }: { contentId: Hex; slots: readonly ThresholdSlotInput[]; slot: number }): ContractWrite {
  // The same slot encoding as repairThreshold's.
  const [, encoded] = repairThresholdRequest(clients, { contentId, slots }).args;
  return { address: clients.deployment.addresses.contentRegistry, abi: contentRegistryAbi, functionName: "confirmEnrollment", args: [contentId, encoded, BigInt(slot)] };
}
