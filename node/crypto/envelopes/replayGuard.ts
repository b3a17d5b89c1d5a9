/**
 * Remembers envelope nonces until their expiry so a captured envelope cannot be delivered
 * twice. Memory is bounded by (envelopes accepted per lifetime window): entries are dropped
 * once expired, and envelopes with lifetimes beyond the receiver's maximum are refused
 * before they get here.
 */
import { bytesToHex } from "viem";


export class ReplayGuard {
  readonly #seen = new Map<string, bigint>();

  /** True if `nonce` was already accepted and has not yet expired at `now`. */
  has(nonce: Uint8Array, now: bigint): boolean {
    const expiresAt = this.#seen.get(bytesToHex(nonce));
    return expiresAt !== undefined && expiresAt > now;
  }

  /** Records an accepted nonce until `expiresAt` and forgets expired ones. */
  record(nonce: Uint8Array, expiresAt: bigint, now: bigint): void {
    for (const [key, expiry] of this.#seen) if (expiry <= now) this.#seen.delete(key);
    this.#seen.set(bytesToHex(nonce), expiresAt);
  }

  get size(): number {
    return this.#seen.size;
  }
}
