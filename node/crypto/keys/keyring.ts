/**
 * The KAS keys a node currently answers for, by KID. Rotation adds a key and makes it
 * current; old keys stay until the operator revokes them, because headers written to them
 * remain in circulation (docs/architecture.md#identities-and-keys).
 */
import { bytesToHex } from "viem";
import { KeyError } from "./errors.js";
import type { P256PrivateKey } from "./p256.js";

export class KasKeyRing {
  readonly #keys = new Map<string, P256PrivateKey>();
  #current: P256PrivateKey | undefined;

  constructor(keys: Iterable<P256PrivateKey> = []) {
    for (const key of keys) this.add(key);
  }

  /** Adds a key and makes it the one new headers are encrypted to. */
  add(key: P256PrivateKey): void {
    this.#keys.set(bytesToHex(key.kid), key);
    this.#current = key;
  }

  /** Forgets a revoked key; the current key cannot be removed (rotate first). */
  remove(kid: Uint8Array): boolean {
    if (this.#current !== undefined && bytesToHex(this.#current.kid) === bytesToHex(kid)) {
      throw new KeyError("KEY_RING_CURRENT_KEY", "cannot remove the current KAS key");
    }
    return this.#keys.delete(bytesToHex(kid));
  }

  get(kid: Uint8Array): P256PrivateKey | undefined {
    return this.#keys.get(bytesToHex(kid));
  }

  get current(): P256PrivateKey {
    if (this.#current === undefined) throw new KeyError("KEY_RING_EMPTY", "the keyring is empty");
    return this.#current;
  }

  get size(): number {
    return this.#keys.size;
  }

  kids(): Uint8Array[] {
    return [...this.#keys.values()].map((key) => key.kid);
  }
}
