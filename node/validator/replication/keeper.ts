/**
 * Where every DEK this node obtains (derived, pulled or recovered) lands: stored durably, then
 * confirmed — a holder confirmation on chain for stake/explicit (the TxSubmitter sends it), a
 * DHT provider record for xor/all.
 */
import type { Hex } from "viem";
import type { DhtSeed } from "../p2p/options.js";
import type { DekSource } from "../store/index.js";
import { invalidArgument } from "../store/codec.js";
import { Backoff } from "./backoff.js";
import { RETRY_BASE_MS, RETRY_MAX_MS } from "./constants.js";
import { failureCode } from "./puller.js";
import type { ReplicationContext, StoredContent } from "./types.js";

/** What a provide that returned without error but reached no DHT peer is logged (and backed off) as. */
const NO_PEER_REACHED = "NO_PEER_REACHED";
/** A p2p node that is stopping or stopped ends the retries of the provides it refuses. */
const STOPPED = new Set(["P2P_NOT_STARTED", "P2P_ABORTED"]);

export class DekKeeper {
  readonly #ctx: ReplicationContext;
  /** xor/all contents announced in the DHT since this node started, or being announced. */
  readonly #provided = new Set<Hex>();
  /** Announcements that reached no DHT peer: when to try again. */
  readonly #provideRetries = new Backoff({ baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS });
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

  /** Announces an xor/all DEK in the DHT, once per run (retried until a DHT peer took the record). */
  provide(contentId: Hex): void {
    if (this.#provided.has(contentId)) return;
    this.#provided.add(contentId);
    void this.#announce(contentId);
  }

  /**
   * One attempt. One that reached no DHT peer (a node that met no other validator yet, or
   * whose DHT peers are all gone) is tried again with backoff: kad-dht keeps the record locally
   * but republishes it only when it nears expiry, a day later, and until then nobody finds this
   * holder. A node with no DHT peer connected joins the DHT through the active validators.
   */
  async #announce(contentId: Hex): Promise<void> {
    const { components, stats, logger, clock } = this.#ctx;
    let cause = NO_PEER_REACHED;
    try {
      if ((await components.p2p.provide(contentId, { seeds: () => this.#activeValidators() })) > 0) {
        stats.provided++;
        this.#provideRetries.succeeded(contentId);
        return;
      }
    } catch (error) {
      cause = failureCode(error);
      if (STOPPED.has(cause)) return;
    }
    const { failures, delayMs, newCause } = this.#provideRetries.failed(contentId, clock(), cause);
    const fields = { contentId, error: cause, failures, retryInMs: delayMs };
    if (newCause) logger.info("provide reached no DHT peer; trying again", fields);
    else logger.debug("provide reached no DHT peer; trying again", fields);
    setTimeout(() => void this.#announce(contentId), delayMs).unref();
  }

  async #activeValidators(): Promise<readonly DhtSeed[]> {
    return (await this.#ctx.components.indexer.activeValidators()).validators;
  }
}
