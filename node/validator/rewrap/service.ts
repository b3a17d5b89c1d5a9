/**
 * The rewrap service (docs/architecture.md#rewrap-and-forwarding): checks a signed request in the specified order and answers with
 * the DEK wrapped to the reader's key, after the audit record is durable.
 *
 *   1. shape, freshness (expiry in (now, now + maxRequestLifetimeS]), signature
 *   2. replay: the (account, nonce) pair is new (store.nonceSeen)
 *   3. content registered, 4. policy allows the account now (indexer, bounded staleness);
 *      only then is the pair recorded (store.rememberNonce, atomic: a concurrent copy is
 *      refused as a replay), so refused requests take no slot of the replay table
 *   5. this node holds the DEK — else forward to a holder (never for a forwarded request)
 *   6. wrap (fresh P-256 key, ECDH, HKDF, AES-GCM), 7. append the audit record with the signed
 *      request as its evidence (docs/accountability.md), await it, answer
 *
 * Freshness is checked before the signature because it is free and the signature is not.
 * When 3–5 are predicted to pass from memory alone, the wrap of 6 rides in the signature's
 * crypto trip (#wrapAhead); its envelope is used only once the checks have passed in order.
 * Every refusal is a RewrapError with a stable code. The HTTP layer calls `rewrap`,
 * `rewrapBulk`, `rewrapShare` (a threshold member's share, ./share.ts) and `registerSession`
 * with requests decoded by `wire.ts` (requests built in code
 * meet the same shape rules, protocol/rewrap/shape.ts); the bulk path is ./bulk.ts; the p2p
 * handler for forwarded requests is registered by `start()`.
 */
import { linkSignals, type LinkedSignal } from "../../protocol/abort.js";
import { PROTOCOL_REWRAP, type RequestContext } from "../p2p/index.js";
import { RequestAuthenticator } from "./auth.js";
import { envelopeOf, InlineRewrapCrypto, type WrapInput, type WrapOutcome } from "./crypto.js";
import { WorkerRewrapCrypto } from "./crypto-pool.js";
import { FORWARDED_HOP, MAX_BULK_ANSWER_BYTES, MAX_BULK_REQUEST_BYTES } from "../../protocol/rewrap/constants.js";
import { bytesToHex } from "viem";
import { RewrapHasher } from "../../crypto/keys/eip712.js";
import { RewrapError, type RewrapErrorCode } from "../../protocol/rewrap/errors.js";
import { assertRewrapRequestShape, assertSessionGrantShape } from "../../protocol/rewrap/shape.js";
import { serveBulk, verifyBulk, type VerifiedBulk } from "./bulk.js";
import { assertAllowed, assertFresh, assertUnseen, nowS, refused, rememberNonce, reportMissing, servableDek, withEvidence, type RewrapContext } from "./context.js";
import { evidenceOfRequest } from "../../protocol/auditEvidence.js";
import { Forwarder } from "./forward.js";
import { serveShare } from "./share.js";
import {
  resolveOptions,
  type ResolvedRewrapServiceOptions,
  type RewrapServiceComponents,
  type RewrapServiceOptions,
} from "./options.js";
import type {
  Address,
  RequestAuth,
  RewrapAnswer,
  RewrapBulkAnswer,
  SessionInfo,
  ShareRewrapAnswer,
  SignedRewrapBulkRequest,
  SignedRewrapRequest,
  SignedSessionGrant,
} from "../../protocol/rewrap/types.js";
import {
  bulkRequestFromJson,
  encodeBulkAnswer,
  encodeRewrapAnswer,
  parseJsonObject,
  rewrapRequestFromJson,
} from "../../protocol/rewrap/wire.js";
import { silentLogger, type Logger } from "../../protocol/logger.js";

export interface RewrapCallOptions {
  signal?: AbortSignal;
}

export interface RewrapServiceStats {
  /** Rewraps this node performed (each has an audit record). */
  served: number;
  /** Threshold share answers this node served (each has an audit record). */
  sharesServed: number;
  /** Rewraps another holder performed for requests sent here. */
  forwarded: number;
  /** Of those, single requests answered by a holder found through its DHT provider record. */
  forwardedViaProviders: number;
  /** Requests (or bulk items) refused, by code. */
  refused: Partial<Record<RewrapErrorCode, number>>;
  /** Forwarded requests this node received from peers. */
  inboundForwards: number;
  /** secp256k1 recoveries spent on session grants. */
  grantRecoveries: number;
  /** Wraps done ahead of the checks after the signature (see #wrapAhead) that those checks then refused. */
  discardedWraps: number;
}

interface InternalOptions extends RewrapCallOptions {
  /** Arrived from a peer: serve from the local store or refuse; never forward again. */
  forwarded?: boolean;
  /** Bulk only: serve just these indices (a forwarder's share for this holder). */
  only?: readonly number[];
}

const encoder = new TextEncoder();

export class RewrapService {
  readonly options: ResolvedRewrapServiceOptions;
  readonly hasher: RewrapHasher;
  readonly #ctx: RewrapContext;
  readonly #ownsCrypto: boolean;
  readonly #shutdown = new AbortController();
  #state: "new" | "started" | "stopped" = "new";

  constructor(components: RewrapServiceComponents, options: RewrapServiceOptions = {}) {
    this.options = resolveOptions(options);
    const logger = components.logger ?? silentLogger;
    this.hasher = new RewrapHasher({ chainId: BigInt(components.chainId), verifyingContract: components.auditLog });
    this.#ownsCrypto = components.crypto === undefined;
    const workers = this.options.cryptoWorkers;
    const crypto = components.crypto ?? (workers > 0 ? new WorkerRewrapCrypto(workers) : new InlineRewrapCrypto());
    this.#ctx = {
      components,
      options: this.options,
      hasher: this.hasher,
      auth: new RequestAuthenticator(this.hasher, crypto, {
        maxSessionLifetimeS: this.options.maxSessionLifetimeS,
        sessionCacheSize: this.options.sessionCacheSize,
      }),
      crypto,
      forwarder:
        components.p2p === undefined
          ? undefined
          : new Forwarder(
              { p2p: components.p2p, indexer: components.indexer, logger },
              { maxAttempts: this.options.maxForwardAttempts, timeoutMs: this.options.forwardTimeoutMs },
            ),
      logger,
      clock: components.clock ?? Date.now,
      stats: { served: 0, sharesServed: 0, forwarded: 0, inboundForwards: 0, discardedWraps: 0, refused: {} },
    };
  }

  /** Registers the forwarded-rewrap handler on the p2p node (if any). */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "started";
    await this.#ctx.components.p2p?.handle(PROTOCOL_REWRAP, (request, context) => this.#handleForwarded(request, context), {
      maxRequestBytes: MAX_BULK_REQUEST_BYTES + 1024,
      maxResponseBytes: MAX_BULK_ANSWER_BYTES,
      timeoutMs: this.options.forwardTimeoutMs,
      maxInboundStreams: this.options.maxInboundForwards,
    });
  }

  /** Unregisters the handler and aborts in-flight indexer reads and forwards. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const wasStarted = this.#state === "started";
    this.#state = "stopped";
    this.#shutdown.abort();
    if (wasStarted) await this.#ctx.components.p2p?.unhandle(PROTOCOL_REWRAP).catch(() => {});
    if (this.#ownsCrypto) await this.#ctx.crypto.close();
  }

  stats(): RewrapServiceStats {
    const { stats, auth, forwarder } = this.#ctx;
    return {
      ...stats,
      refused: { ...stats.refused },
      grantRecoveries: auth.grantRecoveries,
      forwardedViaProviders: forwarder?.forwardedViaProviders ?? 0,
    };
  }

  // ------------------------------------------------------------------ public calls

  /** Verifies a session grant once, so the session's requests cost no secp256k1 work. */
  async registerSession(grant: SignedSessionGrant): Promise<SessionInfo> {
    try {
      this.#assertRunning();
      assertSessionGrantShape(grant);
      return await this.#ctx.auth.session(grant, nowS(this.#ctx));
    } catch (error) {
      throw refused(this.#ctx, error);
    }
  }

  /** One content's DEK wrapped to the request's client key, or a RewrapError. */
  async rewrap(signed: SignedRewrapRequest, options: RewrapCallOptions = {}): Promise<RewrapAnswer> {
    return this.#rewrap(signed, options);
  }

  /**
   * Up to 1,000 contents under one signature and one nonce. A RewrapError for the request as a
   * whole (shape, signature, freshness, replay); otherwise one result per content, in order.
   */
  async rewrapBulk(signed: SignedRewrapBulkRequest, options: RewrapCallOptions = {}): Promise<RewrapBulkAnswer> {
    return this.#rewrapBulk(signed, options);
  }

  /**
   * A threshold member's share of the content wrapped to the request's client key and signed
   * (./share.ts): the rewrap checks, one audit record, no forwarding.
   */
  async rewrapShare(signed: SignedRewrapRequest, options: RewrapCallOptions = {}): Promise<ShareRewrapAnswer> {
    const link = this.#signal(options.signal);
    try {
      this.#assertRunning();
      return await serveShare(withEvidence(this.#ctx, signed), signed, link.signal);
    } catch (error) {
      throw refused(this.#ctx, error);
    } finally {
      link.release();
    }
  }

  // ------------------------------------------------------------------ single

  async #rewrap(signed: SignedRewrapRequest, options: InternalOptions): Promise<RewrapAnswer> {
    const ctx = this.#ctx;
    let wrappedAhead: WrapOutcome | undefined;
    let link: LinkedSignal | undefined;
    try {
      this.#assertRunning();
      const { request, auth } = signed;
      assertRewrapRequestShape(signed);
      const now = nowS(ctx);
      assertFresh(ctx, request.expiry, now);
      const digest = this.hasher.request(request);
      const ahead = this.#wrapAhead(request, auth, digest, now);
      let account: Address;
      try {
        ({ account, wrapped: wrappedAhead } = await ctx.auth.verify(digest, auth, now, ahead));
      } finally {
        ahead?.dek.fill(0);
      }
      // A wrap done ahead was predicted from an unused nonce (#wrapAhead read it just before):
      // no second read; recording it below still refuses a copy that got there first.
      if (ahead === undefined) assertUnseen(ctx, account, request.nonce);
      link = this.#signal(options.signal);
      const { signal } = link;
      const decision = await ctx.components.access.access(request.contentId, account, { signal });
      assertAllowed(decision);
      rememberNonce(ctx, account, request.nonce, request.expiry);

      const store = ctx.components.store;
      let envelope: Uint8Array;
      if (wrappedAhead !== undefined) {
        const outcome = wrappedAhead;
        wrappedAhead = undefined;
        envelope = envelopeOf(outcome);
      } else {
        const dek = servableDek(ctx, request.contentId);
        if (dek === undefined) {
          reportMissing(ctx, request.contentId);
          if (options.forwarded || ctx.forwarder === undefined) throw new RewrapError("REWRAP_NOT_HOLDER");
          const answer = await ctx.forwarder.forward(signed, bytesToHex(digest), signal);
          ctx.stats.forwarded++;
          return answer;
        }
        try {
          envelope = await ctx.crypto.wrap(dek, request.clientPublicKey, digest);
        } finally {
          dek.fill(0);
        }
      }
      await store.appendAudit({ contentId: request.contentId, requester: account, requestDigest: digest, servedAt: now }, evidenceOfRequest(signed));
      ctx.stats.served++;
      return { contentId: request.contentId, requestDigest: bytesToHex(digest), envelope };
    } catch (error) {
      if (wrappedAhead !== undefined) ctx.stats.discardedWraps++;
      throw refused(ctx, error);
    } finally {
      link?.release();
    }
  }

  /**
   * The wrap to do in the signature check's crypto trip (one trip instead of two), when every
   * check after the signature is predicted to pass from what is already in memory: the account
   * is known (named by the request, or a session grant verified before), its nonce is unused,
   * the cached access decision allows it, and the DEK is here. The checks still run, in order,
   * once the signature holds; the envelope is used only if they pass. The worker wraps only
   * after the signature holds, and predicting reads neither the indexer nor the network, so a
   * forged or replayed request costs no more than without it.
   */
  #wrapAhead(request: SignedRewrapRequest["request"], auth: RequestAuth, digest: Uint8Array, now: number): WrapInput | undefined {
    const account = this.#ctx.auth.knownAccount(auth, now);
    if (account === undefined) return undefined;
    const { store, access } = this.#ctx.components;
    if (store.nonceSeen(account, request.nonce)) return undefined;
    if (access.cachedAccess(request.contentId, account)?.allowed !== true) return undefined;
    const dek = servableDek(this.#ctx, request.contentId);
    return dek === undefined ? undefined : { dek, clientPublicKey: request.clientPublicKey, requestDigest: digest };
  }

  // ------------------------------------------------------------------ bulk (./bulk.ts)

  async #rewrapBulk(signed: SignedRewrapBulkRequest, options: InternalOptions): Promise<RewrapBulkAnswer> {
    let verified: VerifiedBulk;
    try {
      this.#assertRunning();
      verified = await verifyBulk(this.#ctx, signed, options.only);
    } catch (error) {
      throw refused(this.#ctx, error);
    }
    const link = this.#signal(options.signal);
    try {
      return await serveBulk(this.#ctx, signed, verified, link.signal, options.forwarded === true);
    } finally {
      link.release();
    }
  }

  // ------------------------------------------------------------------ forwarded requests (p2p)

  async #handleForwarded(bytes: Uint8Array, context: RequestContext): Promise<Uint8Array> {
    this.#ctx.stats.inboundForwards++;
    const message = parseJsonObject(bytes, MAX_BULK_REQUEST_BYTES + 1024);
    if (message.hop !== FORWARDED_HOP) throw new RewrapError("REWRAP_MALFORMED");
    const keys = Object.keys(message).sort().join(",");
    if (keys === "hop,rewrap") {
      const answer = await this.#rewrap(rewrapRequestFromJson(message.rewrap), { signal: context.signal, forwarded: true });
      return encoder.encode(encodeRewrapAnswer(answer));
    }
    if (keys === "bulk,hop,only") {
      const signed = bulkRequestFromJson(message.bulk);
      const only = parseIndices(message.only, signed.request.contentIds.length);
      const answer = await this.#rewrapBulk(signed, { signal: context.signal, forwarded: true, only });
      return encoder.encode(encodeBulkAnswer(answer));
    }
    throw new RewrapError("REWRAP_MALFORMED");
  }

  // ------------------------------------------------------------------ helpers

  #assertRunning(): void {
    if (this.#state === "stopped") throw new RewrapError("REWRAP_UNAVAILABLE");
  }

  /** The caller's signal joined with the service's shutdown, for one call; release it when the call ends. */
  #signal(signal: AbortSignal | undefined): LinkedSignal {
    return signal === undefined ? { signal: this.#shutdown.signal, release() {} } : linkSignals(signal, this.#shutdown.signal);
  }
}

/** A forwarder's `only`: strictly increasing indices into the request's contents, at least one. */
function parseIndices(value: unknown, count: number): number[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > count) throw new RewrapError("REWRAP_MALFORMED");
  let previous = -1;
  for (const item of value) {
    if (!Number.isSafeInteger(item) || (item as number) <= previous || (item as number) >= count) throw new RewrapError("REWRAP_MALFORMED");
    previous = item as number;
  }
  return value as number[];
}

export function createRewrapService(components: RewrapServiceComponents, options: RewrapServiceOptions = {}): RewrapService {
  return new RewrapService(components, options);
}
