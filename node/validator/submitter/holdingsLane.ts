/**
 * Holder confirmations: DEKs of `stake` and `explicit` contents and threshold shares →
 * ContentRegistry.confirmHoldings.
 * (`xor` and `all` holdings are announced in the DHT, not on chain.)
 *
 * A confirmation has no id the chain could check, so a repeat would emit HoldingConfirmed
 * twice — harmless, but avoided: the hash of every signed transaction is persisted with its
 * content ids (markConfirmationSubmitted) before it is broadcast, and "submitted" holdings are
 * looked up by that hash before anything is sent again.
 *
 * Pipelined: up to MAX_HOLDINGS_IN_FLIGHT confirmations wait for their receipts at once. With
 * one in flight, a DEK stored just after a send waited for that transaction's block before its
 * own could go out — a whole block (a second on the devnet) added to replication convergence
 * and healing. Each sent transaction is already durable as "submitted" with its hash, so a
 * receipt wait that fails in the background loses nothing: the next step finds those rows
 * submitted and not in flight, and finishes or resends them as after a restart.
 */
import type { Hash, Hex } from "viem";
import type { DekInfo, ShareInfo } from "../store/index.js";
import { confirmHoldingsRequest } from "../../chain/actions/confirmHoldings.js";
import { getTransactionStatus } from "../../chain/actions/getTransactionStatus.js";
import { CONFIRMED_ON_CHAIN_MODES } from "../../protocol/limits.js";
import { ChainError } from "../../chain/errors.js";
import { errorFields } from "../../protocol/logger.js";
import { Lane } from "./lane.js";

/**
 * Confirmations awaiting receipts at once. holdingsIntervalMs sets how often one goes out (the
 * gas-versus-latency choice); this cap only keeps a stuck chain from collecting an unbounded
 * queue of them. 16 is geth's default of pending transactions per account (txpool.accountslots).
 */
export const MAX_HOLDINGS_IN_FLIGHT = 16;

/** What the lane reads of a held DEK or share. */
type Unconfirmed = Pick<DekInfo | ShareInfo, "contentId" | "receivedAt" | "confirmation">;

export class HoldingsLane extends Lane {
  readonly name = "holdings";
  /** Content ids the chain does not know (ContentRegistryUnknownContent): not sent again by this process. */
  readonly skipped = new Set<Hex>();
  /** When the last confirmation went out: the next one waits until holdingsIntervalMs after it. */
  #lastSentAt = -Infinity;
  /** The last step left pending DEKs waiting for that moment. */
  #holding = false;
  /** Sent confirmations whose receipts are awaited in the background: content ids by transaction hash. */
  readonly #inFlight = new Map<Hash, number>();

  protected override idleDelay(): number {
    const { idlePollMs, holdingsIntervalMs } = this.ctx.options;
    // With the pipeline full, the next receipt wakes the lane; no point polling before.
    if (!this.#holding || this.#inFlight.size >= MAX_HOLDINGS_IN_FLIGHT) return idlePollMs;
    return Math.min(idlePollMs, Math.max(1, this.#lastSentAt + holdingsIntervalMs - Date.now()));
  }

  /**
   * Held DEKs whose confirmation is not yet on chain, in the modes confirmed on chain, and held
   * threshold shares (a member confirms its share with the same call), oldest first.
   */
  async unconfirmed(limit: number): Promise<Unconfirmed[]> {
    const { store } = this.ctx;
    const [deks, shares] = await Promise.all([
      store.listUnconfirmed({ modes: CONFIRMED_ON_CHAIN_MODES, limit: limit + this.skipped.size }),
      store.listUnconfirmedShares(limit + this.skipped.size),
    ]);
    return [...deks, ...shares]
      .filter((info) => !this.skipped.has(info.contentId))
      .sort((a, b) => a.receivedAt - b.receivedAt)
      .slice(0, limit);
  }

  protected async step(): Promise<boolean> {
    const { options } = this.ctx;
    let inFlightIds = 0;
    for (const ids of this.#inFlight.values()) inFlightIds += ids;
    const rows = (await this.unconfirmed(options.holdingsBatchSize + inFlightIds)).filter(
      (row) => row.confirmation.state !== "submitted" || !this.#inFlight.has(row.confirmation.txHash),
    );
    this.#holding = false;
    if (rows.length === 0) return false;
    // Earlier transactions first: finish them if the node has them, else their ids go out again now.
    const resend: Hex[] = [];
    for (const [hash, ids] of groupSubmitted(rows)) {
      const status = await getTransactionStatus(this.ctx.clients, { hash });
      if (status.state !== "unknown" && (await this.#awaitConfirmed(ids, hash))) return true;
      resend.push(...ids);
    }
    const pending = rows.filter((row) => row.confirmation.state === "pending").map((row) => row.contentId);
    const now = Date.now();
    // Nagle's rule, per holdingsIntervalMs: a DEK stored when no confirmation went out for that
    // long is sent at once; the ones stored within it wait and share the next transaction. A
    // window opened by the first waiting DEK instead delayed every confirmation of a quiet node
    // by the whole interval — in bench:replication, often past the block it could have made.
    const due =
      resend.length > 0 || pending.length >= options.holdingsBatchSize || now - this.#lastSentAt >= options.holdingsIntervalMs || this.ctx.flushing();
    if (!due || (resend.length === 0 && this.#inFlight.size >= MAX_HOLDINGS_IN_FLIGHT)) {
      this.#holding = true;
      return false;
    }
    const ids = [...resend, ...pending].slice(0, options.holdingsBatchSize);
    this.#lastSentAt = now;
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
    this.#inFlight.set(hash, ids.length);
    void this.inBackground(
      this.#awaitConfirmed(ids, hash).then((confirmed) => {
        if (!confirmed) throw new ChainError("CHAIN_REVERTED", "the holder confirmation reverted on chain", { details: { hash, count: ids.length }, retryable: true });
      }),
      {
        onRetryable: (error) =>
          this.ctx.logger.warn("holdings: a confirmation's receipt wait failed; its rows are looked up again", { hash, ...errorFields(error) }),
        onSettled: () => this.#inFlight.delete(hash),
      },
    );
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

function groupSubmitted(rows: readonly Unconfirmed[]): Map<Hash, Hex[]> {
  const groups = new Map<Hash, Hex[]>();
  for (const row of rows) {
    if (row.confirmation.state !== "submitted") continue;
    const ids = groups.get(row.confirmation.txHash) ?? [];
    ids.push(row.contentId);
    groups.set(row.confirmation.txHash, ids);
  }
  return groups;
}
