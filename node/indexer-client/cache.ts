/**
 * Small in-memory caches: a bounded map with per-entry expiry, and a single-flight table so
 * concurrent misses for one key share one read. The indexer client uses them for its reads;
 * the validator's AccessDecider (node/validator/access) for its decisions.
 */

/** A Map bounded in size (oldest insertion evicted first) whose entries expire at a given time. */
export class BoundedTtlMap<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(key: K, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Runs `load` once per key at a time; callers arriving while it runs get the same promise. */
export class SingleFlight<K, V> {
  readonly #inFlight = new Map<K, Promise<V>>();

  has(key: K): boolean {
    return this.#inFlight.has(key);
  }

  run(key: K, load: () => Promise<V>): Promise<V> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const promise = load().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return promise;
  }
}
