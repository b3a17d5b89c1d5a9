/**
 * This node as a member of threshold(m, n) contents (docs/threshold.md): its share of a
 * content, from the store, or opened from the registration as /holders serves it — the sealed
 * share of this node's slot, opened with the KAS key its KID names and checked against the
 * commitments before it is stored. Stored shares are confirmed on chain by the holdings lane,
 * as DEKs are.
 *
 * A share this node cannot take (sealed to a KAS key it does not hold, not opening for its
 * content and slot, failing the commitments check, malformed commitments) is the publisher's
 * fault and permanent: a registration never changes. It is logged once, as a warning with its
 * cause, and remembered, so later requests are refused without reading the indexer again.
 * It is not reported on chain: a threshold content with one bad share may still be readable
 * from the other members, and the contract's unusable report is the initial validator's.
 */
import { getAddress, hexToBytes, type Address, type Hex } from "viem";
import type { HoldersInfo, IndexerClient } from "../../indexer-client/index.js";
import type { P256PrivateKey } from "../../crypto/keys/index.js";
import {
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

export type MemberStore = Pick<DekStore, "getShare" | "putShare" | "getKasKey" | "kasKeyRing">;

export interface ThresholdMemberComponents {
  store: MemberStore;
  indexer: Pick<IndexerClient, "holders">;
  /** This node's address. */
  me: Address;
  logger: Logger;
  /** Called when a share was stored: the holdings lane's cue to confirm it. */
  onStored?: () => void;
}

/** What a member serves a share answer with: the share and the KAS key it was sealed to. */
export interface HeldShare {
  share: Share;
  kasKey: P256PrivateKey;
}

/** Contents whose dealt share this node could not take, remembered at most this many. */
const MAX_REFUSED_SHARES = 10_000;

export class ThresholdMember {
  readonly #c: ThresholdMemberComponents;
  /** Insertion order: the oldest is forgotten first beyond MAX_REFUSED_SHARES (it is then refused again, once more logged). */
  readonly #refused = new Set<Hex>();
  readonly #opening = new Map<Hex, Promise<HeldShare | undefined>>();
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
    let opening = this.#opening.get(contentId);
    if (opening === undefined) {
      opening = this.#open(contentId, signal).finally(() => this.#opening.delete(contentId));
      this.#opening.set(contentId, opening);
    }
    return opening;
  }

  #held(contentId: Hex): HeldShare | undefined {
    const stored = this.#c.store.getShare(contentId);
    if (stored === undefined) return undefined;
    const kasKey = this.#c.store.getKasKey(stored.kid);
    if (kasKey === undefined) {
      stored.share.value.fill(0);
      return undefined;
    }
    return { share: stored.share, kasKey };
  }

  async #open(contentId: Hex, signal: AbortSignal | undefined): Promise<HeldShare | undefined> {
    const holders = await this.#c.indexer.holders(contentId, { signal });
    const slot = holders.threshold?.slots.find((s) => s.member === this.#c.me.toLowerCase());
    if (holders.threshold === undefined || slot === undefined || slot.sealedShare === null) return undefined;
    let share: Share;
    try {
      share = this.#openDealt(contentId, holders.threshold.commitments, slot.sealedShare, slot.index);
    } catch (error) {
      if (!(error instanceof ThresholdError)) throw error;
      this.#refuse(contentId, error.code, holders);
      return undefined;
    }
    const { kid } = decodeSealedShare(hexToBytes(slot.sealedShare));
    await this.#c.store.putShare(contentId, share, kid);
    this.opened++;
    this.#c.onStored?.();
    this.#c.logger.info("threshold share opened", { contentId, index: share.index });
    return this.#held(contentId);
  }

  /** Opens this node's sealed share and checks it against the commitments; a ThresholdError if it cannot. */
  #openDealt(contentId: Hex, encodedCommitments: Hex, sealedShare: Hex, index: number): Share {
    const commitments = decodeCommitments(hexToBytes(encodedCommitments));
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

  #refuse(contentId: Hex, code: ThresholdErrorCode, holders: HoldersInfo): void {
    if (this.#refused.size >= MAX_REFUSED_SHARES) this.#refused.delete(this.#refused.values().next().value!);
    this.#refused.add(contentId);
    this.#c.logger.warn("threshold share refused: this node cannot serve the content's share", {
      contentId,
      code,
      publisher: holders.publisher,
      policyId: String(holders.policyId),
    });
  }
}

