/**
 * Holder confirmations: DEKs of `stake` and `explicit` contents → ContentRegistry.confirmHoldings.
 * (`xor` and `all` holdings are announced in the DHT, not on chain.)
 *
 * A confirmation has no id the chain could check, so a repeat would emit HoldingConfirmed
 * twice — harmless, but avoided: the hash of every signed transaction is persisted with its
 * content ids (markConfirmationSubmitted) before it is broadcast, and "submitted" holdings are
 * looked up by that hash before anything is sent again.
 */
import type { Hash, Hex } from "viem";
import type { DekInfo } from "../../store/index.js";
import { confirmHoldingsRequest } from "../actions/confirmHoldings.js";
import { getTransactionStatus } from "../actions/getTransactionStatus.js";
import { CONFIRMED_ON_CHAIN_MODES } from "../constants.js";
import { ChainError } from "../errors.js";
import { Lane } from "./lane.js";

export class HoldingsLane extends Lane {
  readonly name = "holdings";
  /** Content ids the chain does not know (ContentRegistryUnknownContent): not sent again by this process. */
  readonly skipped = new Set<Hex>();
  #waitingSince: number | undefined;

  protected override idleDelay(): number {
    const { idlePollMs, holdingsIntervalMs } = this.ctx.options;
    if (this.#waitingSince === undefined) return idlePollMs;
    return Math.min(idlePollMs, Math.max(1, this.#waitingSince + holdingsIntervalMs - Date.now()));
  }

  /** Held DEKs whose confirmation is not yet on chain, in the modes confirmed on chain. */
  unconfirmed(limit: number): DekInfo[] {
    return this.ctx.store
      .listUnconfirmed({ modes: CONFIRMED_ON_CHAIN_MODES, limit: limit + this.skipped.size })
      .filter((info) => !this.skipped.has(info.contentId))
      .slice(0, limit);
  }

  protected async step(): Promise<boolean> {
    const { options } = this.ctx;
    const rows = this.unconfirmed(options.holdingsBatchSize);
    if (rows.length === 0) {
      this.#waitingSince = undefined;
      return false;
    }
    // Earlier transactions first: finish them if the node has them, else their ids go out again now.
    const resend: Hex[] = [];
    for (const [hash, ids] of groupSubmitted(rows)) {
      const status = await getTransactionStatus(this.ctx.clients, { hash });
      if (status.state !== "unknown" && (await this.#awaitConfirmed(ids, hash))) return true;
      resend.push(...ids);
    }
    const pending = rows.filter((row) => row.confirmation.state === "pending").map((row) => row.contentId);
    const now = Date.now();
    this.#waitingSince ??= now;
    const due =
      resend.length > 0 || pending.length >= options.holdingsBatchSize || now - this.#waitingSince >= options.holdingsIntervalMs || this.ctx.flushing();
    if (!due) return false;
    const ids = [...resend, ...pending].slice(0, options.holdingsBatchSize);
    this.#waitingSince = undefined;
    await this.#confirm(ids);
    return true;
  }

  async #confirm(ids: Hex[]): Promise<void> {
    let hash: Hash;
    try {
      ({ hash } = await this.send(confirmHoldingsRequest(this.ctx.clients, { contentIds: ids }), (signed) =>
        this.ctx.store.markConfirmationSubmitted(ids, signed),
      ));
    } catch (error) {
      if (error instanceof ChainError && error.revert?.errorName === "ContentRegistryUnknownContent") {
        const [contentId] = error.revert.args as [Hex];
        this.skipped.add(contentId.toLowerCase() as Hex);
        this.ctx.metrics.holdingsSkipped += 1;
        this.ctx.logger.warn("the chain does not know a held content; its holding is not confirmed", { contentId });
        return;
      }
      throw error;
    }
    this.ctx.metrics.holdingBatchesSent += 1;
    if (!(await this.#awaitConfirmed(ids, hash))) {
      throw new ChainError("CHAIN_REVERTED", "the holder confirmation reverted on chain", { details: { hash, count: ids.length }, retryable: true });
    }
  }

  async #awaitConfirmed(ids: Hex[], hash: Hash): Promise<boolean> {
    const receipt = await this.receipt(hash);
    if (receipt.status !== "success") return false;
    await this.ctx.store.markConfirmed(ids, receipt.blockNumber);
    this.ctx.metrics.holdingsConfirmed += ids.length;
    this.ctx.logger.debug("holdings confirmed", { count: ids.length, block: String(receipt.blockNumber), hash });
    return true;
  }
}

function groupSubmitted(rows: readonly DekInfo[]): Map<Hash, Hex[]> {
  const groups = new Map<Hash, Hex[]>();
  for (const row of rows) {
    if (row.confirmation.state !== "submitted") continue;
    const ids = groups.get(row.confirmation.txHash) ?? [];
    ids.push(row.contentId);
    groups.set(row.confirmation.txHash, ids);
  }
  return groups;
}
