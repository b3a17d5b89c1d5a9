/**
 * The bulk rewrap path (docs/architecture.md#rewrap-and-forwarding): up to 1,000 contents under one signature and one nonce. The
 * request's own checks (shape, freshness, signature, replay) refuse it as a whole; after them
 * each content gets its own answer — wrapped here, forwarded to a holder, or refused — and the
 * audit records of the wraps are durable before any answer leaves. The nonce is recorded once
 * access allows at least one content (a request refused for every content takes no slot of
 * the replay table, as in the single path).
 */
import type { AccessDecision } from "../../indexer-client/index.js";
import { evidenceOfRequest } from "../../protocol/auditEvidence.js";
import { bytesToHex } from "viem";
import { bulkItemDigest } from "../../crypto/keys/eip712.js";
import type { RewrapErrorCode } from "../../protocol/rewrap/errors.js";
import { assertBulkRequestShape } from "../../protocol/rewrap/shape.js";
import { toRewrapError } from "./refusal.js";
import type { Address, BulkItem, Hex, RewrapBulkAnswer, SignedRewrapBulkRequest } from "../../protocol/rewrap/types.js";
import { assertFresh, assertUnseen, countRefusal, nowS, refused, rememberNonce, reportMissing, servableDek, type RewrapContext } from "./context.js";

/** A bulk request whose own checks passed: its digest, signer, and the indices this node serves. */
export interface VerifiedBulk {
  digest: Uint8Array;
  account: Address;
  indices: readonly number[];
}

/** The request's own checks; `only` (a forwarder's share for this node) narrows what is served. */
export async function verifyBulk(ctx: RewrapContext, signed: SignedRewrapBulkRequest, only: readonly number[] | undefined): Promise<VerifiedBulk> {
  const { request, auth } = signed;
  assertBulkRequestShape(signed, ctx.options.maxBulkContents);
  const indices = only ?? request.contentIds.map((_, i) => i);
  const now = nowS(ctx);
  assertFresh(ctx, request.expiry, now);
  const digest = ctx.hasher.bulk(request);
  const { account } = await ctx.auth.verify(digest, auth, now);
  assertUnseen(ctx, account, request.nonce);
  return { digest, account, indices };
}

/**
 * The checks after the request's own (access per content, holding), then the wraps, forwards
 * and audit records. `forwarded`: the request arrived from a peer and is not forwarded again.
 */
export async function serveBulk(ctx: RewrapContext, signed: SignedRewrapBulkRequest, verified: VerifiedBulk, signal: AbortSignal, forwarded: boolean): Promise<RewrapBulkAnswer> {
  const { digest, indices } = verified;
  const results = new BulkResults(ctx, signed.request.contentIds, indices);
  const { local, missing } = await sortByHolding(ctx, signed, results, verified.account, signal);
  for (const k of missing) reportMissing(ctx, results.contentId(k));

  // Forward what this node lacks while it wraps what it holds.
  // forwardBulk answers per item; should it fail as a whole, those items are FORWARD_FAILED.
  const forwarder = ctx.forwarder;
  const forwarding =
    missing.length > 0 && !forwarded && forwarder !== undefined
      ? forwarder.forwardBulk(signed, missing.map((k) => indices[k]!), signal).catch((error: unknown) => {
          ctx.logger.warn("bulk forwarding failed", { error: String(error) });
          return new Map<number, BulkItem>();
        })
      : undefined;

  try {
    await wrapAndAudit(ctx, signed, verified, local, results);
  } catch (error) {
    await forwarding;
    throw refused(ctx, error);
  }

  if (forwarding === undefined) {
    for (const k of missing) results.refuse(k, "REWRAP_NOT_HOLDER");
  } else {
    const byIndex = await forwarding;
    for (const k of missing) {
      const item: BulkItem = byIndex.get(indices[k]!) ?? { contentId: results.contentId(k), error: { code: "REWRAP_FORWARD_FAILED" } };
      if ("error" in item) results.refuse(k, item.error.code, item.error.reason);
      else {
        results.serve(k, item);
        ctx.stats.forwarded++;
      }
    }
  }
  return results.answer(digest);
}

/** The served contents' results, by position k among the indices this node serves. */
class BulkResults {
  readonly #ctx: RewrapContext;
  readonly #ids: readonly Hex[];
  readonly #indices: readonly number[];
  readonly #items: (BulkItem | undefined)[];

  constructor(ctx: RewrapContext, ids: readonly Hex[], indices: readonly number[]) {
    this.#ctx = ctx;
    this.#ids = ids;
    this.#indices = indices;
    this.#items = new Array(indices.length);
  }

  get size(): number {
    return this.#indices.length;
  }

  contentId(k: number): Hex {
    return this.#ids[this.#indices[k]!]!;
  }

  serve(k: number, item: BulkItem): void {
    this.#items[k] = item;
  }

  refuse(k: number, code: RewrapErrorCode, reason?: AccessDecision["reason"]): void {
    countRefusal(this.#ctx, code);
    this.#items[k] = { contentId: this.contentId(k), error: reason === undefined ? { code } : { code, reason } };
  }

  answer(digest: Uint8Array): RewrapBulkAnswer {
    return { requestDigest: bytesToHex(digest), results: this.#items as BulkItem[] };
  }
}

/**
 * Access decisions for every served content (one indexer read): refuses the denied, records the
 * nonce if any content is allowed, and sorts the allowed into held and missing.
 */
async function sortByHolding(ctx: RewrapContext, signed: SignedRewrapBulkRequest, results: BulkResults, account: Address, signal: AbortSignal): Promise<{ local: { k: number; dek: Uint8Array }[]; missing: number[] }> {
  const ids = Array.from({ length: results.size }, (_, k) => results.contentId(k));
  let decisions: Awaited<ReturnType<RewrapContext["components"]["access"]["accessMany"]>>;
  try {
    decisions = await ctx.components.access.accessMany(ids, account, { signal });
  } catch (error) {
    throw refused(ctx, error);
  }
  const allowed: number[] = [];
  ids.forEach((id, k) => {
    const decision = decisions.get(id);
    if (decision === undefined || !("allowed" in decision)) results.refuse(k, toRewrapError(decision).code);
    else if (!decision.allowed) results.refuse(k, "REWRAP_ACCESS_DENIED", decision.reason);
    else allowed.push(k);
  });
  if (allowed.length > 0) {
    try {
      rememberNonce(ctx, account, signed.request.nonce, signed.request.expiry);
    } catch (error) {
      throw refused(ctx, error);
    }
  }
  const local: { k: number; dek: Uint8Array }[] = [];
  const missing: number[] = [];
  for (const k of allowed) {
    const dek = servableDek(ctx, ids[k]!);
    if (dek !== undefined) local.push({ k, dek });
    else missing.push(k);
  }
  return { local, missing };
}

/** Wraps the held DEKs (zeroed after, whatever happens), then makes their audit records durable. */
async function wrapAndAudit(ctx: RewrapContext, signed: SignedRewrapBulkRequest, verified: VerifiedBulk, local: readonly { k: number; dek: Uint8Array }[], results: BulkResults): Promise<void> {
  const { digest, account } = verified;
  const records: { contentId: Hex; requester: Address; requestDigest: Uint8Array; servedAt: number }[] = [];
  const servedAt = nowS(ctx);
  try {
    const envelopes = await Promise.all(
      local.map(({ k, dek }) => {
        const contentId = results.contentId(k);
        const itemDigest = bulkItemDigest(digest, contentId);
        records.push({ contentId, requester: account, requestDigest: itemDigest, servedAt });
        return ctx.crypto.wrap(dek, signed.request.clientPublicKey, itemDigest);
      }),
    );
    local.forEach(({ k }, j) => results.serve(k, { contentId: results.contentId(k), envelope: envelopes[j]! }));
  } finally {
    for (const { dek } of local) dek.fill(0);
  }
  if (records.length > 0) await ctx.components.store.appendAudits(records, evidenceOfRequest(signed));
  ctx.stats.served += records.length;
}
