/**
 * Answers withheld-service challenges against this node (docs/challenges.md). Each pass reads
 * the Adjudicator's `ChallengeOpened` events naming this node since the last pass (on start,
 * since one answer window back: anything older is past its deadline), and for each open one
 * builds the answer from the DEK in the store or its share of a threshold content and sends
 * `answerWithheld` through the node's transaction submitter. A challenge whose DEK the node does
 * not hold yet asks replication for it and is tried again next pass until its deadline.
 *
 * Metric: challenges_total{kind, outcome} — outcome "answered", "missed" (deadline passed
 * unanswered) or "settled" (someone else settled it first). Log lines: one when a challenge
 * against the node is seen, one when it is answered (with the transaction), a warning when one
 * is missed.
 */
import type { Address, Hash, Hex, PublicClient, TransactionReceipt } from "viem";
import { bytesToHex, hexToBytes } from "viem";
import { adjudicatorAbi } from "../../chain/abis.js";
import type { ContractWrite } from "../../chain/actions/writeContract.js";
import type { P256PrivateKey } from "../../crypto/keys/p256.js";
import type { Logger } from "../../protocol/logger.js";
import type { MetricsRegistry } from "../metrics/index.js";
import type { DekStore } from "../store/index.js";
import type { ShareSource } from "../rewrap/share.js";
import { kasKeyCoordinates, rewrapChallengeAnswer, shareChallengeAnswer, type ChallengeRequest } from "./answer.js";

/** IAdjudicator.ChallengeKind / ChallengeStatus as numbers. */
const KIND = { WithheldRewrap: 1, WithheldShare: 2 } as const;
const STATUS_OPEN = 1;

export interface ChallengeResponderParts {
  publicClient: PublicClient;
  adjudicator: Address;
  /** This node's account: the accused the responder answers for. */
  me: Address;
  store: Pick<DekStore, "getDek" | "currentKasKey">;
  shares?: ShareSource;
  /** Asks replication for a DEK the node should hold but does not yet. */
  onMissingDek(contentId: Hex): void;
  send(write: ContractWrite): Promise<{ hash: Hash; receipt: TransactionReceipt }>;
  metrics: MetricsRegistry;
  logger: Logger;
}

/** What became of a challenge: answered by this node, missed (window closed), or settled by someone else. */
export type Outcome = "answered" | "missed" | "settled";

interface Pending {
  id: bigint;
  kind: number;
  deadline: bigint;
  contentId: Hex;
  request: ChallengeRequest;
}

export class ChallengeResponder {
  readonly #p: ChallengeResponderParts;
  readonly #intervalMs: number;
  readonly #pending = new Map<bigint, Pending>();
  readonly #outcomes;
  #from: bigint | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(parts: ChallengeResponderParts, options: { intervalMs: number }) {
    this.#p = parts;
    this.#intervalMs = options.intervalMs;
    this.#outcomes = parts.metrics.counter("challenges_total", "Withheld-service challenges against this node, by kind and outcome (answered, missed, settled)", ["kind", "outcome"]);
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Challenges seen and not yet answered, missed or settled. */
  get pending(): number {
    return this.#pending.size;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.pass()
        .catch((error: unknown) => this.#p.logger.warn("challenge pass failed", { error: String(error) }))
        .finally(() => this.#schedule(this.#intervalMs));
    }, delayMs);
  }

  /** One pass: new challenges in, every pending one answered or dropped. */
  async pass(): Promise<void> {
    const { publicClient } = this.#p;
    const head = await publicClient.getBlockNumber();
    await this.#scan(head);
    for (const pending of [...this.#pending.values()]) {
      if (this.#stopped) return;
      await this.#answer(pending, head);
    }
  }

  async #scan(head: bigint): Promise<void> {
    const { publicClient, adjudicator, me, logger } = this.#p;
    if (this.#from === undefined) {
      const window = await publicClient.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "answerWindow" });
      this.#from = head > window ? head - window : 0n;
    }
    if (this.#from > head) return;
    const opened = await publicClient.getContractEvents({ address: adjudicator, abi: adjudicatorAbi, eventName: "ChallengeOpened", args: { accused: me }, fromBlock: this.#from, toBlock: head });
    for (const log of opened) {
      const { id, kind, deadline } = log.args as { id: bigint; kind: number; deadline: bigint };
      if ((kind !== KIND.WithheldRewrap && kind !== KIND.WithheldShare) || this.#pending.has(id)) continue;
      const pending = await this.#requestOf(id, kind, BigInt(deadline), log.blockNumber);
      if (pending === undefined) continue;
      this.#pending.set(id, pending);
      logger.info("withheld-service challenge against this node", { id: id.toString(), contentId: pending.contentId, deadline: deadline.toString() });
    }
    this.#from = head + 1n;
  }

  /** The request behind challenge `id`, from the event its opening emitted (in `block` when known). */
  async #requestOf(id: bigint, kind: number, deadline: bigint, block?: bigint): Promise<Pending | undefined> {
    const { publicClient, adjudicator } = this.#p;
    const range = block === undefined ? { fromBlock: 0n } : { fromBlock: block, toBlock: block };
    const [requested] = await publicClient.getContractEvents({ address: adjudicator, abi: adjudicatorAbi, eventName: "WithheldServiceRequested", args: { id }, ...range });
    if (requested === undefined) return undefined;
    const r = requested.args as { contentId: Hex; requestDigest: Hex; clientPublicKey: Hex };
    const request = { contentId: hexToBytes(r.contentId), requestDigest: hexToBytes(r.requestDigest), clientPublicKey: hexToBytes(r.clientPublicKey) };
    return { id, kind, deadline, contentId: r.contentId, request };
  }

  /**
   * Answers challenge `id` now, outside the loop (`dekmesh challenge answer`, for a node whose
   * daemon was down): what happened to it, or "missing" when the node holds nothing to answer with.
   */
  async answerOne(id: bigint): Promise<Outcome | "missing" | "not-mine"> {
    const { publicClient, adjudicator, me } = this.#p;
    const c = await publicClient.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "challenge", args: [id] });
    if (c.accused.toLowerCase() !== me.toLowerCase() || (c.kind !== KIND.WithheldRewrap && c.kind !== KIND.WithheldShare)) return "not-mine";
    const pending = await this.#requestOf(id, c.kind, c.deadline);
    if (pending === undefined) return "not-mine";
    return (await this.#answer(pending, await publicClient.getBlockNumber())) ?? "missing";
  }

  async #answer(pending: Pending, head: bigint): Promise<Outcome | undefined> {
    const { publicClient, adjudicator, logger } = this.#p;
    const kind = pending.kind === KIND.WithheldShare ? "share" : "rewrap";
    const { status } = await publicClient.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: "challenge", args: [pending.id] });
    if (status !== STATUS_OPEN) return this.#done(pending, kind, "settled");
    if (head >= pending.deadline) {
      logger.warn("withheld-service challenge missed: its window closed unanswered", { id: pending.id.toString(), contentId: pending.contentId });
      return this.#done(pending, kind, "missed");
    }
    const answer = await this.#build(pending);
    if (answer === undefined) return undefined;
    const { hash, receipt } = await this.#p.send({ address: adjudicator, abi: adjudicatorAbi, functionName: "answerWithheld", args: [pending.id, answer.bytes, answer.key.x, answer.key.y] });
    logger.info("withheld-service challenge answered", { id: pending.id.toString(), contentId: pending.contentId, tx: hash, block: receipt.blockNumber.toString() });
    return this.#done(pending, kind, "answered");
  }

  /** The answer from what the node holds, or undefined (replication asked) while it holds nothing. */
  async #build(pending: Pending): Promise<{ bytes: Hex; key: { x: Hex; y: Hex } } | undefined> {
    const sign = (bytes: Uint8Array, kasKey: P256PrivateKey) => ({ bytes: bytesToHex(bytes), key: kasKeyCoordinates(kasKey.publicKey) });
    if (pending.kind === KIND.WithheldShare) {
      const held = await this.#p.shares?.share(pending.contentId);
      if (held === undefined) return this.#missing(pending);
      try {
        return sign(shareChallengeAnswer(pending.request, held.share, held.kasKey), held.kasKey);
      } finally {
        held.share.value.fill(0);
      }
    }
    const dek = this.#p.store.getDek(pending.contentId);
    const kasKey = this.#p.store.currentKasKey();
    if (dek === undefined || kasKey === undefined) return this.#missing(pending);
    try {
      return sign(rewrapChallengeAnswer(pending.request, dek, kasKey), kasKey);
    } finally {
      dek.fill(0);
    }
  }

  #missing(pending: Pending): undefined {
    this.#p.logger.info("challenged for a content this node does not hold yet; asking replication", { id: pending.id.toString(), contentId: pending.contentId });
    this.#p.onMissingDek(pending.contentId);
    return undefined;
  }

  #done(pending: Pending, kind: string, outcome: Outcome): Outcome {
    this.#pending.delete(pending.id);
    this.#outcomes.inc({ kind, outcome });
    return outcome;
  }
}
