/**
 * Forward-if-not-have (docs/architecture.md#rewrap-and-forwarding). A validator that passed every check but lacks the DEK asks the
 * indexer who holds it and sends the signed request, unchanged, to one holder over
 * `/dekmesh/rewrap/1.0.0`, failing over to the next. The holder runs its own checks, wraps the
 * DEK to the client's key and writes its own audit record; the forwarder relays an envelope it
 * cannot open. A forwarded request carries hop 1 and is never forwarded again.
 *
 * Holders are tried strongest claim first (confirmed, initial, assigned, computed), in random
 * order within a rank to spread load. A holder's refusal that another holder would repeat
 * (signature, expiry, access, …) is relayed at once; "not holder", "stale", "unavailable" and
 * transport failures move on to the next holder. A bulk request goes to each holder at most
 * once, with the indices that holder should serve.
 *
 * Should every holder the indexer names fail, a single request then goes to the validators that
 * announced the DEK in the DHT (provider records, at most `maxAttempts`; the peer gate admits
 * active validators only): a holder outside the replica set — re-seeded by its publisher, or a
 * former member — is on no list the indexer keeps, since xor/all holdings leave nothing on
 * chain. Bulk requests use the indexer's holders only: a DHT lookup per content would cost up
 * to 1,000 queries.
 */
import type { Holder } from "../../indexer-client/index.js";
import { P2pRemoteError, PROTOCOL_REWRAP, validatorDialTarget } from "../p2p/index.js";
import { ACCESS_REASONS, type AccessReason } from "../../protocol/accessReasons.js";
import { FORWARDED_HOP, MAX_BULK_ANSWER_BYTES } from "../../protocol/rewrap/constants.js";
import { isRetryableCode, isRewrapErrorCode, RewrapError, type RewrapErrorCode } from "../../protocol/rewrap/errors.js";
import type { RewrapIndexer, RewrapP2p } from "./options.js";
import { toRewrapError } from "./refusal.js";
import type {
  BulkItem,
  BulkRefusal,
  Hex,
  RewrapAnswer,
  SignedRewrapBulkRequest,
  SignedRewrapRequest,
} from "../../protocol/rewrap/types.js";
import { bulkRequestToJson, decodeBulkAnswer, decodeRewrapAnswer, rewrapRequestToJson } from "../../protocol/rewrap/wire.js";
import type { Logger } from "../../protocol/logger.js";
import { shuffle } from "../../protocol/shuffle.js";

const encoder = new TextEncoder();
const STATE_RANK: Record<Holder["state"], number> = { confirmed: 0, initial: 1, assigned: 2, computed: 3 };

/** Whom a forward can go to: a holder from the indexer or an active validator found in the DHT. */
type DialablePeer = { peerId: string; multiaddrs: readonly string[] };

export interface ForwarderComponents {
  p2p: RewrapP2p;
  indexer: RewrapIndexer;
  logger: Logger;
}

export interface ForwarderOptions {
  maxAttempts: number;
  timeoutMs: number;
}

/** A refusal from a holder that any other holder would give too: relay it instead of failing over. */
function definitiveRefusal(error: unknown): RewrapError | undefined {
  if (!(error instanceof P2pRemoteError) || !isRewrapErrorCode(error.code)) return undefined;
  const code: RewrapErrorCode = error.code;
  if (isRetryableCode(code) || code === "REWRAP_INTERNAL") return undefined;
  const reason = error.details.reason;
  const known = typeof reason === "string" && (ACCESS_REASONS as readonly string[]).includes(reason);
  return new RewrapError(code, known ? { reason: reason as AccessReason } : {});
}


export class Forwarder {
  readonly #p2p: RewrapP2p;
  readonly #indexer: RewrapIndexer;
  readonly #logger: Logger;
  readonly #options: ForwarderOptions;
  readonly #stats = { viaProviders: 0 };

  constructor(components: ForwarderComponents, options: ForwarderOptions) {
    this.#p2p = components.p2p;
    this.#indexer = components.indexer;
    this.#logger = components.logger;
    this.#options = options;
  }

  /** Holders other than this node, strongest claim first, shuffled within a claim. */
  async candidates(contentId: Hex, signal?: AbortSignal): Promise<Holder[]> {
    const { holders } = await this.#indexer.holders(contentId, { signal });
    const self = this.#p2p.peerId;
    const others = holders.filter((h) => h.peerId !== self && h.peerId !== "");
    const byRank = new Map<number, Holder[]>();
    for (const holder of others) {
      const rank = STATE_RANK[holder.state];
      const list = byRank.get(rank);
      if (list) list.push(holder);
      else byRank.set(rank, [holder]);
    }
    return [...byRank.keys()].sort((a, b) => a - b).flatMap((rank) => shuffle(byRank.get(rank)!));
  }

  /** Forwards a single request; the answer is checked to be about this request before relaying. */
  async forward(signed: SignedRewrapRequest, requestDigest: Hex, signal?: AbortSignal): Promise<RewrapAnswer> {
    const contentId = signed.request.contentId;
    const holders = (await this.candidates(contentId, signal)).slice(0, this.#options.maxAttempts);
    const payload = encoder.encode(JSON.stringify({ hop: FORWARDED_HOP, rewrap: rewrapRequestToJson(signed) }));
    const tried = new Set<string>();
    const attempt = async (holder: DialablePeer): Promise<RewrapAnswer | undefined> => {
      tried.add(holder.peerId);
      try {
        const bytes = await this.#p2p.request(validatorDialTarget(holder), PROTOCOL_REWRAP, payload, { signal, timeoutMs: this.#options.timeoutMs });
        const answer = decodeRewrapAnswer(bytes);
        if (answer.contentId === contentId && answer.requestDigest === requestDigest) return answer;
        this.#logger.warn("holder answered another request", { peer: holder.peerId });
      } catch (error) {
        if (signal?.aborted) throw new RewrapError("REWRAP_UNAVAILABLE", { cause: error });
        const relayed = definitiveRefusal(error);
        if (relayed !== undefined) throw relayed;
        this.#logger.debug("forward to holder failed; trying the next", { peer: holder.peerId, code: codeOf(error) });
      }
      return undefined;
    };
    for (const holder of holders) {
      const answer = await attempt(holder);
      if (answer !== undefined) return answer;
    }
    for (const provider of await this.#providers(contentId, tried, signal)) {
      const answer = await attempt(provider);
      if (answer !== undefined) {
        this.#stats.viaProviders++;
        return answer;
      }
    }
    throw new RewrapError(tried.size === 0 ? "REWRAP_NOT_HOLDER" : "REWRAP_FORWARD_FAILED");
  }

  /** Single requests answered by a validator found through its DHT provider record. */
  get forwardedViaProviders(): number {
    return this.#stats.viaProviders;
  }

  /**
   * Validators other than this node and `tried` that announced `contentId` in the DHT; none if
   * the lookup fails. findProviders already leaves out peers the gate refuses (not active).
   */
  async #providers(contentId: Hex, tried: ReadonlySet<string>, signal: AbortSignal | undefined): Promise<DialablePeer[]> {
    try {
      const lookup = AbortSignal.timeout(this.#options.timeoutMs);
      const providers = await this.#p2p.findProviders(contentId, {
        signal: signal === undefined ? lookup : AbortSignal.any([signal, lookup]),
        limit: this.#options.maxAttempts,
      });
      return providers
        .filter((provider) => provider.peerId !== this.#p2p.peerId && !tried.has(provider.peerId))
        .map((provider) => ({ peerId: provider.peerId, multiaddrs: provider.multiaddrs.map(String) }));
    } catch (error) {
      if (signal?.aborted) throw new RewrapError("REWRAP_UNAVAILABLE", { cause: error });
      this.#logger.debug("provider lookup failed", { contentId, code: codeOf(error) });
      return [];
    }
  }

  /**
   * Forwards the contents at `indices` of a bulk request. Returns a result for each index:
   * an envelope from some holder, a holder's refusal, or NOT_HOLDER / FORWARD_FAILED.
   */
  async forwardBulk(signed: SignedRewrapBulkRequest, indices: readonly number[], signal?: AbortSignal): Promise<Map<number, BulkItem>> {
    const ids = signed.request.contentIds;
    const results = new Map<number, BulkItem>();
    const refuse = (i: number, error: BulkRefusal) => results.set(i, { contentId: ids[i]!, error });

    const candidates = new Map<number, Holder[]>();
    await Promise.all(
      indices.map(async (i) => {
        try {
          candidates.set(i, await this.candidates(ids[i]!, signal));
        } catch (error) {
          refuse(i, { code: toRewrapError(error).code });
        }
      }),
    );

    const request = bulkRequestToJson(signed);
    const contacted = new Set<string>();
    const attempted = new Set<number>();
    let pending = indices.filter((i) => !results.has(i));
    for (let round = 0; round < this.#options.maxAttempts && pending.length > 0; round++) {
      const groups = new Map<string, { holder: Holder; indices: number[] }>();
      for (const i of pending) {
        const holder = candidates.get(i)!.find((h) => !contacted.has(h.peerId));
        if (holder === undefined) continue;
        attempted.add(i);
        const group = groups.get(holder.peerId);
        if (group) group.indices.push(i);
        else groups.set(holder.peerId, { holder, indices: [i] });
      }
      if (groups.size === 0) break;
      await Promise.all(
        [...groups.values()].map(async ({ holder, indices: only }) => {
          contacted.add(holder.peerId);
          try {
            const payload = encoder.encode(JSON.stringify({ hop: FORWARDED_HOP, bulk: request, only }));
            const bytes = await this.#p2p.request(validatorDialTarget(holder), PROTOCOL_REWRAP, payload, {
              signal,
              timeoutMs: this.#options.timeoutMs,
              maxResponseBytes: MAX_BULK_ANSWER_BYTES,
            });
            const answer = decodeBulkAnswer(bytes, MAX_BULK_ANSWER_BYTES);
            if (answer.results.length !== only.length) throw new RewrapError("REWRAP_MALFORMED");
            answer.results.forEach((item, k) => {
              const i = only[k]!;
              if (item.contentId !== ids[i]) throw new RewrapError("REWRAP_MALFORMED");
              // Another holder may have it: leave NOT_HOLDER (and other retryable refusals) pending.
              if ("error" in item && (isRetryableCode(item.error.code) || item.error.code === "REWRAP_INTERNAL")) return;
              results.set(i, item);
            });
          } catch (error) {
            const relayed = definitiveRefusal(error);
            if (relayed !== undefined) {
              for (const i of only) refuse(i, { code: relayed.code, ...(relayed.reason ? { reason: relayed.reason } : {}) });
              return;
            }
            this.#logger.debug("bulk forward to holder failed", { peer: holder.peerId, code: codeOf(error) });
          }
        }),
      );
      if (signal?.aborted) break;
      pending = pending.filter((i) => !results.has(i));
    }
    for (const i of indices) {
      if (!results.has(i)) refuse(i, { code: attempted.has(i) ? "REWRAP_FORWARD_FAILED" : "REWRAP_NOT_HOLDER" });
    }
    return results;
  }
}

function codeOf(error: unknown): string {
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : "unknown";
}
