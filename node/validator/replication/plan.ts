/**
 * What one validator should do about one content, decided from indexed state and its own store
 * alone (docs/architecture.md#replication). Pure, so the rules are tested without a network:
 *
 *   derive   — it is the initial validator, lacks the DEK, and the registration has its confirmations
 *   pull     — it is an active member of the replica set, lacks the DEK, registration final
 *   provide  — it holds an xor/all DEK it has not announced in the DHT since it started
 *   repair   — a stake slot is vacant or names a validator that left the active set, and this node
 *              is the one to send `repair`: the exiting member itself (hand-off), else the first
 *              active member in slot order, else the initial validator, else the first active
 *              confirmed holder. One designated sender keeps the others from racing it for gas.
 */
import type { Address } from "viem";
import type { ReplicationContent } from "../../indexer-client/index.js";

export interface PlanInput {
  content: ReplicationContent;
  /** This node, lowercase. */
  me: Address;
  /** This node's status on chain (per the indexer): active, exiting, … */
  myStatus: string;
  /** Lowercase addresses of the active validators. */
  active: ReadonlySet<string>;
  has: boolean;
  provided: boolean;
  /** Chain head block number. */
  head: bigint;
  confirmations: number;
}

export interface Plan {
  derive: boolean;
  pull: boolean;
  provide: boolean;
  repair: boolean;
}

export function isFinal(registeredBlock: number, head: bigint, confirmations: number): boolean {
  return head - BigInt(registeredBlock) + 1n >= BigInt(confirmations);
}

export function needsRepair(content: ReplicationContent, active: ReadonlySet<string>): boolean {
  return content.mode === "stake" && content.replicaSet.some((member) => member === null || !active.has(member));
}

/** Who sends `repair` for a stake content that needs one (lowercase), or undefined if nobody can. */
export function designatedRepairer(content: ReplicationContent, active: ReadonlySet<string>): Address | undefined {
  const members = content.replicaSet.filter((m): m is Address => m !== null);
  const firstActiveMember = members.find((m) => active.has(m));
  if (firstActiveMember !== undefined) return firstActiveMember;
  if (active.has(content.initialValidator)) return content.initialValidator;
  return content.holders.find((h) => active.has(h));
}

export function planContent(input: PlanInput): Plan {
  const { content, me, has } = input;
  const final = isFinal(content.registeredBlock, input.head, input.confirmations);
  const live = input.myStatus === "active" || input.myStatus === "exiting";
  const member = content.replicaSet.includes(me);
  const derive = live && !has && final && content.initialValidator === me;
  const pull = !derive && !has && final && member && input.myStatus === "active";
  const provide = has && !input.provided && (content.mode === "xor" || content.mode === "all") && input.myStatus === "active";
  let repair = false;
  if (needsRepair(content, input.active)) {
    if (input.myStatus === "exiting" && member) repair = true;
    else if (input.myStatus === "active") repair = designatedRepairer(content, input.active) === me;
  }
  return { derive, pull, provide, repair };
}
