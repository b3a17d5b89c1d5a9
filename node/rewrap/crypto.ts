/**
 * The validator-side public-key work of a rewrap: verifying a session key's P-256 signature,
 * recovering an account's secp256k1 signer, and wrapping a DEK to the client's key. It is
 * ~90% of the CPU a session rewrap costs, and all of it is pure, so it can run on the main
 * thread (`InlineRewrapCrypto`) or on worker threads (`WorkerRewrapCrypto`, crypto-pool.ts)
 * while the main thread keeps the store, the caches and the order of checks.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { wrapForClient } from "../envelopes/index.js";
import { recoverAddress } from "../keys/ethereum.js";
import type { Address } from "./types.js";

export interface RewrapCrypto {
  /** ECDSA P-256/SHA-256 over `message`, r‖s; false for any malformed input. */
  verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** The signer of a 65-byte r‖s‖v signature over a 32-byte hash (low s only), or undefined. */
  recoverAddress(hash: Uint8Array, signature: Uint8Array): Promise<Address | undefined>;
  /** `wrapForClient`; rejects with the envelope module's error for a bad client key. */
  wrap(dek: Uint8Array, clientPublicKey: Uint8Array, requestDigest: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

// SubjectPublicKeyInfo prefix of a compressed P-256 point (OpenSSL imports it directly).
const SPKI_P256_COMPRESSED_PREFIX = Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex");
const KEY_CACHE_SIZE = 10_000;

/**
 * OpenSSL KeyObjects of recently used P-256 public keys: importing a key costs as much as the
 * verification itself, and a session key signs many requests.
 */
export class P256KeyCache {
  readonly #keys = new Map<string, KeyObject | null>();

  /** The key, or null if the bytes are not a point on P-256. */
  get(publicKey: Uint8Array): KeyObject | null {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("hex");
    let key = this.#keys.get(id);
    if (key !== undefined) return key;
    try {
      key = publicKey.length === 33 ? createPublicKey({ key: Buffer.concat([SPKI_P256_COMPRESSED_PREFIX, publicKey]), format: "der", type: "spki" }) : null;
    } catch {
      key = null;
    }
    if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.delete(this.#keys.keys().next().value!);
    this.#keys.set(id, key);
    return key;
  }
}

export function verifyP256With(cache: P256KeyCache, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = cache.get(publicKey);
  if (key === null || signature.length !== 64) return false;
  try {
    return verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}

/** Everything on the calling thread. */
export class InlineRewrapCrypto implements RewrapCrypto {
  readonly #keys = new P256KeyCache();

  async verifyP256(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return verifyP256With(this.#keys, publicKey, message, signature);
  }

  async recoverAddress(hash: Uint8Array, signature: Uint8Array): Promise<Address | undefined> {
    return recoverAddress(hash, signature);
  }

  async wrap(dek: Uint8Array, clientPublicKey: Uint8Array, requestDigest: Uint8Array): Promise<Uint8Array> {
    return wrapForClient({ dek, clientPublicKey, requestDigest });
  }

  async close(): Promise<void> {}
}
