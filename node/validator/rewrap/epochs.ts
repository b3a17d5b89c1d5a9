/**
 * The validator's open epochs (docs/crypto.md, epoch keys): for each epoch a reader opened
 * here, its keys, its account and the counters already served. Memory only — after a restart
 * readers open again, which costs one signed request each.
 *
 * Bounds, because opening is cheap for anyone with an account: at most `maxEpochsPerAccount`
 * epochs per account (the oldest goes first) and `maxEpochs` in all (least recently used goes
 * first); each epoch's replay state is a fixed window of `replayWindow` counters above the
 * lowest one still accepted (IPsec's anti-replay window, RFC 4303 §3.4.3), so a reader may
 * have that many requests in flight out of order, and an epoch costs the same memory whether
 * it served ten requests or ten million.
 *
 * No route opens epochs yet: the epoch-open and epoch-rewrap paths of issue #27 are to be built
 * on this table and on node/crypto/envelopes/epoch.ts, each tested on its own until then.
 */
import { bytesToHex, type Address, type Hex } from "viem";
import type { EpochKeys } from "../../crypto/envelopes/index.js";

export interface EpochTableOptions {
  /** Seconds per epoch (default 300). */
  epochLengthS?: number;
  /** Seconds into an epoch during which the previous one is still accepted (default 60). */
  graceS?: number;
  maxEpochs?: number;
  maxEpochsPerAccount?: number;
  replayWindow?: number;
}

export interface OpenEpoch {
  readonly keys: EpochKeys;
  readonly account: Address;
}

/** Why an epoch request cannot be served from the table. */
export type EpochLookupRefusal = "EPOCH_UNKNOWN" | "EPOCH_RETIRED" | "EPOCH_REPLAYED";

export type EpochLookup = { ok: true; epoch: OpenEpoch } | { ok: false; refusal: EpochLookupRefusal };

/** Counters seen, as a bitmap sliding up with the highest counter (RFC 4303 §3.4.3). */
export class ReplayWindow {
  readonly #size: number;
  readonly #bits: Uint8Array;
  /** One above the highest counter accepted so far. */
  #top = 0n;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 8 || size % 8 !== 0) throw new RangeError("replay window must be a positive multiple of 8");
    this.#size = size;
    this.#bits = new Uint8Array(size / 8);
  }

  /** Records `counter` and returns true, or false if it was seen or has slid out of the window. */
  accept(counter: bigint): boolean {
    const size = BigInt(this.#size);
    if (counter >= this.#top) {
      const advance = counter - this.#top + 1n;
      if (advance >= size) this.#bits.fill(0);
      else for (let c = this.#top; c <= counter; c++) this.#clear(c);
      this.#top = counter + 1n;
      this.#set(counter);
      return true;
    }
    if (this.#top - counter > size) return false;
    if (this.#isSet(counter)) return false;
    this.#set(counter);
    return true;
  }

  #slot(counter: bigint): [number, number] {
    const bit = Number(counter % BigInt(this.#size));
    return [bit >> 3, 1 << (bit & 7)];
  }
  #isSet(counter: bigint): boolean {
    const [byte, mask] = this.#slot(counter);
    return (this.#bits[byte]! & mask) !== 0;
  }
  #set(counter: bigint): void {
    const [byte, mask] = this.#slot(counter);
    this.#bits[byte]! |= mask;
  }
  #clear(counter: bigint): void {
    const [byte, mask] = this.#slot(counter);
    this.#bits[byte]! &= ~mask;
  }
}

interface Entry extends OpenEpoch {
  readonly replay: ReplayWindow;
}

export class EpochTable {
  readonly epochLengthS: number;
  readonly graceS: number;
  readonly #maxEpochs: number;
  readonly #maxPerAccount: number;
  readonly #replayWindow: number;
  /** Insertion order doubles as recency: a lookup re-inserts its entry. */
  readonly #entries = new Map<Hex, Entry>();
  readonly #byAccount = new Map<Address, Hex[]>();

  constructor(options: EpochTableOptions = {}) {
    this.epochLengthS = options.epochLengthS ?? 300;
    this.graceS = options.graceS ?? 60;
    this.#maxEpochs = options.maxEpochs ?? 100_000;
    this.#maxPerAccount = options.maxEpochsPerAccount ?? 4;
    this.#replayWindow = options.replayWindow ?? 4096;
    if (!(this.epochLengthS > 0 && this.graceS >= 0 && this.graceS < this.epochLengthS)) {
      throw new RangeError("epoch length must be positive and the grace period shorter than an epoch");
    }
  }

  /** The epoch number at unix second `now`. */
  current(now: number): bigint {
    return BigInt(Math.floor(now / this.epochLengthS));
  }

  /** Whether requests under epoch `epoch` are served at `now`: the current one, or the previous within the grace period. */
  accepts(epoch: bigint, now: number): boolean {
    const current = this.current(now);
    if (epoch === current) return true;
    return epoch === current - 1n && now - Number(current) * this.epochLengthS < this.graceS;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Keeps an epoch just agreed (the open request passed every check). */
  open(epoch: OpenEpoch): void {
    const id = bytesToHex(epoch.keys.epochId);
    this.#remove(id);
    for (let ids = this.#byAccount.get(epoch.account); ids !== undefined && ids.length >= this.#maxPerAccount; ids = this.#byAccount.get(epoch.account)) {
      this.#remove(ids[0]!);
    }
    while (this.#entries.size >= this.#maxEpochs) this.#remove(this.#entries.keys().next().value!);
    this.#entries.set(id, { ...epoch, replay: new ReplayWindow(this.#replayWindow) });
    this.#byAccount.set(epoch.account, [...(this.#byAccount.get(epoch.account) ?? []), id]);
  }

  /**
   * The epoch a request names, if it is open, still accepted at `now`, and `counter` was not
   * served in it. Call only once the request's MAC checked out (`peek` gives the keys to check
   * it with): a forged request must not use up a counter.
   */
  take(epochId: Hex, counter: bigint, now: number): EpochLookup {
    const found = this.peek(epochId, now);
    if (!found.ok) return found;
    const entry = this.#entries.get(epochId)!;
    if (!entry.replay.accept(counter)) return { ok: false, refusal: "EPOCH_REPLAYED" };
    return found;
  }

  /** The open epoch `epochId` if it is still accepted at `now`; retired ones are dropped. */
  peek(epochId: Hex, now: number): EpochLookup {
    const entry = this.#entries.get(epochId);
    if (entry === undefined) return { ok: false, refusal: "EPOCH_UNKNOWN" };
    if (!this.accepts(entry.keys.epoch, now)) {
      this.#remove(epochId);
      return { ok: false, refusal: "EPOCH_RETIRED" };
    }
    this.#entries.delete(epochId);
    this.#entries.set(epochId, entry);
    return { ok: true, epoch: entry };
  }

  /** Drops every epoch no longer accepted at `now` (call now and then; lookups drop lazily too). */
  sweep(now: number): number {
    let dropped = 0;
    for (const [id, entry] of this.#entries) {
      if (!this.accepts(entry.keys.epoch, now)) {
        this.#remove(id);
        dropped++;
      }
    }
    return dropped;
  }

  #remove(id: Hex): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    entry.keys.wrapKey.fill(0);
    entry.keys.macKey.fill(0);
    const ids = this.#byAccount.get(entry.account)!.filter((other) => other !== id);
    if (ids.length === 0) this.#byAccount.delete(entry.account);
    else this.#byAccount.set(entry.account, ids);
  }
}
