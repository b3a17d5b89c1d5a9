/**
 * Share rewraps (POST /v1/rewrap/share, docs/threshold.md#reading): a reader's rewrap request
 * for a threshold(m, n) content, answered by a member with its share of the content key wrapped
 * to the request's client key and signed with its KAS key (answerShare). The request is the
 * rewrap request, checked as in ./service.ts in the same order — shape, freshness, signature,
 * replay, access, then the pair is recorded — and every share served has its audit record,
 * durable before the answer leaves. A node with no share of the content refuses
 * REWRAP_NOT_HOLDER and never forwards: the reader asks m members itself, and a share passing
 * through another validator would give that validator one more point of the polynomial.
 */
import { bytesToHex, hexToBytes } from "viem";
import { RewrapError } from "../../protocol/rewrap/errors.js";
import { assertRewrapRequestShape } from "../../protocol/rewrap/shape.js";
import type { ShareRewrapAnswer, SignedRewrapRequest } from "../../protocol/rewrap/types.js";
import { assertAllowed, assertFresh, assertUnseen, nowS, rememberNonce, type RewrapContext } from "./context.js";
import type { HeldShare } from "../threshold/member.js";

/** Where the share path finds this node's share of a content (ThresholdMember has it). */
export interface ShareSource {
  share(contentId: `0x${string}`, signal?: AbortSignal): Promise<HeldShare | undefined>;
}

export async function serveShare(ctx: RewrapContext, signed: SignedRewrapRequest, signal: AbortSignal): Promise<ShareRewrapAnswer> {
  const { request, auth } = signed;
  assertRewrapRequestShape(signed);
  const now = nowS(ctx);
  assertFresh(ctx, request.expiry, now);
  const digest = ctx.hasher.request(request);
  const { account } = await ctx.auth.verify(digest, auth, now);
  assertUnseen(ctx, account, request.nonce);
  assertAllowed(await ctx.components.access.access(request.contentId, account, { signal }));
  rememberNonce(ctx, account, request.nonce, request.expiry);

  const { shares, mayServe, store } = ctx.components;
  // A member that left the active set serves nothing the chain would no longer audit.
  const held = shares === undefined || (mayServe !== undefined && !mayServe()) ? undefined : await shares.share(request.contentId, signal);
  if (held === undefined) throw new RewrapError("REWRAP_NOT_HOLDER");
  // The wrap and the signature run where the service's crypto runs (a worker thread, if it has
  // them); answerShare wipes the share value and the scalar it is given.
  let shareAnswer: Uint8Array;
  try {
    if (answersWrongShare(ctx, held)) held.share.value[31]! ^= 1;
    shareAnswer = await ctx.crypto.answerShare({
      share: held.share,
      contentId: hexToBytes(request.contentId),
      requestDigest: digest,
      clientPublicKey: request.clientPublicKey,
      kasKid: held.kasKey.kid,
      kasScalar: held.kasKey.exportPrivateKey(),
    });
  } finally {
    held.share.value.fill(0);
  }
  await store.appendAudit({ contentId: request.contentId, requester: account, requestDigest: digest, servedAt: now });
  ctx.stats.sharesServed++;
  return { contentId: request.contentId, requestDigest: bytesToHex(digest), shareAnswer };
}

/** Hardhat's chain id: the only chain on which the test fault below can be switched on. */
const DEV_CHAIN_ID = 31337n;

/**
 * Test-only fault, off by default: a member whose current KAS key's KID (hex) is listed in
 * DEKMESH_TEST_FAULT_WRONG_SHARE answers a share with one bit flipped, validly signed — the
 * cheating member a reader must detect and name (test/node/sdk/threshold.test.ts). Honoured
 * only on a dev chain (chain id 31337); ignored on any other.
 */
function answersWrongShare(ctx: RewrapContext, held: HeldShare): boolean {
  const listed = process.env.DEKMESH_TEST_FAULT_WRONG_SHARE;
  if (listed === undefined || listed === "" || ctx.hasher.domain.chainId !== DEV_CHAIN_ID) return false;
  return listed.toLowerCase().split(",").includes(bytesToHex(held.kasKey.kid));
}
