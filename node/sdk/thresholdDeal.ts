/**
 * The publisher's side of threshold(m, n) (docs/threshold.md#dealing, docs/client.md "Threshold
 * contents"): the members drawn for a content, its shares sealed to them, and the one transaction
 * that registers them — at upload (`registerThreshold`) and when the publisher re-deals a content
 * that lost its members (`redealThreshold`).
 *
 * The publisher cannot ask the chain for the members and then seal, so it computes the draw the
 * contract will make (drawThresholdMembers: a recent block's hash and the content id, the current
 * stake tree). When the validator set changes between the draw and the transaction, the contract
 * refuses the shares (ContentRegistrySealedShareMismatch) before anything is sent, and the deal is
 * sealed again to a fresh draw, up to DRAW_ATTEMPTS times.
 */
import { type Address, type Hex, getAddress, hexToBytes, toHex } from "viem";
import { drawThresholdMembers, type ChainClients } from "../chain/index.js";
import { encodeCommitments, sealShare, type Share } from "../crypto/threshold/index.js";
import type { ActiveValidator } from "../indexer-client/index.js";
import { thresholdOf } from "../protocol/threshold.js";
import type { ClientContext } from "./context.js";
import { clientError, DekmeshClientError } from "./errors.js";
import { parseThreshold } from "./policies.js";

const DRAW_ATTEMPTS = 3;

export interface ThresholdTerms {
  m: number;
  n: number;
}

/** threshold(m, n) of an upload: from its replication spec, or from the existing policy it names; undefined for other modes. */
export async function thresholdTermsOf(ctx: ClientContext, replication: unknown, policyId: bigint | undefined): Promise<ThresholdTerms | undefined> {
  if (policyId === undefined) return parseThreshold(replication);
  const policy = await ctx.policies.get(policyId);
  return policy.mode === "threshold" ? thresholdOf(policy.k) : undefined;
}

/** What the registration carries besides the header and the recovery envelope. */
export interface SealedDeal {
  drawBlock: bigint;
  members: Address[];
  commitments: Hex;
  sealedShares: Hex;
}

/**
 * Seals `shares` (indexes 1..n) to the members the contract will draw for `contentId` and sends
 * `register(deal)`; draws again when the set moved under it. Returns the deal that was accepted
 * and the transaction hash.
 */
export async function sealToDrawAndSend(
  ctx: ClientContext,
  params: { contentId: Hex; shares: readonly Share[]; commitments: readonly Uint8Array[]; operation: string },
  register: (deal: SealedDeal) => Promise<Hex>,
): Promise<{ deal: SealedDeal; transactionHash: Hex }> {
  const n = params.shares.length;
  for (let attempt = 1; ; attempt++) {
    const deal = await sealToDraw(ctx, params.contentId, n, params.shares, params.commitments);
    try {
      return { deal, transactionHash: await register(deal) };
    } catch (error) {
      const moved = (error as { details?: { errorName?: unknown } }).details?.errorName === "ContentRegistrySealedShareMismatch";
      if (!moved || attempt >= DRAW_ATTEMPTS) throw clientError("CLIENT_CHAIN", `ContentRegistry.${params.operation} failed`, error);
    }
  }
}

async function sealToDraw(ctx: ClientContext, contentId: Hex, n: number, shares: readonly Share[], commitments: readonly Uint8Array[]): Promise<SealedDeal> {
  let draw;
  let active: ActiveValidator[];
  try {
    draw = await drawThresholdMembers(ctx.chain as ChainClients, { contentId, n });
  } catch (error) {
    throw clientError("CLIENT_CHAIN", "cannot compute the member draw", error);
  }
  if (draw.members.length < n) {
    throw new DekmeshClientError("CLIENT_NO_VALIDATOR", `threshold needs ${n} active validators; ${draw.members.length} are active`, {
      details: { needed: n, active: draw.members.length },
    });
  }
  try {
    active = (await ctx.indexer.activeValidators()).validators;
  } catch (error) {
    throw clientError("CLIENT_INDEXER", "cannot read the active validators' KAS keys", error);
  }
  const keys = new Map(active.map((v) => [v.node.toLowerCase(), v.kasPublicKey]));
  const sealed = draw.members.map((member, slot) => {
    const kasPublicKey = keys.get(member.toLowerCase());
    if (kasPublicKey === undefined) {
      // Just activated, and the indexer has not seen it yet: a later draw will find it.
      throw new DekmeshClientError("CLIENT_NO_VALIDATOR", "a drawn member is not yet in the indexer's active set", { details: { member }, retryable: true });
    }
    return sealShare({ share: shares[slot]!, contentId: hexToBytes(contentId), member: { address: getAddress(member), kasPublicKey: hexToBytes(kasPublicKey) } });
  });
  return {
    drawBlock: draw.drawBlock,
    members: draw.members,
    commitments: toHex(encodeCommitments(commitments)),
    sealedShares: toHex(Buffer.concat(sealed)),
  };
}
