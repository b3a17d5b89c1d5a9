/**
 * What the single and the bulk rewrap paths share: the service's components, options, crypto
 * and counters, and the checks both make in the same words — freshness, replay, refusals.
 */
import type { RewrapHasher } from "../../crypto/keys/eip712.js";
import type { RequestAuthenticator } from "./auth.js";
import type { RewrapCrypto } from "./crypto.js";
import { RewrapError, type RewrapErrorCode } from "../../protocol/rewrap/errors.js";
import type { Forwarder } from "./forward.js";
import type { ResolvedRewrapServiceOptions, RewrapServiceComponents } from "./options.js";
import { toRewrapError } from "./refusal.js";
import type { Address, Hex } from "../../protocol/rewrap/types.js";
import type { Logger } from "../../protocol/logger.js";
import type { AccessDecision } from "../../indexer-client/index.js";
import { evidenceOfRequest } from "../../protocol/auditEvidence.js";
import type { SignedRewrapRequest } from "../../protocol/rewrap/types.js";

/** The counters the paths add to (the service's `stats()` reports them with its parts' own). */
export interface RewrapCounters {
  served: number;
  /** Threshold share answers served (./share.ts; each has an audit record). */
  sharesServed: number;
  forwarded: number;
  inboundForwards: number;
  discardedWraps: number;
  refused: Partial<Record<RewrapErrorCode, number>>;
}

export interface RewrapContext {
  components: RewrapServiceComponents;
  options: ResolvedRewrapServiceOptions;
  hasher: RewrapHasher;
  auth: RequestAuthenticator;
  crypto: RewrapCrypto;
  /** Undefined without p2p: a content this node lacks is then refused REWRAP_NOT_HOLDER. */
  forwarder: Forwarder | undefined;
  logger: Logger;
  clock: () => number;
  stats: RewrapCounters;
}

export function nowS(ctx: RewrapContext): number {
  return Math.floor(ctx.clock() / 1000);
}

/** Expiry in (now, now + maxRequestLifetimeS]. */
export function assertFresh(ctx: RewrapContext, expiry: number, now: number): void {
  if (expiry <= now) throw new RewrapError("REWRAP_EXPIRED");
  if (expiry > now + ctx.options.maxRequestLifetimeS) throw new RewrapError("REWRAP_EXPIRY_TOO_FAR");
}

/**
 * Refuses a replay before any read: the (account, nonce) pair is not held. Recording it waits
 * until access allows the request (`rememberNonce`), so a refused request takes no slot of the
 * replay table — accounts anyone can create cannot fill it with requests that are refused
 * anyway, and replaying a refused request only earns the same refusal again.
 */
export function assertUnseen(ctx: RewrapContext, account: Address, nonce: bigint): void {
  if (ctx.components.store.nonceSeen(account, nonce)) throw new RewrapError("REWRAP_REPLAYED");
}

export function assertAllowed(decision: AccessDecision): void {
  if (!decision.allowed) throw new RewrapError("REWRAP_ACCESS_DENIED", { reason: decision.reason });
}

/** Records the (account, nonce) pair, or refuses it as a replay (a copy that got here first). */
export function rememberNonce(ctx: RewrapContext, account: Address, nonce: bigint, expiry: number): void {
  if (!ctx.components.store.rememberNonce(account, nonce, expiry)) throw new RewrapError("REWRAP_REPLAYED");
}

/** The DEK of `contentId` if this node holds it and may serve from it (not after leaving the active set). */
export function servableDek(ctx: RewrapContext, contentId: Hex): Uint8Array | undefined {
  const { mayServe, store } = ctx.components;
  return mayServe === undefined || mayServe() ? store.getDek(contentId) : undefined;
}

/**
 * The context for serving `signed` through a path that appends its audit record without evidence
 * (the share path, ./share.ts): the same parts, with a store whose appendAudit keeps `signed` as
 * the record's evidence, so no record goes out unproven.
 */
export function withEvidence(ctx: RewrapContext, signed: SignedRewrapRequest): RewrapContext {
  const store = ctx.components.store;
  const evidence = evidenceOfRequest(signed);
  return {
    ...ctx,
    components: {
      ...ctx.components,
      store: {
        getDek: (contentId) => store.getDek(contentId),
        nonceSeen: (account, nonce) => store.nonceSeen(account, nonce),
        rememberNonce: (account, nonce, expiry) => store.rememberNonce(account, nonce, expiry),
        appendAudit: (record) => store.appendAudit(record, evidence),
        appendAudits: (records) => store.appendAudits(records, evidence),
      },
    },
  };
}

/** Tells the onMissingDek hook (the replication engine's cue); a failing hook is only logged. */
export function reportMissing(ctx: RewrapContext, contentId: Hex): void {
  const hook = ctx.components.onMissingDek;
  if (hook === undefined) return;
  try {
    hook(contentId);
  } catch (error) {
    ctx.logger.warn("onMissingDek hook failed", { contentId, error: String(error) });
  }
}

export function countRefusal(ctx: RewrapContext, code: RewrapErrorCode): void {
  ctx.stats.refused[code] = (ctx.stats.refused[code] ?? 0) + 1;
}

/** Whatever went wrong as the typed refusal the caller sees, counted and logged. */
export function refused(ctx: RewrapContext, error: unknown): RewrapError {
  const refusal = toRewrapError(error);
  countRefusal(ctx, refusal.code);
  if (refusal.code === "REWRAP_INTERNAL" || refusal.code === "REWRAP_UNAVAILABLE") {
    ctx.logger.warn("rewrap refused", { code: refusal.code, cause: causeOf(refusal) });
  } else {
    ctx.logger.debug("rewrap refused", { code: refusal.code });
  }
  return refusal;
}

function causeOf(error: RewrapError): string {
  const cause = error.cause;
  if (cause === undefined) return "";
  if (cause instanceof Error) return "code" in cause ? `${String(cause.code)}: ${cause.message}` : cause.message;
  return String(cause);
}
