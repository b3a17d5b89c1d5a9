/**
 * Healing of threshold contents by their remaining members (docs/threshold.md#on-chain): on each
 * pass of the work loop (./work.ts), for each content whose slots name this node, the slots
 * whose member left the active set are re-drawn with repairThreshold. One member sends: the
 * active member of the lowest slot, as one designated sender repairs a stake set, so a
 * departure costs one transaction per content. A repair is not sent again for the same slots
 * and active set (a failure is logged; a changed set or active set is a new situation).
 */
import type { Hex } from "viem";
import type { ThresholdSlot } from "../../indexer-client/index.js";
import type { ThresholdSlotInput } from "../../chain/index.js";
import { errorFields, type Logger } from "../../protocol/logger.js";

export interface ThresholdRepairsComponents {
  /** This node's address, lowercase. */
  me: Hex;
  /** Sends repairThreshold and waits for its receipt. */
  repair: (contentId: Hex, slots: readonly ThresholdSlotInput[]) => Promise<void>;
  logger: Logger;
}

/** The slots to send if a slot's member left `active` and this node is the designated sender. */
export function repairToSend(slots: readonly ThresholdSlot[], active: ReadonlySet<string>, me: Hex): readonly ThresholdSlotInput[] | undefined {
  if (slots.every((s) => active.has(s.member))) return undefined;
  const sender = slots.find((s) => active.has(s.member))?.member;
  return sender === me ? slots : undefined;
}

export class ThresholdRepairs {
  readonly #c: ThresholdRepairsComponents;
  /** The slots and active set last sent per content: not sent again while the indexer still shows them. */
  readonly #sent = new Map<Hex, string>();
  /** Repairs this node sent that were mined. */
  repaired = 0;

  constructor(components: ThresholdRepairsComponents) {
    this.#c = components;
  }

  /** Repairs `contentId` if it needs it and this node is the one to send. */
  async consider(contentId: Hex, slots: readonly ThresholdSlot[], active: ReadonlySet<string>): Promise<void> {
    const toSend = repairToSend(slots, active, this.#c.me);
    if (toSend === undefined) {
      this.#sent.delete(contentId);
      return;
    }
    const situation = JSON.stringify([toSend, slots.map((s) => active.has(s.member))]);
    if (this.#sent.get(contentId) === situation) return;
    this.#sent.set(contentId, situation);
    try {
      await this.#c.repair(contentId, toSend);
      this.repaired++;
      this.#c.logger.info("threshold slots repaired", { contentId });
    } catch (error) {
      this.#c.logger.warn("threshold repair failed", { contentId, ...errorFields(error) });
    }
  }
}
