/**
 * A member's threshold work, ahead of reads (docs/threshold.md#at-the-member): at start and every
 * interval the node reads its threshold work list (GET /threshold/:node, every content whose
 * slots name it) and the active set, and for each content
 *
 *   - a slot whose member left the active set: repaired, by the designated sender (./repairs.ts);
 *   - a dealt slot whose share it has not taken: opens, checks and stores it (ThresholdMember);
 *     the holdings lane confirms it on chain;
 *   - a repaired slot (a fresh index, the member it replaces as `previous`) it holds no share
 *     of: enrolls from m helpers (ThresholdEnrollment);
 *   - a repaired slot it holds the share of, still naming `previous`: sends confirmEnrollment,
 *     which releases the member it replaced. Not sent again for the same slots while the
 *     indexer has not caught up (a failure is logged and retried once the slots change or
 *     after RETRY_CONFIRM_MS).
 *
 * A restart resumes where the store left off: a share stored before the crash is not fetched
 * again, only confirmed.
 */
import type { Hex } from "viem";
import type { IndexerClient, ThresholdWorkContent } from "../../indexer-client/index.js";
import type { ThresholdSlotInput } from "../../chain/index.js";
import { errorFields, type Logger } from "../../protocol/logger.js";
import { Slots } from "../p2p/slots.js";
import type { DekStore } from "../store/index.js";
import type { ThresholdEnrollment } from "./enrollment.js";
import type { ThresholdMember } from "./member.js";
import type { ThresholdRepairs } from "./repairs.js";

export interface ThresholdWorkComponents {
  store: Pick<DekStore, "getShareInfo">;
  indexer: Pick<IndexerClient, "thresholdWork" | "activeValidators">;
  member: Pick<ThresholdMember, "take">;
  repairs: Pick<ThresholdRepairs, "consider">;
  enrollment: Pick<ThresholdEnrollment, "enroll">;
  /** This node's address. */
  me: Hex;
  /** Sends confirmEnrollment for `slot` and waits for its receipt. */
  confirmEnrollment: (contentId: Hex, slots: readonly ThresholdSlotInput[], slot: number) => Promise<void>;
  logger: Logger;
}

/**
 * Contents acted on at once. Repairs and confirmations each wait for a block and an enrollment
 * for m helpers' answers: one at a time, a departure that touches a thousand contents would
 * heal over a thousand blocks.
 */
export const WORK_CONCURRENCY = 16;

/** A confirmation sent for slots the indexer still shows is sent again after this long. */
export const RETRY_CONFIRM_MS = 30_000;

export class ThresholdWorkLoop {
  readonly #c: ThresholdWorkComponents;
  /** The slots each confirmation was sent for, and when. */
  readonly #confirming = new Map<Hex, { slots: string; at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;
  readonly #stopping = new AbortController();
  /** Enrollments this node confirmed on chain. */
  confirmed = 0;

  constructor(components: ThresholdWorkComponents) {
    this.#c = components;
  }

  start(intervalMs: number): void {
    const run = () => {
      this.#pass ??= this.pass()
        .catch((error) => this.#c.logger.debug("threshold work list not read", errorFields(error)))
        .finally(() => (this.#pass = undefined));
    };
    run();
    this.#timer ??= setInterval(run, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#stopping.abort();
    await this.#pass;
  }

  /** One walk through the whole work list. Indexer failures are thrown; a content's own failure is logged. */
  async pass(): Promise<void> {
    const signal = this.#stopping.signal;
    let cursor: string | undefined;
    do {
      const page = await this.#c.indexer.thresholdWork(this.#c.me, { cursor, signal });
      const active = new Set((await this.#c.indexer.activeValidators({ signal })).validators.map((v) => v.node));
      const slots = new Slots(WORK_CONCURRENCY);
      await Promise.all(
        page.contents.map((content) =>
          slots
            .run(async () => {
              await this.#c.repairs.consider(content.contentId, content.slots, active);
              await this.#act(content);
            }, signal)
            .catch((error) => {
              if (!signal.aborted) this.#c.logger.warn("threshold work failed for a content", { contentId: content.contentId, ...errorFields(error) });
            }),
        ),
      );
      if (signal.aborted) return;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  async #act(content: ThresholdWorkContent): Promise<void> {
    const { contentId } = content;
    const slot = content.slots.find((s) => s.member === this.#c.me.toLowerCase());
    if (slot === undefined) return;
    // The share of this slot's index: one of another index (a slot this node held before it left
    // and was drawn again) is not what the chain asks it to confirm.
    let held = this.#c.store.getShareInfo(contentId)?.index === slot.index;
    if (!held && slot.sealedShare !== null) {
      const taken = await this.#c.member.take(content);
      taken?.share.value.fill(0);
      return;
    }
    if (slot.previous === null) {
      this.#confirming.delete(contentId);
      return;
    }
    if (!held) held = await this.#c.enrollment.enroll(content, this.#stopping.signal);
    if (held) await this.#confirm(content, slot.slot);
  }

  async #confirm({ contentId, slots }: ThresholdWorkContent, slot: number): Promise<void> {
    const key = JSON.stringify(slots.map((s) => [s.member, s.index, s.previous]));
    const last = this.#confirming.get(contentId);
    if (last?.slots === key && Date.now() - last.at < RETRY_CONFIRM_MS) return;
    this.#confirming.set(contentId, { slots: key, at: Date.now() });
    await this.#c.confirmEnrollment(contentId, slots, slot);
    this.confirmed++;
    this.#c.logger.info("threshold enrollment confirmed on chain", { contentId, slot });
  }
}
