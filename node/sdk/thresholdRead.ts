/**
 * Reading a threshold(m, n) content (docs/threshold.md#reading, docs/client.md "Threshold
 * contents"): the content key from m members' shares, never from one validator.
 *
 * The reader asks m + 1 members at once, each request with its own ephemeral key, so one slow or
 * missing member does not stall the read. Every answer is checked against the registration's
 * commitments (`openShareAnswer`); a failed, refused or timed-out request starts the next member
 * not yet asked, and so does every HEDGE_MS spent without m shares (two slow members cost seconds,
 * not the timeout); the first m valid shares are combined and the rest abandoned. A share that fails
 * the check under the member's valid signature is the member's fault: it is reported with the
 * evidence (the signed answer, the request digest and the one-time key that opens it), which
 * anyone can re-check. A refusal that is the same everywhere (access denied, …) ends the read.
 */
import { type Address, type Hex, bytesToHex, hexToBytes } from "viem";
import { P256PrivateKey } from "../crypto/keys/index.js";
import type { NanoTdfHeader } from "../crypto/tdf/index.js";
import { decodeCommitments, deriveThresholdDek, openShareAnswer, ThresholdError, type Share } from "../crypto/threshold/index.js";
import type { HoldersInfo } from "../indexer-client/index.js";
import type { AccessReason } from "../protocol/accessReasons.js";
import type { RewrapErrorCode } from "../protocol/rewrap/index.js";
import type { ClientContext } from "./context.js";
import { DekmeshClientError } from "./errors.js";
import { shuffle } from "./selection.js";
import { postShareRewrap, ValidatorCallError } from "./validatorApi.js";

/**
 * A member whose share failed the commitments check under its own valid signature: kept as
 * evidence for a challenge (SPEC §12). `clientPrivateKey` is the reader's one-time key for that
 * request: it opens nothing but this answer, and with it anyone can re-run `openShareAnswer`.
 */
export interface BadShareEvidence {
  member: Address;
  index: number;
  contentId: Hex;
  /** Why the share was rejected: THRESHOLD_SHARE_INVALID or THRESHOLD_WRAP_FAILED. */
  code: "THRESHOLD_SHARE_INVALID" | "THRESHOLD_WRAP_FAILED";
  /** The member's signed 148-byte share answer. */
  answer: Hex;
  requestDigest: Hex;
  clientPrivateKey: Hex;
}

export interface ThresholdReadOptions {
  validator?: Address;
  signal?: AbortSignal;
  onBadShare?: (evidence: BadShareEvidence) => void;
}

/** How long a read waits for its m shares before it asks one more member (see thresholdDek). */
const HEDGE_MS = 2_000;

interface Candidate {
  member: Address;
  index: number;
  endpoint: string;
  kasPublicKey: Uint8Array;
}

/** Why one member did not give a usable share. */
type Failure = { kind: "final"; code: RewrapErrorCode; reason?: AccessReason } | { kind: "retryable"; code?: RewrapErrorCode; cause: unknown };

/**
 * The members that can serve, in the order to ask them: a preferred validator first, then the
 * slots' active members that hold their share (not a replacement still enrolling) in random order.
 */
function candidates(info: HoldersInfo, prefer: Address | undefined): Candidate[] {
  const active = new Map(info.holders.map((h) => [h.node.toLowerCase(), h]));
  const serving = info.threshold!.slots.filter((slot) => slot.previous === null && active.has(slot.member.toLowerCase()));
  const listed = shuffle(
    serving.map((slot) => {
      const holder = active.get(slot.member.toLowerCase())!;
      return { member: holder.node, index: slot.index, endpoint: holder.endpoint, kasPublicKey: hexToBytes(holder.kasPublicKey) };
    }),
  );
  const preferred = prefer?.toLowerCase();
  return [...listed.filter((c) => c.member.toLowerCase() === preferred), ...listed.filter((c) => c.member.toLowerCase() !== preferred)];
}

/** The DEK of a threshold content from the first m valid shares. */
export async function thresholdDek(ctx: ClientContext, info: HoldersInfo, header: NanoTdfHeader, options: ThresholdReadOptions): Promise<Uint8Array> {
  const { m } = info.threshold!;
  const commitments = decodeCommitments(hexToBytes(info.threshold!.commitments));
  const queue = candidates(info, options.validator);
  const contentId = info.contentId;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;

  const ask = async (candidate: Candidate): Promise<Share> => {
    // One key per request: an answer captured on the way opens for no other request.
    const clientKey = P256PrivateKey.generate();
    const { signed, digest } = await ctx.signer.sign(contentId, clientKey.publicKey);
    const answer = await postShareRewrap(candidate.endpoint, signed, { timeoutMs: ctx.timeouts.validatorMs, signal });
    if (answer.contentId !== contentId || answer.requestDigest !== bytesToHex(digest)) {
      throw new ValidatorCallError({ kind: "unreachable", cause: new Error("the answer is about another request") });
    }
    try {
      return openShareAnswer({
        answer: answer.shareAnswer,
        contentId: hexToBytes(contentId),
        requestDigest: digest,
        clientPrivateKey: clientKey,
        member: { index: candidate.index, kasPublicKey: candidate.kasPublicKey },
        commitments,
      });
    } catch (error) {
      if (error instanceof ThresholdError && (error.code === "THRESHOLD_SHARE_INVALID" || error.code === "THRESHOLD_WRAP_FAILED")) {
        options.onBadShare?.({
          member: candidate.member,
          index: candidate.index,
          contentId,
          code: error.code,
          answer: bytesToHex(answer.shareAnswer),
          requestDigest: bytesToHex(digest),
          clientPrivateKey: bytesToHex(clientKey.exportPrivateKey()),
        });
      }
      throw error;
    }
  };

  const shares: Share[] = [];
  const failures: Failure[] = [];
  let hedge: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      const next = (): void => {
        if (shares.length >= m) return resolve();
        while (running < m + 1 - shares.length && queue.length > 0) start(queue.shift()!);
        if (running === 0) reject(notEnough(failures, m, shares.length, contentId));
      };
      // A member that is slow rather than down holds its request until the timeout: every
      // HEDGE_MS without m shares, one more member is asked, so a slow one costs HEDGE_MS, not the timeout.
      hedge = setInterval(() => {
        if (shares.length < m && queue.length > 0) start(queue.shift()!);
      }, Math.min(HEDGE_MS, ctx.timeouts.validatorMs));
      const start = (candidate: Candidate): void => {
        running++;
        ask(candidate).then(
          (share) => {
            running--;
            shares.push(share);
            next();
          },
          (error: unknown) => {
            running--;
            if (error instanceof DekmeshClientError) return reject(error);
            const failure = classify(error);
            if (failure.kind === "final") {
              return reject(
                new DekmeshClientError("CLIENT_REWRAP_REFUSED", `the member refused the share: ${failure.code}`, {
                  rewrapCode: failure.code,
                  reason: failure.reason,
                  details: { validator: candidate.member },
                }),
              );
            }
            failures.push(failure);
            next();
          },
        );
      };
      next();
    });
  } finally {
    clearInterval(hedge);
    // The shares still on their way are not needed.
    stop.abort();
  }
  try {
    return deriveThresholdDek({ header, commitments, shares: shares.slice(0, m) });
  } finally {
    for (const share of shares) share.value.fill(0);
  }
}

function classify(error: unknown): Failure {
  if (error instanceof ValidatorCallError) {
    const { failure } = error;
    if (failure.kind === "refused" && !failure.error.retryable) return { kind: "final", code: failure.error.code, reason: failure.error.reason };
    if (failure.kind === "refused") return { kind: "retryable", code: failure.error.code, cause: failure.error };
    return { kind: "retryable", cause: failure.cause };
  }
  // The answer did not open or check: this member is unusable; the others may still serve.
  return { kind: "retryable", cause: error };
}

function notEnough(failures: Failure[], m: number, valid: number, contentId: Hex): DekmeshClientError {
  const last = failures.at(-1);
  return new DekmeshClientError("CLIENT_NOT_ENOUGH_SHARES", `only ${valid} of the ${m} shares needed could be had from the content's members`, {
    rewrapCode: last?.kind === "retryable" ? last.code : undefined,
    cause: last?.kind === "retryable" ? last.cause : undefined,
    details: { contentId, m, valid, failed: failures.length },
    retryable: true,
  });
}
