/**
 * A replica set member's way to a DEK: pull it from a holder over /dekmesh/replicate/1.0.0
 * (./puller.ts checks the envelope), at most `concurrency` contents at once. A failed pull is
 * tried again after a back-off (./backoff.ts) that a change of the content's holders or replica
 * set ends, and is logged once per cause.
 */
import type { Address, Hex } from "viem";
import { ReplayGuard } from "../../crypto/envelopes/index.js";
import type { ReplicationContent, ReplicationPeer } from "../../indexer-client/index.js";
import { shuffle } from "../../protocol/shuffle.js";
import { P2pRemoteError } from "../p2p/index.js";
import { MAX_PULL_ATTEMPTS } from "./constants.js";
import { ReplicationError } from "./errors.js";
import type { DekKeeper } from "./keeper.js";
import { acceptEnvelope, failureCode, requestEnvelope } from "./puller.js";
import { countRefusal, type ReplicationContext } from "./types.js";

/** What a retry of the content's pull works with: a new holder or member makes it a new attempt. */
export function pullSituation(content: ReplicationContent): string {
  return `${content.holders.join()}|${content.replicaSet.join()}`;
}

export class Pulls {
  readonly #ctx: ReplicationContext;
  readonly #keeper: DekKeeper;
  readonly #replayGuard = new ReplayGuard();
  readonly #inFlight = new Map<Hex, Promise<void>>();

  constructor(ctx: ReplicationContext, keeper: DekKeeper) {
    this.#ctx = ctx;
    this.#keeper = keeper;
  }

  /** Pulls under way. */
  get size(): number {
    return this.#inFlight.size;
  }

  has(contentId: Hex): boolean {
    return this.#inFlight.has(contentId);
  }

  /** Starts pulling `content`; a failure holds it back (./backoff.ts), the end of either wakes the planner. */
  start(content: ReplicationContent, peers: ReplicationPeer[], signal: AbortSignal): void {
    const id = content.contentId;
    const pull = this.#pull(content, peers, signal)
      .then(
        () => this.#ctx.retries.succeeded(id),
        (error) => {
          this.#ctx.stats.pullFailures++;
          const code = failureCode(error);
          const failure = this.#ctx.retries.failed(id, this.#ctx.clock(), code, pullSituation(content));
          this.#ctx.logger[failure.newCause ? "info" : "debug"]("pull failed", { contentId: id, error: code, failures: failure.failures, retryInMs: failure.delayMs });
        },
      )
      .finally(() => {
        this.#inFlight.delete(id);
        this.#ctx.wake();
      });
    this.#inFlight.set(id, pull);
  }

  /** Resolves when the pulls under way have ended. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#inFlight.values());
  }

  /**
   * Tries the sources (confirmed holders first, then the initial validator, then other members)
   * and stores the first good DEK. For xor/all, whose holdings leave no record on chain, the
   * DHT's provider records come last: they name holders outside the set (a recovered DEK, a
   * former member) that no list above does.
   */
  async #pull(content: ReplicationContent, peers: ReplicationPeer[], signal: AbortSignal): Promise<void> {
    const byNode = new Map(peers.map((p) => [p.node, p]));
    const ranked: Address[] = [];
    const add = (list: readonly (Address | null)[]) => {
      for (const node of shuffle([...list])) if (node !== null && node !== this.#ctx.me && !ranked.includes(node) && byNode.has(node)) ranked.push(node);
    };
    add(content.holders);
    add([content.initialValidator]);
    add(content.replicaSet);
    let lastError: unknown = new ReplicationError("REPLICATION_NOT_HOLDER", "no source holds the DEK yet");
    const tried = new Set<Address>();
    const pullFrom = async (source: ReplicationPeer): Promise<boolean> => {
      tried.add(source.node);
      try {
        await this.#pullFrom(content, source, signal);
        return true;
      } catch (error) {
        lastError = error;
        return false;
      }
    };
    for (const node of ranked.slice(0, MAX_PULL_ATTEMPTS + 2)) {
      if (signal.aborted) return;
      if (await pullFrom(byNode.get(node)!)) return;
    }
    if (content.mode === "xor" || content.mode === "all") {
      for (const source of await this.#providers(content.contentId, peers, tried, signal)) {
        if (signal.aborted) return;
        if (await pullFrom(source)) {
          this.#ctx.stats.pulledFromProviders++;
          return;
        }
      }
    }
    throw lastError;
  }

  /** One source: asks it, checks its envelope and stores the DEK; throws (and counts a refusal) if it did not deliver. */
  async #pullFrom(content: ReplicationContent, source: ReplicationPeer, signal: AbortSignal): Promise<void> {
    const { components, me, clock } = this.#ctx;
    try {
      const envelope = await requestEnvelope(components.p2p, source, content.contentId, { signal, timeoutMs: this.#ctx.options.pullTimeoutMs });
      const dek = acceptEnvelope({
        envelope,
        contentId: content.contentId,
        source: source.node,
        recipient: me,
        keyring: components.store.kasKeyRing(),
        header: content.header,
        policyId: content.policyId,
        replayGuard: this.#replayGuard,
        now: BigInt(Math.floor(clock() / 1000)),
      });
      await this.#keeper.store(content, dek, "replicated");
      this.#ctx.stats.pulled++;
    } catch (error) {
      const code = failureCode(error);
      if (error instanceof P2pRemoteError || error instanceof ReplicationError) countRefusal(this.#ctx.stats, code);
      this.#ctx.logger.debug("source did not deliver", { contentId: content.contentId, source: source.node, error: code });
      throw error;
    }
  }

  /** Active validators other than this node and `tried` that announced `contentId` in the DHT; none if the lookup fails. */
  async #providers(contentId: Hex, peers: readonly ReplicationPeer[], tried: ReadonlySet<Address>, signal: AbortSignal): Promise<ReplicationPeer[]> {
    const active = peers.filter((p) => p.status === "active");
    const byPeerId = new Map(active.map((p) => [p.peerId, p]));
    try {
      const providers = await this.#ctx.components.p2p.findProviders(contentId, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#ctx.options.pullTimeoutMs)]),
        limit: MAX_PULL_ATTEMPTS,
        // A node that has met no validator yet joins the DHT through the active set (p2p/dht.ts).
        seeds: async () => active.filter((p) => p.node !== this.#ctx.me),
      });
      return providers.flatMap((provider) => {
        const peer = byPeerId.get(provider.peerId);
        return peer !== undefined && peer.node !== this.#ctx.me && !tried.has(peer.node) ? [peer] : [];
      });
    } catch (error) {
      this.#ctx.logger.debug("provider lookup failed", { contentId, error: failureCode(error) });
      return [];
    }
  }
}
