/**
 * Blinded enrollment between live validators (docs/threshold.md#healing-blinded-enrollment), both
 * sides, over `/dekmesh/threshold-enroll/1.0.0` (../p2p/enrollment.ts).
 *
 * The replacement (enroll): for a slot the chain repaired to this node — a fresh index r, the
 * member it replaces as `previous`, no dealt share — it picks m helpers among the content's
 * other settled members that are active, lowest index first, asks each for its contribution,
 * and combines them (completeEnrollment: every contribution checked alone against the
 * commitments, the masks' sum, the result). A helper that cannot be reached or refuses is left
 * out and the next one asked; a helper whose signed contribution fails its check is named
 * (warning log, threshold_enrollment_faults_total{helper,code}) and left out as well. The share
 * is stored sealed like a dealt one; the work loop then confirms the enrollment on chain.
 *
 * A helper (contribute): answers only the member of a slot the chain shows enrolling at index
 * r, for a helper set of m or more settled, active members that includes itself, and only with
 * a share it holds; its contribution masks λ_h(r)·f(h) with masks only the other helpers share.
 * Everything it checks comes from the chain through the indexer, not from the request: the
 * slots, the members' KAS keys and peer ids.
 */
import { p256 } from "@noble/curves/nist.js";
import { bytesToHex, concat, hexToBytes, keccak256, numberToHex, type Address, type Hex } from "viem";
import type { ActiveValidator, IndexerClient, ThresholdSlot, ThresholdWorkContent } from "../../indexer-client/index.js";
import { kasKeyId } from "../../crypto/keys/kid.js";
import {
  completeEnrollment,
  contributeToEnrollment,
  ENROLLMENT_CONTRIBUTION_LENGTH,
  ThresholdError,
  type EnrollmentHelper,
  type Share,
} from "../../crypto/threshold/index.js";
import { DekmeshError } from "../../protocol/errors.js";
import { errorFields, type Logger } from "../../protocol/logger.js";
import { validatorDialTarget, type P2pNode } from "../p2p/index.js";
import {
  decodeEnrollRequest,
  encodeEnrollRequest,
  MAX_ENROLL_ANSWER_BYTES,
  MAX_ENROLL_REQUEST_BYTES,
  PROTOCOL_THRESHOLD_ENROLL,
  type EnrollRequest,
} from "../p2p/enrollment.js";
import type { DekStore } from "../store/index.js";
import { checkedCommitments, type ThresholdMember } from "./member.js";

/** Why a helper refused a contribution (sent to the requester; never secret). */
export type EnrollmentRefusalCode =
  /** The indexer does not show the content, or no slot at index r being enrolled by the requester (maybe not yet). */
  | "ENROLL_NOT_ENROLLING"
  /** The helper set is not m or more settled, active members other than r including this one. */
  | "ENROLL_BAD_HELPERS"
  /** This node holds no share to contribute, or its registered KAS key is not yet indexed. */
  | "ENROLL_NOT_HELPER";

export class EnrollmentRefusal extends DekmeshError<EnrollmentRefusalCode> {
  override name = "EnrollmentRefusal";
  override get retryable(): boolean {
    return this.code !== "ENROLL_BAD_HELPERS";
  }
}

export interface ThresholdEnrollmentComponents {
  p2p: Pick<P2pNode, "handle" | "unhandle" | "request">;
  store: Pick<DekStore, "putShare" | "currentKasKey">;
  indexer: Pick<IndexerClient, "thresholdWork" | "activeValidators">;
  member: Pick<ThresholdMember, "share">;
  /** This node's address. */
  me: Address;
  logger: Logger;
  /** A helper named for a contribution that failed its check. */
  onFault?: (helper: Address, code: string) => void;
  /** Called when an enrolled share was stored. */
  onStored?: () => void;
}

/** Test-only faults, all off; nothing but a test sets them. */
export interface EnrollmentFaults {
  /** Contribute with f(h) + 1 instead of f(h): a wrong value under a valid signature. */
  wrongContribution: boolean;
}

/**
 * Unique per repair and the same for every party: the content, the fresh index r (indexes only
 * grow, so r is never given twice for a content) and the member it was given to.
 */
export function enrollmentSession(contentId: Hex, index: number, member: Address): Uint8Array {
  return hexToBytes(keccak256(concat([contentId, numberToHex(index, { size: 2 }), member.toLowerCase() as Hex])));
}

const isSettled = (slot: ThresholdSlot) => slot.previous === null;

export class ThresholdEnrollment {
  readonly #c: ThresholdEnrollmentComponents;
  readonly faults: EnrollmentFaults = { wrongContribution: false };
  /** Per content being enrolled: the helper indexes named for a contribution that failed its check. */
  readonly #named = new Map<Hex, Set<number>>();
  /** Contributions this node sent as a helper, and shares it enrolled as a replacement. */
  contributed = 0;
  enrolled = 0;

  constructor(components: ThresholdEnrollmentComponents) {
    this.#c = components;
  }

  async start(): Promise<void> {
    await this.#c.p2p.handle(PROTOCOL_THRESHOLD_ENROLL, (request, { peer, signal }) => this.#contribute(decodeEnrollRequest(request), peer, signal), {
      maxRequestBytes: MAX_ENROLL_REQUEST_BYTES,
      maxResponseBytes: MAX_ENROLL_ANSWER_BYTES,
    });
  }

  async stop(): Promise<void> {
    await this.#c.p2p.unhandle(PROTOCOL_THRESHOLD_ENROLL).catch(() => {});
  }

  // ------------------------------------------------------------------ helper

  async #contribute(request: EnrollRequest, peer: string, signal: AbortSignal): Promise<Uint8Array> {
    const { contentId, index } = request;
    const [{ contents }, { validators }] = await Promise.all([
      this.#c.indexer.thresholdWork(this.#c.me, { contentId, signal }),
      this.#c.indexer.activeValidators({ signal }),
    ]);
    const content = contents[0];
    const enrolling = content?.slots.find((s) => s.index === index && !isSettled(s) && s.sealedShare === null);
    const newMember = enrolling && validators.find((v) => v.node === enrolling.member);
    if (content === undefined || newMember?.peerId !== peer) {
      throw new EnrollmentRefusal("ENROLL_NOT_ENROLLING", "no slot of this content is being enrolled at this index by the requester", { details: { contentId, index } });
    }
    const helpers = helperSet(content, request.helpers, validators);
    const mine = content.slots.find((s) => s.member === this.#c.me.toLowerCase())!;
    const kasKey = this.#c.store.currentKasKey();
    const self = helpers.find((h) => h.index === mine.index);
    if (self === undefined || kasKey === undefined || bytesToHex(self.kasPublicKey) !== bytesToHex(kasKey.publicKey)) {
      throw new EnrollmentRefusal("ENROLL_NOT_HELPER", "this node is not a helper of the set under its registered KAS key", { details: { contentId, index } });
    }
    const held = await this.#c.member.share(contentId, signal);
    if (held === undefined || held.share.index !== mine.index) {
      held?.share.value.fill(0);
      throw new EnrollmentRefusal("ENROLL_NOT_HELPER", "this node holds no share of the content", { details: { contentId } });
    }
    const share = this.faults.wrongContribution ? offByOne(held.share) : held.share;
    try {
      const contribution = contributeToEnrollment({
        contentId: hexToBytes(contentId),
        session: enrollmentSession(contentId, index, newMember.node),
        newMember: { index, kasPublicKey: hexToBytes(newMember.kasPublicKey) },
        helpers,
        share,
        kasKey,
      });
      this.contributed++;
      this.#c.logger.info("threshold enrollment contribution sent", { contentId, index, helpers: request.helpers });
      return contribution;
    } finally {
      held.share.value.fill(0);
      share.value.fill(0);
    }
  }

  // ------------------------------------------------------------------ replacement

  /**
   * Enrolls this node into its repaired slot of `content` and stores the share; false when it
   * cannot yet (not enough helpers answered or passed their checks: the next pass tries again).
   * Throws a ThresholdError for a content whose header is not made against C_0.
   */
  async enroll(content: ThresholdWorkContent, signal?: AbortSignal): Promise<boolean> {
    const { contentId } = content;
    const me = this.#c.me.toLowerCase() as Address;
    const slot = content.slots.find((s) => s.member === me);
    if (slot === undefined || isSettled(slot) || slot.sealedShare !== null) return false;
    const commitments = checkedCommitments(content.header, content.commitments);
    const kasKey = this.#c.store.currentKasKey();
    const { validators } = await this.#c.indexer.activeValidators({ signal });
    const active = new Map(validators.map((v) => [v.node, v]));
    if (kasKey === undefined || active.get(me)?.kasPublicKey !== bytesToHex(kasKey.publicKey)) return false;
    // Helpers named before for this content are asked last: a cheater costs one round, not one per pass.
    const named = this.#named.get(contentId) ?? new Set<number>();
    const candidates = content.slots
      .filter((s) => isSettled(s) && s.member !== me && active.has(s.member))
      .sort((a, b) => Number(named.has(a.index)) - Number(named.has(b.index)) || a.index - b.index);
    const left = new Set<number>();
    const name = (helper: ThresholdSlot, code: string) => {
      this.#name(contentId, helper, code);
      this.#named.set(contentId, named.add(helper.index));
      left.add(helper.index);
    };
    for (;;) {
      const set = candidates.filter((s) => !left.has(s.index)).slice(0, content.m);
      if (set.length < content.m) {
        this.#c.logger.info("threshold enrollment waits: fewer than m helpers answered", { contentId, index: slot.index, left: [...left] });
        return false;
      }
      const request: EnrollRequest = { contentId, index: slot.index, helpers: set.map((s) => s.index) };
      const answers = await Promise.all(set.map((s) => this.#ask(active.get(s.member)!, request, signal)));
      const unanswered = set.filter((_, i) => answers[i] === undefined);
      if (unanswered.length > 0) {
        for (const s of unanswered) left.add(s.index);
        continue;
      }
      // Each answer came over the helper's own authenticated stream: one that is not a
      // contribution under its own index is that helper's.
      const misfit = set.find((s, i) => answers[i]!.length !== ENROLLMENT_CONTRIBUTION_LENGTH || ((answers[i]![1]! << 8) | answers[i]![2]!) !== s.index);
      if (misfit !== undefined) {
        name(misfit, "THRESHOLD_MALFORMED");
        continue;
      }
      let share: Share;
      try {
        share = completeEnrollment({
          contentId: hexToBytes(contentId),
          session: enrollmentSession(contentId, slot.index, me),
          newMember: { index: slot.index, kasKey },
          helpers: set.map((s) => ({ index: s.index, kasPublicKey: hexToBytes(active.get(s.member)!.kasPublicKey) })),
          contributions: answers as Uint8Array[],
          commitments,
        });
      } catch (error) {
        const at = error instanceof ThresholdError ? set.find((s) => s.index === error.details.index) : undefined;
        if (at === undefined || !(error instanceof ThresholdError)) throw error;
        name(at, error.code);
        continue;
      }
      await this.#c.store.putShare(contentId, share, kasKeyId(kasKey.publicKey));
      this.#named.delete(contentId);
      share.value.fill(0);
      this.enrolled++;
      this.#c.onStored?.();
      this.#c.logger.info("threshold share enrolled", { contentId, index: slot.index, helpers: request.helpers });
      return true;
    }
  }

  /** Names a helper whose contribution failed its check. */
  #name(contentId: Hex, helper: ThresholdSlot, code: string): void {
    this.#c.logger.warn("threshold enrollment: a helper sent a contribution that fails its check", { contentId, helper: helper.member, helperIndex: helper.index, code });
    this.#c.onFault?.(helper.member, code);
  }

  /** A helper's contribution, or undefined if it could not be had (logged). */
  async #ask(helper: ActiveValidator, request: EnrollRequest, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    try {
      return await this.#c.p2p.request(validatorDialTarget(helper), PROTOCOL_THRESHOLD_ENROLL, encodeEnrollRequest(request), { signal, maxResponseBytes: MAX_ENROLL_ANSWER_BYTES });
    } catch (error) {
      this.#c.logger.info("threshold enrollment: a helper did not contribute", { contentId: request.contentId, helper: helper.node, ...errorFields(error) });
      return undefined;
    }
  }
}

/**
 * The helpers named by `indexes` with their registered KAS keys: each a settled slot of the
 * content whose member is active, m or more of them. ENROLL_BAD_HELPERS otherwise.
 */
function helperSet(content: ThresholdWorkContent, indexes: readonly number[], validators: readonly ActiveValidator[]): EnrollmentHelper[] {
  const helpers = indexes.map((index) => {
    const slot = content.slots.find((s) => s.index === index && isSettled(s));
    const member = slot && validators.find((v) => v.node === slot.member);
    return member && { index, kasPublicKey: hexToBytes(member.kasPublicKey) };
  });
  if (helpers.length < content.m || helpers.some((h) => h === undefined)) {
    throw new EnrollmentRefusal("ENROLL_BAD_HELPERS", "helpers must be m or more settled slots of active members", { details: { contentId: content.contentId, helpers: indexes } });
  }
  return helpers as EnrollmentHelper[];
}

/** The test-only fault's share: f(h) + 1. */
function offByOne(share: Share): Share {
  const value = (BigInt(bytesToHex(share.value)) + 1n) % p256.Point.Fn.ORDER;
  return { index: share.index, value: hexToBytes(numberToHex(value, { size: 32 })) };
}
