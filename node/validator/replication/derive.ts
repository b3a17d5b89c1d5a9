/**
 * The initial validator's way to a DEK: derive it from the registered header (its policy
 * binding checked), at most once at a time per content — whether a pass or a pull asked first.
 * A header nobody can open is a verdict (./unusable.ts), reported once; any other failure is
 * retried with back-off.
 */
import type { Hex } from "viem";
import type { ReplicationContent } from "../../indexer-client/index.js";
import type { DekKeeper } from "./keeper.js";
import { planContent } from "./plan.js";
import { failureCode } from "./puller.js";
import type { ReplicationContext } from "./types.js";
import { openRegisteredHeader, type UnusableReports } from "./unusable.js";
import type { WorkList } from "./worklist.js";

export class Deriver {
  readonly #ctx: ReplicationContext;
  readonly #keeper: DekKeeper;
  readonly #workList: WorkList;
  readonly #verdicts: UnusableReports;
  /** Derives under way (a pass's, or one a pull asked for first), so none runs twice. */
  readonly #deriving = new Map<Hex, Promise<void>>();

  constructor(ctx: ReplicationContext, keeper: DekKeeper, workList: WorkList, verdicts: UnusableReports) {
    this.#ctx = ctx;
    this.#keeper = keeper;
    this.#workList = workList;
    this.#verdicts = verdicts;
  }

  /** Derives the content's DEK, or joins the derive under way. */
  once(content: ReplicationContent): Promise<void> {
    const id = content.contentId;
    let deriving = this.#deriving.get(id);
    if (deriving === undefined) {
      deriving = this.#derive(content).finally(() => this.#deriving.delete(id));
      this.#deriving.set(id, deriving);
    }
    return deriving;
  }

  /**
   * An admitted pull reached this node before its own pass derived the DEK — both learn of a
   * registration from the same indexer, so a member's first pull often races the initial
   * validator's pass. Derive it now, under exactly the plan's conditions, rather than refuse:
   * a refused puller tries again only a pass or two later (in bench:replication that cost a
   * stake content the block its confirmation could have made).
   */
  async forPull(contentId: Hex): Promise<void> {
    const content = this.#workList.content(contentId);
    const work = this.#workList.current;
    if (content === undefined || work === undefined || this.#verdicts.has(contentId)) return;
    const plan = planContent({
      content,
      me: this.#ctx.me,
      myStatus: work.node?.revoked ? "revoked" : (work.node?.status ?? "none"),
      active: new Set(work.peers.filter((p) => p.status === "active").map((p) => p.node)),
      has: this.#ctx.components.store.hasDek(contentId),
      provided: true, // announcing is the pass's business; only `derive` is asked here
      // The list's own block: it holds the registration, and the chain head is at least there.
      head: BigInt(work.block.number),
      confirmations: this.#ctx.options.confirmations,
    });
    if (plan.derive && !this.#ctx.retries.waiting(contentId, this.#ctx.clock())) await this.once(content);
  }

  async #derive(content: ReplicationContent): Promise<void> {
    const id = content.contentId;
    try {
      const opened = openRegisteredHeader({
        header: content.header,
        policyId: content.policyId,
        keyring: this.#ctx.components.store.kasKeyRing(),
        kids: this.#workList.current?.node?.kids ?? [],
      });
      if ("unusable" in opened) {
        if (content.holders.length === 0) this.#verdicts.add(content, opened.unusable, opened.code);
        else this.#failed(id, `HELD_BUT_${opened.code}`);
        return;
      }
      await this.#keeper.store(content, opened.dek, "initial");
      this.#ctx.stats.derived++;
      this.#ctx.retries.succeeded(id);
    } catch (error) {
      this.#failed(id, failureCode(error));
    }
  }

  /** A failure that may pass (a KAS key restored from backup, the store): back off, say it once per cause. */
  #failed(contentId: Hex, code: string): void {
    const failure = this.#ctx.retries.failed(contentId, this.#ctx.clock(), code);
    this.#ctx.logger[failure.newCause ? "warn" : "debug"]("cannot derive the DEK from the registered header", {
      contentId,
      error: code,
      failures: failure.failures,
      retryInMs: failure.delayMs,
    });
  }
}
