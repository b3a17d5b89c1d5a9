/**
 * Healing of threshold contents by their remaining members (docs/threshold.md#on-chain): every
 * interval, for each content this node holds a share of, the slots whose member left the active
 * set are re-drawn with repairThreshold. One member sends: the active member of the lowest slot,
 * as one designated sender repairs a stake set, so a departure costs one transaction per content.
 * A repair is not sent again for the same slots (a failure is logged; a changed set or active
 * set is a new situation).
 */
import type { Hex } from "viem";
import type { HoldersInfo, IndexerClient } from "../../indexer-client/index.js";
import type { ThresholdSlotInput } from "../../chain/index.js";
import { errorFields, type Logger } from "../../protocol/logger.js";
import type { DekStore } from "../store/index.js";

export interface ThresholdRepairsComponents {
  store: Pick<DekStore, "shareContentIds">;
  indexer: Pick<IndexerClient, "holders">;
  /** This node's address, lowercase. */
  me: Hex;
  /** Sends repairThreshold and waits for its receipt. */
  repair: (contentId: Hex, slots: readonly ThresholdSlotInput[]) => Promise<void>;
  logger: Logger;
}

/** The slots to send if `holders` shows a departed member and this node is the designated sender. */
export function repairToSend(holders: HoldersInfo, me: Hex): readonly ThresholdSlotInput[] | undefined {
  const slots = holders.threshold?.slots;
  if (slots === undefined) return undefined;
  const active = new Set(holders.holders.map((h) => h.node));
  if (slots.every((s) => active.has(s.member))) return undefined;
  const sender = slots.find((s) => active.has(s.member))?.member;
  return sender === me ? slots : undefined;
}

export class ThresholdRepairs {
  readonly #c: ThresholdRepairsComponents;
  /** The slots last sent per content: not sent again while the indexer still shows them. */
  readonly #sent = new Map<Hex, string>();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;
  /** Repairs this node sent that were mined. */
  repaired = 0;

  constructor(components: ThresholdRepairsComponents) {
    this.#c = components;
  }

  start(intervalMs: number): void {
    this.#timer ??= setInterval(() => {
      this.#pass ??= this.pass().finally(() => (this.#pass = undefined));
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#pass;
  }

  /** One look at every content this node holds a share of. */
  async pass(): Promise<void> {
    for (const contentId of this.#c.store.shareContentIds()) {
      let holders: HoldersInfo;
      try {
        holders = await this.#c.indexer.holders(contentId);
      } catch (error) {
        this.#c.logger.debug("threshold repairs: holders not read", { contentId, ...errorFields(error) });
        continue;
      }
      const slots = repairToSend(holders, this.#c.me);
      if (slots === undefined) continue;
      const situation = JSON.stringify([slots, holders.holders.map((h) => h.node)]);
      if (this.#sent.get(contentId) === situation) continue;
      this.#sent.set(contentId, situation);
      try {
        await this.#c.repair(contentId, slots);
        this.repaired++;
        this.#c.logger.info("threshold slots repaired", { contentId });
      } catch (error) {
        this.#c.logger.warn("threshold repair failed", { contentId, ...errorFields(error) });
      }
    }
  }
}
