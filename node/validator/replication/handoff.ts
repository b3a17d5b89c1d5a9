/**
 * Hand-off of an exiting validator (before `withdraw`): its stake slots are repaired away by its
 * own passes; this reports what is left — slots still naming it, and held contents that no other
 * active validator is known to hold (confirmed on chain, or answering `has`). Its threshold slots
 * are repaired by the remaining members (../threshold/repairs.ts) and released when each
 * replacement confirms its enrollment; they are counted here too.
 */
import type { Address, Hex } from "viem";
import type { HoldersInfo, ReplicationPeer, ReplicationWork } from "../../indexer-client/index.js";
import type { HandOffResult } from "./types.js";

export interface HandOffStatusParameters {
  /** This node, lowercase. */
  me: Address;
  /** A work list read for this call. */
  work: ReplicationWork;
  hasDek(contentId: Hex): boolean;
  /** `has` over p2p; a failure counts as "does not hold". */
  askHas(peer: ReplicationPeer, contentId: Hex): Promise<boolean>;
}

export async function handOffStatus(p: HandOffStatusParameters): Promise<Omit<HandOffResult, "thresholdSlots">> {
  const { me, work } = p;
  const active = new Set(work.peers.filter((peer) => peer.status === "active").map((peer) => peer.node));
  const peers = new Map(work.peers.map((peer) => [peer.node, peer]));
  let slots = 0;
  let unprotected = 0;
  for (const content of work.contents) {
    if (content.mode === "stake" && content.replicaSet.includes(me)) slots++;
    if (!p.hasDek(content.contentId)) continue;
    if (content.holders.some((h) => h !== me && active.has(h))) continue;
    let held = false;
    for (const member of content.replicaSet) {
      const peer = member === null || member === me ? undefined : peers.get(member);
      if (peer === undefined || !active.has(peer.node)) continue;
      held = await p.askHas(peer, content.contentId).catch(() => false);
      if (held) break;
    }
    if (!held) unprotected++;
  }
  return { slots, unprotected };
}

/** Threshold slots naming `me` (member or previous), over the contents it holds a share of. */
export async function thresholdHandOff(me: Address, contentIds: readonly Hex[], holders: (contentId: Hex) => Promise<HoldersInfo>): Promise<number> {
  let slots = 0;
  for (const contentId of contentIds) {
    const { threshold } = await holders(contentId);
    slots += threshold?.slots.filter((s) => s.member === me || s.previous === me).length ?? 0;
  }
  return slots;
}
