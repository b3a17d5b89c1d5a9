/**
 * The initial validator's verdict on a content nobody can use (issue #22). The header is sealed
 * to this node's KAS key, so only this node can derive the DEK — and when that fails for a reason
 * that lies in the registration itself, no retry on any node can succeed:
 *
 *   MalformedHeader  the header does not decode, names no KAS key, or its ephemeral key is no point
 *   UnknownKasKey    it names a KAS key this node never registered (a header for another key)
 *   PolicyMismatch   it opens, but its policy binding does not name the registered policy (a copy)
 *
 * The node then reports the content once on chain (ContentRegistry.reportUnusable); the indexer
 * leaves it out of every work list, so the members stop pulling it. A failure that lies in this
 * node — a KAS key it registered but no longer holds, a store error — is no verdict: it is
 * retried with back-off like any other. Nor is a content some validator confirmed holding: a
 * confirmation says a DEK opened the binding (one re-seeded by the publisher, say).
 */
import { bytesToHex, hexToBytes, zeroAddress, type Address, type Hex } from "viem";
import type { ReplicationContent, ReplicationWork } from "../../indexer-client/index.js";
import type { KasKeyRing } from "../../crypto/keys/index.js";
import { decodeHeader, deriveDekForKas, headerKid, TdfError, verifyHeaderPolicy, type NanoTdfHeader } from "../../crypto/tdf/index.js";
import type { UnusableReason } from "../../protocol/unusableReasons.js";
import { Backoff } from "./backoff.js";
import { MAX_REPORTS_IN_FLIGHT, RETRY_BASE_MS, RETRY_MAX_MS } from "./constants.js";
import { failureCode } from "./puller.js";
import type { ReplicationContext } from "./types.js";

export interface OpenRegisteredHeaderParameters {
  header: Hex;
  policyId: bigint;
  keyring: KasKeyRing;
  /** Every KAS key id this node ever registered (the work list's own record), lowercase. */
  kids: readonly Hex[];
}

/** The registration's DEK, or why nobody can derive it (with the codec's code, for logs). */
export type OpenedHeader = { dek: Uint8Array } | { unusable: UnusableReason; code: string };

/**
 * Derives the DEK of a registered header with this node's keys, checking its policy binding
 * (what verifyRegisteredHeader does, step by step so a failure can be told apart). Throws for a
 * failure that is not the registration's: a key this node registered but cannot find.
 */
export function openRegisteredHeader(p: OpenRegisteredHeaderParameters): OpenedHeader {
  let header: NanoTdfHeader;
  try {
    header = decodeHeader(hexToBytes(p.header), { exact: true });
  } catch (error) {
    if (error instanceof TdfError) return { unusable: "MalformedHeader", code: error.code };
    throw error;
  }
  let dek: Uint8Array;
  try {
    dek = deriveDekForKas(header, p.keyring);
  } catch (error) {
    if (!(error instanceof TdfError)) throw error;
    if (error.code !== "TDF_UNKNOWN_KID") return { unusable: "MalformedHeader", code: error.code };
    const kid = headerKid(header);
    if (kid === undefined) return { unusable: "MalformedHeader", code: error.code };
    if (!p.kids.includes(bytesToHex(kid))) return { unusable: "UnknownKasKey", code: error.code };
    throw error;
  }
  try {
    verifyHeaderPolicy(header, dek, p.policyId);
  } catch (error) {
    if (error instanceof TdfError) return { unusable: "PolicyMismatch", code: error.code };
    throw error;
  }
  return { dek };
}

interface Verdict {
  reason: UnusableReason;
  /** The report was mined: nothing is left to do until the indexer drops the content. */
  reported: boolean;
  sending: boolean;
}

/** The verdicts this node reached, each reported once; the planner sends them after a pass's derives. */
export class UnusableReports {
  readonly #ctx: ReplicationContext;
  readonly #verdicts = new Map<Hex, Verdict>();
  readonly #retries = new Backoff({ baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS });
  readonly #sends = new Set<Promise<void>>();

  constructor(ctx: ReplicationContext) {
    this.#ctx = ctx;
  }

  /** Whether this node reached a verdict on the content (it then never derives it again). */
  has(contentId: Hex): boolean {
    return this.#verdicts.has(contentId);
  }

  /** Whether the content's report is still to be mined. */
  pending(contentId: Hex): boolean {
    const verdict = this.#verdicts.get(contentId);
    return verdict !== undefined && !verdict.reported;
  }

  /** Records a verdict (logged once); `send` reports it. */
  add(content: ReplicationContent, reason: UnusableReason, code: string): void {
    if (this.#verdicts.has(content.contentId)) return;
    this.#verdicts.set(content.contentId, { reason, reported: false, sending: false });
    this.#ctx.logger.warn("nobody can derive the DEK from the registered header: reporting the content unusable", {
      contentId: content.contentId,
      reason,
      error: code,
    });
  }

  /**
   * Sends the reports that are due, as the current work list shows their contents (a stake set
   * repaired since the verdict is sent as it is now); forgets verdicts on contents the list no
   * longer has — the indexed report took them out. Only an active validator may report: one that
   * is exiting keeps its verdicts unsent (its members then retry with back-off).
   */
  send(work: ReplicationWork, now: number): void {
    const listed = new Map(work.contents.map((c) => [c.contentId, c]));
    const active = work.node?.status === "active" && !work.node.revoked;
    for (const [id, verdict] of this.#verdicts) {
      const content = listed.get(id);
      if (content === undefined) {
        this.#verdicts.delete(id);
        this.#retries.succeeded(id);
        continue;
      }
      if (!active || verdict.reported || verdict.sending || this.#sends.size >= MAX_REPORTS_IN_FLIGHT || this.#retries.waiting(id, now)) continue;
      verdict.sending = true;
      const sent: Promise<void> = this.#send(content, verdict).finally(() => {
        verdict.sending = false;
        this.#sends.delete(sent);
        this.#ctx.wake();
      });
      this.#sends.add(sent);
    }
  }

  /** Resolves when the reports under way have ended. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#sends);
  }

  async #send(content: ReplicationContent, verdict: Verdict): Promise<void> {
    const id = content.contentId;
    const members = content.mode === "stake" ? content.replicaSet.map((m): Address => m ?? zeroAddress) : [];
    try {
      await this.#ctx.components.reportUnusable({ contentId: id, reason: verdict.reason, members });
      verdict.reported = true;
      this.#ctx.stats.reportedUnusable++;
      this.#ctx.logger.info("reported a content unusable", { contentId: id, reason: verdict.reason });
    } catch (error) {
      // Not active (exiting), a set repaired meanwhile, the RPC: all change, so try again later.
      const code = failureCode(error);
      const failure = this.#retries.failed(id, this.#ctx.clock(), code);
      this.#ctx.logger[failure.newCause ? "warn" : "debug"]("could not report a content unusable", {
        contentId: id,
        error: code,
        failures: failure.failures,
        retryInMs: failure.delayMs,
      });
    }
  }
}
