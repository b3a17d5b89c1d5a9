/**
 * The two p2p protocols of replication, each a small service with start/stop (registering and
 * removing its handler), apart from the planner that decides what to pull:
 *
 *   /dekmesh/replicate/1.0.0  holder side: serves a content's DEK to an admitted puller (./holder.ts decides)
 *   /dekmesh/has/1.0.0        whether this node holds a content's DEK; `ask` is the client side
 */
import type { Hex } from "viem";
import { PROTOCOL_HAS, PROTOCOL_REPLICATE, validatorDialTarget, type P2pNode } from "../p2p/index.js";
import type { DekStore } from "../store/index.js";
import {
  MAX_HAS_ANSWER_BYTES,
  MAX_HAS_REQUEST_BYTES,
  MAX_INBOUND_PULLS,
  MAX_PULL_ANSWER_BYTES,
  MAX_PULL_REQUEST_BYTES,
} from "./constants.js";
import { ReplicationError } from "./errors.js";
import { servePull, type HolderComponents } from "./holder.js";
import { failureCode, type PullSource } from "./puller.js";
import { countRefusal, type ReplicationContext } from "./types.js";
import { decodeContentRequest, decodeHasAnswer, encodeContentRequest, encodeHasAnswer } from "./wire.js";

export class ReplicateProtocol {
  readonly #ctx: ReplicationContext;
  readonly #holder: HolderComponents;

  constructor(ctx: ReplicationContext, holder: HolderComponents) {
    this.#ctx = ctx;
    this.#holder = holder;
  }

  async start(): Promise<void> {
    await this.#ctx.components.p2p.handle(PROTOCOL_REPLICATE, (request, { peer, signal }) => this.#serve(request, peer, signal), {
      maxRequestBytes: MAX_PULL_REQUEST_BYTES,
      maxResponseBytes: MAX_PULL_ANSWER_BYTES,
      maxInboundStreams: MAX_INBOUND_PULLS,
    });
  }

  async stop(): Promise<void> {
    await this.#ctx.components.p2p.unhandle(PROTOCOL_REPLICATE).catch(() => {});
  }

  async #serve(request: Uint8Array, peer: string, signal: AbortSignal): Promise<Uint8Array> {
    try {
      const served = await servePull(this.#holder, request, peer, signal);
      this.#ctx.stats.served++;
      this.#ctx.logger.debug("served a DEK pull", { contentId: served.contentId, puller: served.puller });
      return served.envelope;
    } catch (error) {
      const code = failureCode(error);
      countRefusal(this.#ctx.stats, code);
      // "Not yet" (the DEK, fresh indexed state) is routine and the puller retries with back-off,
      // logging it once: here it is only counted (replication_refusals), or it would be a line per request.
      const routine = error instanceof ReplicationError && error.retryable;
      this.#ctx.logger[routine ? "debug" : "info"]("refused a DEK pull", { peer, error: code });
      throw error;
    }
  }
}

export class HasProtocol {
  readonly #p2p: Pick<P2pNode, "handle" | "unhandle" | "request">;
  readonly #store: Pick<DekStore, "hasDek">;

  constructor(p2p: Pick<P2pNode, "handle" | "unhandle" | "request">, store: Pick<DekStore, "hasDek">) {
    this.#p2p = p2p;
    this.#store = store;
  }

  async start(): Promise<void> {
    await this.#p2p.handle(PROTOCOL_HAS, (request) => {
      const contentId = decodeContentRequest(request);
      return encodeHasAnswer(contentId, this.#store.hasDek(contentId));
    }, { maxRequestBytes: MAX_HAS_REQUEST_BYTES, maxResponseBytes: MAX_HAS_ANSWER_BYTES });
  }

  async stop(): Promise<void> {
    await this.#p2p.unhandle(PROTOCOL_HAS).catch(() => {});
  }

  /** Whether `peer` holds the content's DEK. */
  async ask(peer: PullSource, contentId: Hex, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const answer = await this.#p2p.request(validatorDialTarget(peer), PROTOCOL_HAS, encodeContentRequest(contentId), { signal: options.signal, maxResponseBytes: MAX_HAS_ANSWER_BYTES });
    return decodeHasAnswer(answer, contentId.toLowerCase() as Hex);
  }
}
