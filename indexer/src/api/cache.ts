// Per-version cache of REST results. An answer computed when its domains were at version V
// stays valid for every later head at which they are still at V (blocks without events in
// those domains change nothing it read), so under steady traffic a request costs a map lookup.
import { db } from "ponder:api";
import type { Domain } from "../../lib/domains.js";
import { currentVersion, type IndexedBlock, type Reader, type Version } from "./version.js";

/** Bounds memory when many distinct keys are asked within one version. */
const MAX_ENTRIES = 20_000;

export class VersionedCache<T> {
  #entries = new Map<string, { fingerprint: string; value: T }>();
  /** Loads under way: clients asking for the same key at once share one statement. */
  #loading = new Map<string, Promise<{ version: Version; value: T }>>();
  #fingerprint: string | undefined;

  /** @param domains What the cached answers read; only their events invalidate them. */
  constructor(readonly domains: readonly Domain[]) {}

  #fingerprintOf(version: Version): string {
    return this.domains.map((d) => version.data[d] ?? "").join("|");
  }

  /**
   * The value for `key` and the head it holds at. On a miss, `load` reads the data and the
   * version in one statement and its own head is returned; on a hit, the polled head (same
   * version of everything the answer read, so the same answer).
   */
  async get(key: string, load: (reader: Reader) => Promise<{ version: Version; value: T }>): Promise<{ head: IndexedBlock; value: T }> {
    const current = await currentVersion();
    const fingerprint = this.#fingerprintOf(current);
    if (this.#fingerprint !== fingerprint) {
      this.#entries.clear();
      this.#fingerprint = fingerprint;
    }
    const hit = this.#entries.get(key);
    if (hit && hit.fingerprint === fingerprint) return { head: current.head, value: hit.value };
    const flightKey = `${fingerprint}\n${key}`;
    let flight = this.#loading.get(flightKey);
    if (!flight) {
      flight = load(db).finally(() => this.#loading.delete(flightKey));
      this.#loading.set(flightKey, flight);
    }
    const { version, value } = await flight;
    const loaded = this.#fingerprintOf(version);
    // Read at another version than the poll saw: answered, but not kept for this one.
    if (loaded === this.#fingerprint) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(key, { fingerprint: loaded, value });
    }
    return { head: version.head, value };
  }
}
