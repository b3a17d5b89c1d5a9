/**
 * Where every DEK this node obtains (derived, pulled or recovered) lands: stored durably, then
 * confirmed — a holder confirmation on chain for stake/explicit (the TxSubmitter sends it), a
 * DHT provider record for xor/all.
 */
import type { Hex } from "viem";
import type { DekSource } from "../store/index.js";
import { invalidArgument } from "../store/codec.js";
import { failureCode } from "./puller.js";
import type { ReplicationContext, StoredContent } from "./types.js";

export class DekKeeper {
  readonly #ctx: ReplicationContext;
  /** xor/all contents announced in the DHT since this node started. */
  readonly #provided = new Set<Hex>();
  readonly #listeners: ((contentId: Hex) => void)[] = [];

  constructor(ctx: ReplicationContext) {
    this.#ctx = ctx;
  }

  isProvided(contentId: Hex): boolean {
    return this.#provided.has(contentId);
  }

  /** Called with a content id each time a DEK was stored durably. */
  onStored(listener: (contentId: Hex) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Durable first, then confirmed: the store's promise resolves once the DEK is on disk. False if
   * that DEK was already stored (its confirmation is then re-announced, which costs nothing).
   */
  async store(content: StoredContent, dek: Uint8Array, source: DekSource): Promise<boolean> {
    const { mode } = content;
    if (mode === "threshold") throw invalidArgument("mode", "a threshold content has no DEK to store", { contentId: content.contentId });
    const added = await this.#ctx.components.store.putDek(content.contentId, dek, { policyId: content.policyId, mode, source });
    if (mode === "stake" || mode === "explicit") this.#ctx.components.notifyHoldings();
    else this.provide(content.contentId);
    for (const listener of this.#listeners) listener(content.contentId);
    return added;
  }

  /** Announces an xor/all DEK in the DHT, once per run. */
  provide(contentId: Hex): void {
    if (this.#provided.has(contentId)) return;
    this.#provided.add(contentId);
    this.#ctx.components.p2p
      .provide(contentId)
      .then(() => this.#ctx.stats.provided++)
      .catch((error) => {
        // The local record stays and kad-dht republishes it; a lone node simply has no peers yet.
        this.#ctx.logger.debug("provide did not reach DHT peers", { contentId, error: failureCode(error) });
      });
  }
}
