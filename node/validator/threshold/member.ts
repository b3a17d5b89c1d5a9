/**
 * This node as a member of threshold(m, n) contents (docs/threshold.md#at-the-member): its share
 * of a content, from the store, or opened from the registration as the node's threshold work
 * list (GET /threshold/:node) serves it — the header's KID checked against C_0, the sealed
 * share of this node's slot opened with the KAS key its KID names and checked against the
 * commitments before it is stored. The work loop (./work.ts) takes every dealt share ahead of
 * reads; a share request for a content not taken yet takes it on the spot. Stored shares are
 * confirmed on chain by the holdings lane, as DEKs are.
 *
 * A share this node cannot take (a header not made against C_0 or without the ECDSA binding,
 * sealed to a KAS key it does not hold, not opening for its content and slot, failing the
 * commitments check, malformed commitments) is the publisher's fault and permanent: a
 * registration never changes. It is logged once, as a warning with its cause, and remembered,
 * so later requests are refused without reading the indexer again. It is not reported on
 * chain: a threshold content with one bad share may still be readable from the other members,
 * and the contract's unusable report is the initial validator's.
 */
import { bytesToHex, getAddress, hexToBytes, type Address, type Hex } from "viem";
import type { IndexerClient, ThresholdWorkContent } from "../../indexer-client/index.js";
import type { P256PrivateKey } from "../../crypto/keys/index.js";
import { decodeHeader } from "../../crypto/tdf/index.js";
import {
  checkThresholdHeader,
  decodeCommitments,
  decodeSealedShare,
  isValidShare,
  openSealedShare,
  ThresholdError,
  type Share,
  type ThresholdErrorCode,
} from "../../crypto/threshold/index.js";
import type { DekStore } from "../store/index.js";
import type { Logger } from "../../protocol/logger.js";

export type MemberStore = Pick<DekStore, "getShare" | "putShare" | "currentKasKey" | "kasKeyRing" | "listKasKeys">;

export interface ThresholdMemberComponents {
  store: MemberStore;
  indexer: Pick<IndexerClient, "thresholdWork">;
  /** This node's address. */
  me: Address;
  logger: Logger;
  /** Called when a share was stored: the holdings lane's cue to confirm it. */
  onStored?: () => void;
}

/**
 * What a member serves a share answer with: the share and the KAS key it signs answers with —
 * its current one, the key the chain lists for it and readers check against. Not the key the
 * share was sealed to: after a rotation that key is no longer the one readers find on chain
 * (docs/threshold.md#kas-key-rotation).
 */
export interface HeldShare {
  share: Share;
  kasKey: P256PrivateKey;
}

/** Contents whose dealt share this node could not take, remembered at most this many. */
const MAX_REFUSED_SHARES = 10_000;

/**
 * Shares kept open in memory, at most this many (32 bytes each): opening a stored share
 * (a read and an AES-GCM open under the storage key) and the current KAS key (an open and a
 * scalar multiplication, then a fresh signing key) on every share request cost about as much
 * as the answer itself.
 */
const MAX_OPEN_SHARES = 1_000;

export class ThresholdMember {
  readonly #c: ThresholdMemberComponents;
  /** Why each refused content was refused. Insertion order: the oldest is forgotten first beyond MAX_REFUSED_SHARES (it is then refused again, once more logged). */
  readonly #refused = new Map<Hex, ThresholdErrorCode>();
  readonly #opening = new Map<Hex, Promise<HeldShare | undefined>>();
  /**
   * Stored shares, opened: least recently served first, wiped when dropped. A stored share never
   * changes (the store refuses a different one for the same content), so an entry never goes stale.
   */
  readonly #open = new Map<Hex, Share>();
  /** The current KAS key, opened once per KID (the store is asked which KID is current on every use: a rotation applies at once). */
  #kasKey: P256PrivateKey | undefined;
  /** Shares opened from registrations and stored. */
  opened = 0;

  constructor(components: ThresholdMemberComponents) {
    this.#c = components;
  }

  /**
   * This node's share of `contentId`, or undefined when it has none to serve: not a threshold
   * content, no slot of this node, a slot whose share comes by enrollment, or a dealt share it
   * could not take. Indexer failures are thrown (the caller's REWRAP_UNAVAILABLE).
   */
  async share(contentId: Hex, signal?: AbortSignal): Promise<HeldShare | undefined> {
    const held = this.#held(contentId);
    if (held !== undefined || this.#refused.has(contentId)) return held;
    return this.#once(contentId, async () => {
      const { contents } = await this.#c.indexer.thresholdWork(this.#c.me, { contentId, signal });
      return contents[0] === undefined ? undefined : this.#take(contents[0]);
    });
  }

  /**
   * Takes this node's dealt share of a content its work list names it for, unless it holds it
   * or refused it already; undefined when it has none to serve (see share()).
   */
  async take(content: ThresholdWorkContent): Promise<HeldShare | undefined> {
    const held = this.#held(content.contentId);
    if (held !== undefined || this.#refused.has(content.contentId)) return held;
    return this.#once(content.contentId, () => this.#take(content));
  }

  /** The code this node refused the content's dealt share with, if it did. */
  refusal(contentId: Hex): ThresholdErrorCode | undefined {
    return this.#refused.get(contentId);
  }

  /** One opening per content at a time: concurrent requests share it. */
  #once(contentId: Hex, open: () => Promise<HeldShare | undefined>): Promise<HeldShare | undefined> {
    let opening = this.#opening.get(contentId);
    if (opening === undefined) {
      opening = open().finally(() => this.#opening.delete(contentId));
      this.#opening.set(contentId, opening);
    }
    return opening;
  }

  /** A copy of the share (the caller wipes it) and the current KAS key, or undefined. */
  #held(contentId: Hex): HeldShare | undefined {
    const kasKey = this.#currentKasKey();
    if (kasKey === undefined) return undefined;
    const share = this.#openShare(contentId);
    return share === undefined ? undefined : { share: { index: share.index, value: share.value.slice() }, kasKey };
  }

  #openShare(contentId: Hex): Share | undefined {
    const key = contentId.toLowerCase() as Hex;
    let share = this.#open.get(key);
    if (share !== undefined) {
      this.#open.delete(key);
    } else {
      share = this.#c.store.getShare(contentId)?.share;
      if (share === undefined) return undefined;
      if (this.#open.size >= MAX_OPEN_SHARES) {
        const oldest = this.#open.keys().next().value!;
        this.#open.get(oldest)!.value.fill(0);
        this.#open.delete(oldest);
      }
    }
    this.#open.set(key, share);
    return share;
  }

  #currentKasKey(): P256PrivateKey | undefined {
    const current = this.#c.store.listKasKeys().find((info) => info.current);
    if (current === undefined) return undefined;
    if (this.#kasKey === undefined || bytesToHex(this.#kasKey.kid) !== current.kid.toLowerCase()) this.#kasKey = this.#c.store.currentKasKey();
    return this.#kasKey;
  }

  async #take(content: ThresholdWorkContent): Promise<HeldShare | undefined> {
    const { contentId } = content;
    const slot = content.slots.find((s) => s.member === this.#c.me.toLowerCase());
    if (slot === undefined || slot.sealedShare === null) return undefined;
    let share: Share;
    try {
      share = this.#openDealt(content, slot.sealedShare, slot.index);
    } catch (error) {
      if (!(error instanceof ThresholdError)) throw error;
      this.#refuse(content, error.code);
      return undefined;
    }
    const { kid } = decodeSealedShare(hexToBytes(slot.sealedShare));
    await this.#c.store.putShare(contentId, share, kid);
    this.opened++;
    this.#c.onStored?.();
    this.#c.logger.info("threshold share opened", { contentId, index: share.index });
    return this.#held(contentId);
  }

  /**
   * Checks the header against the commitments, opens this node's sealed share and checks it
   * against them; a ThresholdError if it cannot.
   */
  #openDealt({ contentId, header, commitments: encoded }: ThresholdWorkContent, sealedShare: Hex, index: number): Share {
    const commitments = checkedCommitments(header, encoded);
    const share = openSealedShare({
      sealed: hexToBytes(sealedShare),
      contentId: hexToBytes(contentId),
      member: getAddress(this.#c.me),
      kasKey: this.#c.store.kasKeyRing(),
      expectedIndex: index,
    });
    if (!isValidShare(commitments, share)) {
      share.value.fill(0);
      throw new ThresholdError("THRESHOLD_SHARE_INVALID", "the dealt share fails the commitments check", { details: { index } });
    }
    return share;
  }

  #refuse({ contentId, policyId }: ThresholdWorkContent, code: ThresholdErrorCode): void {
    if (this.#refused.size >= MAX_REFUSED_SHARES) this.#refused.delete(this.#refused.keys().next().value!);
    this.#refused.set(contentId, code);
    this.#c.logger.warn("threshold share refused: this node cannot serve the content's share", { contentId, code, policyId: String(policyId) });
  }
}

/**
 * The content's commitments, once the header is checked against them: made against C_0 (its
 * KID is C_0's, else THRESHOLD_COMMITMENTS_MISMATCH) with the ECDSA binding. A member checks this
 * before it opens, stores or enrolls a share: a share of a key the header is not made against
 * would serve readers nothing they could use. THRESHOLD_MALFORMED for an unparsable header.
 */
export function checkedCommitments(header: Hex, commitments: Hex): Uint8Array[] {
  const decoded = decodeCommitments(hexToBytes(commitments));
  let parsed: ReturnType<typeof decodeHeader>;
  try {
    parsed = decodeHeader(hexToBytes(header));
  } catch (cause) {
    throw new ThresholdError("THRESHOLD_MALFORMED", "the registered header does not parse", { cause });
  }
  checkThresholdHeader(parsed, decoded);
  return decoded;
}

