/**
 * The rewrap service (SPEC §6): checks a signed request in the specified order and answers with
 * the DEK wrapped to the reader's key, after the audit record is durable.
 *
 *   1. shape, freshness (expiry in (now, now + maxRequestLifetimeS]), signature
 *   2. replay: the (account, nonce) pair is new (store.rememberNonce)
 *   3. content registered, 4. policy allows the account now (indexer, bounded staleness)
 *   5. this node holds the DEK — else forward to a holder (never for a forwarded request)
 *   6. wrap (fresh P-256 key, ECDH, HKDF, AES-GCM), 7. append the audit record, await it, answer
 *
 * Freshness is checked before the signature because it is free and the signature is not.
 * When 3–5 are predicted to pass from memory alone, the wrap of 6 rides in the signature's
 * crypto trip (#wrapAhead); its envelope is used only once the checks have passed in order.
 * Every refusal is a RewrapError with a stable code. The HTTP layer calls `rewrap`,
 * `rewrapBulk` and `registerSession` with requests decoded by `wire.ts`; the p2p handler for
 * forwarded requests is registered by `start()`.
 */
import { linkSignals, type LinkedSignal } from "../../protocol/abort.js";
import { PROTOCOL_REWRAP, type RequestContext } from "../p2p/index.js";
import type { AccessDecision } from "../../indexer-client/index.js";
import { RequestAuthenticator } from "./auth.js";
import { envelopeOf, InlineRewrapCrypto, type RewrapCrypto, type WrapInput, type WrapOutcome } from "./crypto.js";
import { WorkerRewrapCrypto } from "./crypto-pool.js";
import { FORWARDED_HOP, MAX_BULK_ANSWER_BYTES, MAX_BULK_REQUEST_BYTES } from "./constants.js";
import { bulkItemDigest, bytesToHex, RewrapHasher } from "./eip712.js";
import { RewrapError, type RewrapErrorCode } from "./errors.js";
import { Forwarder } from "./forward.js";
import {
  resolveOptions,
  type ResolvedRewrapServiceOptions,
  type RewrapLogger,
  type RewrapServiceComponents,
  type RewrapServiceOptions,
} from "./options.js";
import { toRewrapError } from "./refusal.js";
import type {
  Address,
  BulkItem,
  Hex,
  RequestAuth,
  RewrapAnswer,
  RewrapBulkAnswer,
  SessionInfo,
  SignedRewrapBulkRequest,
  SignedRewrapRequest,
  SignedSessionGrant,
} from "./types.js";
import { bulkRequestFromJson, encodeBulkAnswer, encodeRewrapAnswer, parseJsonObject, rewrapRequestFromJson } from "./wire.js";

export interface RewrapCallOptions {
  signal?: AbortSignal;
}

export interface RewrapServiceStats {
  /** Rewraps this node performed (each has an audit record). */
  served: number;
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

/** A bulk request whose own checks passed: its digest, signer, and the indices this node serves. */
interface VerifiedBulk {
  digest: Uint8Array;
  account: Address;
  indices: readonly number[];
}

const silentLogger: RewrapLogger = { debug() {}, info() {}, warn() {} };
const encoder = new TextEncoder();
const CONTENT_ID = /^0x[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const UINT256_LIMIT = 1n << 256n;

export class RewrapService {
  readonly options: ResolvedRewrapServiceOptions;
  readonly hasher: RewrapHasher;
  readonly #components: RewrapServiceComponents;
  readonly #clock: () => number;
  readonly #logger: RewrapLogger;
  readonly #auth: RequestAuthenticator;
  readonly #forwarder: Forwarder | undefined;
  readonly #crypto: RewrapCrypto;
  readonly #ownsCrypto: boolean;
  #shutdown = new AbortController();
  #state: "new" | "started" | "stopped" = "new";
  readonly #stats = { served: 0, forwarded: 0, inboundForwards: 0, discardedWraps: 0, refused: {} as Partial<Record<RewrapErrorCode, number>> };

  constructor(components: RewrapServiceComponents, options: RewrapServiceOptions = {}) {
    this.options = resolveOptions(options);
    this.#components = components;
    this.#clock = components.clock ?? Date.now;
    this.#logger = components.logger ?? silentLogger;
    this.hasher = new RewrapHasher({ chainId: BigInt(components.chainId), verifyingContract: components.auditLog });
    this.#ownsCrypto = components.crypto === undefined;
    const workers = this.options.cryptoWorkers;
    this.#crypto = components.crypto ?? (workers > 0 ? new WorkerRewrapCrypto(workers) : new InlineRewrapCrypto());
    this.#auth = new RequestAuthenticator(this.hasher, this.#crypto, {
      maxSessionLifetimeS: this.options.maxSessionLifetimeS,
      sessionCacheSize: this.options.sessionCacheSize,
    });
    this.#forwarder =
      components.p2p === undefined
        ? undefined
        : new Forwarder(
            { p2p: components.p2p, indexer: components.indexer, logger: this.#logger },
            { maxAttempts: this.options.maxForwardAttempts, timeoutMs: this.options.forwardTimeoutMs },
          );
  }

  /** Registers the forwarded-rewrap handler on the p2p node (if any). */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "started";
    await this.#components.p2p?.handle(PROTOCOL_REWRAP, (request, context) => this.#handleForwarded(request, context), {
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
    if (wasStarted) await this.#components.p2p?.unhandle(PROTOCOL_REWRAP).catch(() => {});
    if (this.#ownsCrypto) await this.#crypto.close();
  }

  stats(): RewrapServiceStats {
    return {
      ...this.#stats,
      refused: { ...this.#stats.refused },
      grantRecoveries: this.#auth.grantRecoveries,
      forwardedViaProviders: this.#forwarder?.forwardedViaProviders ?? 0,
    };
  }

  // ------------------------------------------------------------------ public calls

  /** Verifies a session grant once, so the session's requests cost no secp256k1 work. */
  async registerSession(grant: SignedSessionGrant): Promise<SessionInfo> {
    try {
      this.#assertRunning();
      assertGrantShape(grant);
      return await this.#auth.session(grant, this.#nowS());
    } catch (error) {
      throw this.#refused(error);
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

  // ------------------------------------------------------------------ single

  async #rewrap(signed: SignedRewrapRequest, options: InternalOptions): Promise<RewrapAnswer> {
    let wrappedAhead: WrapOutcome | undefined;
    let link: LinkedSignal | undefined;
    try {
      this.#assertRunning();
      const { request, auth } = signed;
      assertRequestShape(request.contentId, request.clientPublicKey, request.nonce, request.expiry, auth);
      const nowS = this.#nowS();
      this.#assertFresh(request.expiry, nowS);
      const digest = this.hasher.request(request);
      const ahead = this.#wrapAhead(request, auth, digest, nowS);
      let account: Address;
      try {
        ({ account, wrapped: wrappedAhead } = await this.#auth.verify(digest, auth, nowS, ahead));
      } finally {
        ahead?.dek.fill(0);
      }
      this.#rememberNonce(account, request.nonce, request.expiry);
      link = this.#signal(options.signal);
      const { signal } = link;
      const decision = await this.#components.indexer.access(request.contentId, account, { signal });
      assertAllowed(decision);

      const store = this.#components.store;
      let envelope: Uint8Array;
      if (wrappedAhead !== undefined) {
        const outcome = wrappedAhead;
        wrappedAhead = undefined;
        envelope = envelopeOf(outcome);
      } else {
        const dek = store.getDek(request.contentId);
        if (dek === undefined) {
          this.#missing(request.contentId);
          if (options.forwarded || this.#forwarder === undefined) throw new RewrapError("REWRAP_NOT_HOLDER");
          const answer = await this.#forwarder.forward(signed, bytesToHex(digest), signal);
          this.#stats.forwarded++;
          return answer;
        }
        try {
          envelope = await this.#crypto.wrap(dek, request.clientPublicKey, digest);
        } finally {
          dek.fill(0);
        }
      }
      await store.appendAudit({ contentId: request.contentId, requester: account, requestDigest: digest, servedAt: nowS });
      this.#stats.served++;
      return { contentId: request.contentId, requestDigest: bytesToHex(digest), envelope };
    } catch (error) {
      if (wrappedAhead !== undefined) this.#stats.discardedWraps++;
      throw this.#refused(error);
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
  #wrapAhead(request: SignedRewrapRequest["request"], auth: RequestAuth, digest: Uint8Array, nowS: number): WrapInput | undefined {
    const account = this.#auth.knownAccount(auth, nowS);
    if (account === undefined) return undefined;
    const { store, indexer } = this.#components;
    if (store.nonceSeen(account, request.nonce)) return undefined;
    if (indexer.cachedAccess(request.contentId, account)?.allowed !== true) return undefined;
    const dek = store.getDek(request.contentId);
    return dek === undefined ? undefined : { dek, clientPublicKey: request.clientPublicKey, requestDigest: digest };
  }

  // ------------------------------------------------------------------ bulk

  async #rewrapBulk(signed: SignedRewrapBulkRequest, options: InternalOptions): Promise<RewrapBulkAnswer> {
    let verified: VerifiedBulk;
    try {
      this.#assertRunning();
      verified = await this.#verifyBulk(signed, options.only);
    } catch (error) {
      throw this.#refused(error);
    }
    const link = this.#signal(options.signal);
    try {
      return await this.#serveBulk(signed, verified, link.signal, options);
    } finally {
      link.release();
    }
  }

  /** The checks after the request's own (#verifyBulk), then the wraps, forwards and audit records. */
  async #serveBulk(
    signed: SignedRewrapBulkRequest,
    { digest, account, indices }: VerifiedBulk,
    signal: AbortSignal,
    options: InternalOptions,
  ): Promise<RewrapBulkAnswer> {
    const { request } = signed;
    const ids = request.contentIds;
    const results: (BulkItem | undefined)[] = new Array(indices.length);
    const refuse = (k: number, code: RewrapErrorCode, reason?: AccessDecision["reason"]) => {
      this.#count(code);
      results[k] = { contentId: ids[indices[k]!]!, error: reason === undefined ? { code } : { code, reason } };
    };

    let decisions: Awaited<ReturnType<RewrapServiceComponents["indexer"]["accessMany"]>>;
    try {
      decisions = await this.#components.indexer.accessMany(
        indices.map((i) => ids[i]!),
        account,
        { signal },
      );
    } catch (error) {
      throw this.#refused(error);
    }

    const store = this.#components.store;
    const local: { k: number; dek: Uint8Array }[] = [];
    const missing: number[] = [];
    indices.forEach((i, k) => {
      const id = ids[i]!;
      const decision = decisions.get(id);
      if (decision === undefined || !("allowed" in decision)) {
        refuse(k, toRewrapError(decision).code);
        return;
      }
      if (!decision.allowed) {
        refuse(k, "REWRAP_ACCESS_DENIED", decision.reason);
        return;
      }
      const dek = store.getDek(id);
      if (dek !== undefined) local.push({ k, dek });
      else missing.push(k);
    });
    for (const k of missing) this.#missing(ids[indices[k]!]!);

    // Forward what this node lacks while it wraps what it holds.
    // forwardBulk answers per item; should it fail as a whole, those items are FORWARD_FAILED.
    const forwarded =
      missing.length > 0 && !options.forwarded && this.#forwarder !== undefined
        ? this.#forwarder.forwardBulk(signed, missing.map((k) => indices[k]!), signal).catch((error: unknown) => {
            this.#logger.warn("bulk forwarding failed", { error: String(error) });
            return new Map<number, BulkItem>();
          })
        : undefined;

    const records: { contentId: Hex; requester: Address; requestDigest: Uint8Array; servedAt: number }[] = [];
    const servedAt = this.#nowS();
    try {
      const envelopes = await Promise.all(
        local.map(({ k, dek }) => {
          const contentId = ids[indices[k]!]!;
          const itemDigest = bulkItemDigest(digest, contentId);
          records.push({ contentId, requester: account, requestDigest: itemDigest, servedAt });
          return this.#crypto.wrap(dek, request.clientPublicKey, itemDigest);
        }),
      );
      local.forEach(({ k }, j) => (results[k] = { contentId: ids[indices[k]!]!, envelope: envelopes[j]! }));
    } catch (error) {
      await forwarded;
      throw this.#refused(error);
    } finally {
      for (const { dek } of local) dek.fill(0);
    }

    try {
      if (records.length > 0) await store.appendAudits(records);
    } catch (error) {
      await forwarded;
      throw this.#refused(error);
    }
    this.#stats.served += records.length;

    if (forwarded !== undefined) {
      const byIndex = await forwarded;
      for (const k of missing) {
        const item: BulkItem = byIndex.get(indices[k]!) ?? { contentId: ids[indices[k]!]!, error: { code: "REWRAP_FORWARD_FAILED" } };
        if ("error" in item) refuse(k, item.error.code, item.error.reason);
        else {
          results[k] = item;
          this.#stats.forwarded++;
        }
      }
    } else {
      for (const k of missing) refuse(k, "REWRAP_NOT_HOLDER");
    }
    return { requestDigest: bytesToHex(digest), results: results as BulkItem[] };
  }

  async #verifyBulk(signed: SignedRewrapBulkRequest, only: readonly number[] | undefined): Promise<VerifiedBulk> {
    const { request, auth } = signed;
    if (!Array.isArray(request.contentIds) || request.contentIds.length === 0) throw new RewrapError("REWRAP_MALFORMED");
    if (request.contentIds.length > this.options.maxBulkContents) throw new RewrapError("REWRAP_TOO_LARGE");
    for (const id of request.contentIds) if (typeof id !== "string" || !CONTENT_ID.test(id)) throw new RewrapError("REWRAP_MALFORMED");
    if (new Set(request.contentIds).size !== request.contentIds.length) throw new RewrapError("REWRAP_MALFORMED");
    assertRequestShape(request.contentIds[0]!, request.clientPublicKey, request.nonce, request.expiry, auth);
    const indices = only ?? request.contentIds.map((_, i) => i);
    const nowS = this.#nowS();
    this.#assertFresh(request.expiry, nowS);
    const digest = this.hasher.bulk(request);
    const { account } = await this.#auth.verify(digest, auth, nowS);
    this.#rememberNonce(account, request.nonce, request.expiry);
    return { digest, account, indices };
  }

  // ------------------------------------------------------------------ forwarded requests (p2p)

  async #handleForwarded(bytes: Uint8Array, context: RequestContext): Promise<Uint8Array> {
    this.#stats.inboundForwards++;
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

  #nowS(): number {
    return Math.floor(this.#clock() / 1000);
  }

  #assertRunning(): void {
    if (this.#state === "stopped") throw new RewrapError("REWRAP_UNAVAILABLE");
  }

  #assertFresh(expiry: number, nowS: number): void {
    if (expiry <= nowS) throw new RewrapError("REWRAP_EXPIRED");
    if (expiry > nowS + this.options.maxRequestLifetimeS) throw new RewrapError("REWRAP_EXPIRY_TOO_FAR");
  }

  #rememberNonce(account: Address, nonce: bigint, expiry: number): void {
    if (!this.#components.store.rememberNonce(account, nonce, expiry)) throw new RewrapError("REWRAP_REPLAYED");
  }

  /** The caller's signal joined with the service's shutdown, for one call; release it when the call ends. */
  #signal(signal: AbortSignal | undefined): LinkedSignal {
    return signal === undefined ? { signal: this.#shutdown.signal, release() {} } : linkSignals(signal, this.#shutdown.signal);
  }

  #missing(contentId: Hex): void {
    const hook = this.#components.onMissingDek;
    if (hook === undefined) return;
    try {
      hook(contentId);
    } catch (error) {
      this.#logger.warn("onMissingDek hook failed", { contentId, error: String(error) });
    }
  }

  #count(code: RewrapErrorCode): void {
    this.#stats.refused[code] = (this.#stats.refused[code] ?? 0) + 1;
  }

  #refused(error: unknown): RewrapError {
    const refusal = toRewrapError(error);
    this.#count(refusal.code);
    if (refusal.code === "REWRAP_INTERNAL" || refusal.code === "REWRAP_UNAVAILABLE") {
      this.#logger.warn("rewrap refused", { code: refusal.code, cause: causeOf(refusal) });
    } else {
      this.#logger.debug("rewrap refused", { code: refusal.code });
    }
    return refusal;
  }
}

function causeOf(error: RewrapError): string {
  const cause = error.cause;
  if (cause === undefined) return "";
  if (cause instanceof Error) return "code" in cause ? `${String(cause.code)}: ${cause.message}` : cause.message;
  return String(cause);
}

function assertAllowed(decision: AccessDecision): void {
  if (!decision.allowed) throw new RewrapError("REWRAP_ACCESS_DENIED", { reason: decision.reason });
}

/** The shape checks wire.ts makes, for callers that build requests in code. */
function assertRequestShape(contentId: unknown, clientPublicKey: unknown, nonce: unknown, expiry: unknown, auth: RequestAuth): void {
  const ok =
    typeof contentId === "string" &&
    CONTENT_ID.test(contentId) &&
    isP256Key(clientPublicKey) &&
    typeof nonce === "bigint" &&
    nonce >= 0n &&
    nonce < UINT256_LIMIT &&
    Number.isSafeInteger(expiry) &&
    (expiry as number) >= 0 &&
    typeof auth === "object" &&
    auth !== null &&
    (auth.kind === "account"
      ? typeof auth.account === "string" && ADDRESS.test(auth.account) && isBytes(auth.signature, 65)
      : auth.kind === "session" && isBytes(auth.signature, 64) && isGrantShape(auth.grant));
  if (!ok) throw new RewrapError("REWRAP_MALFORMED");
}

function assertGrantShape(grant: SignedSessionGrant): void {
  if (!isGrantShape(grant)) throw new RewrapError("REWRAP_MALFORMED");
}

function isGrantShape(grant: SignedSessionGrant): boolean {
  return (
    typeof grant === "object" &&
    grant !== null &&
    typeof grant.account === "string" &&
    ADDRESS.test(grant.account) &&
    isP256Key(grant.sessionPublicKey) &&
    Number.isSafeInteger(grant.expiry) &&
    grant.expiry >= 0 &&
    typeof grant.nonce === "bigint" &&
    grant.nonce >= 0n &&
    grant.nonce < UINT256_LIMIT &&
    isBytes(grant.signature, 65)
  );
}

function isBytes(value: unknown, length: number): boolean {
  return value instanceof Uint8Array && value.length === length;
}

function isP256Key(value: unknown): boolean {
  return value instanceof Uint8Array && value.length === 33 && (value[0] === 0x02 || value[0] === 0x03);
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
