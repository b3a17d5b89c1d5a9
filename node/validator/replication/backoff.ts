/**
 * When to try failed work again — a content's pull or derive, a verdict's transaction, a repair:
 * the wait doubles with every failure in a row, from `baseMs` up to `maxMs`, jittered to ½–1× so
 * the members of a set do not retry in step. A content whose pulls can never succeed then costs
 * a member a handful of tries in its first minute and one every few minutes after, instead of
 * one a pass. A new `situation` (what a retry works with: the content's holders and replica set,
 * the active set) ends the wait and the count — it is a new attempt, not a repeat. Each cause is
 * reported new once per key, so a content that keeps failing is logged once per cause.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Uniform in [0, 1); Math.random unless given. */
  random?: () => number;
}

export interface Failure {
  /** Failures in a row, this one included. */
  failures: number;
  /** How long the key now waits. */
  delayMs: number;
  /** The first failure of this key with this cause (worth a log line; the repeats are not). */
  newCause: boolean;
}

interface Entry {
  failures: number;
  until: number;
  situation: string;
  causes: Set<string>;
}

export class Backoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: BackoffOptions) {
    this.#baseMs = options.baseMs;
    this.#maxMs = options.maxMs;
    this.#random = options.random ?? Math.random;
  }

  /** Keys with a failure on record. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `key` still waits at `now` (clock ms); a changed `situation` ends its wait (and its count, at the next failure). */
  waiting(key: string, now: number, situation = ""): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.situation === situation && entry.until > now;
  }

  /** Records a failure of `key` at `now` and sets its next wait. */
  failed(key: string, now: number, cause: string, situation = ""): Failure {
    let entry = this.#entries.get(key);
    if (entry === undefined || entry.situation !== situation) {
      entry = { failures: 0, until: 0, situation, causes: new Set() };
      this.#entries.set(key, entry);
    }
    entry.failures++;
    // 2^30 × baseMs is far past any cap; the exponent stops there so it never overflows to Infinity.
    const ceiling = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(entry.failures - 1, 30));
    const delayMs = Math.round(ceiling * (0.5 + this.#random() / 2));
    entry.until = now + delayMs;
    const newCause = !entry.causes.has(cause);
    entry.causes.add(cause);
    return { failures: entry.failures, delayMs, newCause };
  }

  /** The work succeeded: the next failure starts over. */
  succeeded(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets every key `keep` refuses (contents that left the work list). */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.#entries.keys()) if (!keep(key)) this.#entries.delete(key);
  }
}
