import type { Address, Hex, PublicClient } from "viem";
import { contentRegistryAbi, policyRegistryAbi } from "../abis.js";
import { ACCESS_REASONS, type AccessReason } from "../../protocol/accessReasons.js";
import { read } from "./readContract.js";

export interface GetAccessDecisionParameters {
  contentId: Hex;
  account: Address;
  /** The block whose state decides (the head the caller knows). */
  blockNumber: bigint;
}

/** The chain's own decision, in the indexer's `/access` shape (so either can be cached alike). */
export interface ChainAccessDecision {
  contentId: Hex;
  policyId: bigint;
  account: Address;
  allowed: boolean;
  reason: AccessReason;
  /** For ConditionNotMet/ConditionCallFailed: the condition node (prefix index) that decided (PolicyRegistry.checkAccess). */
  condition?: number;
  /** The block's timestamp: what `canAccess` evaluates time windows and grant expiries at. */
  at: bigint;
  block: { number: number; timestamp: number };
}

/**
 * ContentRegistry.policyOf and canAccessContent for (content, account), and the block's
 * timestamp, all at `blockNumber` — the authority the indexer's `/access` mirrors. Undefined if
 * the content is not registered at that block. A validator falls back to this when its indexer
 * is too far behind to decide (docs/rewrap.md), or cannot decide a policy's conditions
 * (docs/conditions.md): three eth_calls instead of a refusal, and a fourth (checkAccess, same
 * block) to name the condition that denied.
 */
export async function getAccessDecision(
  clients: { publicClient: Pick<PublicClient, "readContract" | "getBlock">; deployment: { addresses: { contentRegistry: Address; policyRegistry: Address } } },
  { contentId, account, blockNumber }: GetAccessDecisionParameters,
): Promise<ChainAccessDecision | undefined> {
  const { publicClient, deployment } = clients;
  const address = deployment.addresses.contentRegistry;
  const [policyId, [allowed, reason], block] = await Promise.all([
    read("policyOf", () => publicClient.readContract({ address, abi: contentRegistryAbi, functionName: "policyOf", args: [contentId], blockNumber })),
    read("canAccessContent", () =>
      publicClient.readContract({ address, abi: contentRegistryAbi, functionName: "canAccessContent", args: [contentId, account], blockNumber }),
    ),
    read("getBlock", () => publicClient.getBlock({ blockNumber })),
  ]);
  if (policyId === 0n) return undefined;
  const name = ACCESS_REASONS[reason];
  if (name === undefined) throw new Error(`canAccessContent returned an unknown reason ${reason}`);
  let condition: number | undefined;
  if (name === "ConditionNotMet" || name === "ConditionCallFailed") {
    const policyRegistry = deployment.addresses.policyRegistry;
    const [, , index] = await read("checkAccess", () =>
      publicClient.readContract({ address: policyRegistry, abi: policyRegistryAbi, functionName: "checkAccess", args: [policyId, account], blockNumber }),
    );
    condition = Number(index);
  }
  return {
    contentId: contentId.toLowerCase() as Hex,
    policyId,
    account: account.toLowerCase() as Address,
    allowed,
    reason: name,
    ...(condition === undefined ? {} : { condition }),
    at: block.timestamp,
    block: { number: Number(block.number), timestamp: Number(block.timestamp) },
  };
}
