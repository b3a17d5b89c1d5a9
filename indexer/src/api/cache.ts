// Per-data-version cache of REST results. An entry computed at data version D stays valid
// for every later head with the same D (blocks without events change nothing), so under
// steady traffic a request costs a map lookup; a new event version empties the cache.
import { currentVersion, snapshot, type IndexedBlock, type Reader } from "./version.js";

/** Bounds memory when many distinct keys are asked within one data version. */
const MAX_ENTRIES = 20_000;

export class VersionedCache<T> {
  #entries = new Map<string, { data: string; value: T }>();
  #data: string | undefined;

  /**
   * The value for `key` and the head it holds at. On a miss, `load` runs in a snapshot and its
   * own head is returned; on a hit, the polled head (same data version, so the same data).
   */
  async get(key: string, load: (reader: Reader) => Promise<T>): Promise<{ head: IndexedBlock; value: T }> {
    const current = await currentVersion();
    if (this.#data !== current.data) {
      this.#entries.clear();
      this.#data = current.data;
    }
    const hit = this.#entries.get(key);
    if (hit && hit.data === current.data) return { head: current.head, value: hit.value };
    const { version, value } = await snapshot(load);
    // A snapshot newer or older than the poll is answered but not kept: it belongs to another version.
    if (version.data === this.#data) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(key, { data: version.data, value });
    }
    return { head: version.head, value };
  }
}
