/**
 * The validator-side public-key work of a rewrap: verifying a session key's P-256 signature,
 * recovering an account's secp256k1 signer, wrapping a DEK to the client's key, and a threshold
 * member's share answer (wrap and KAS-key signature, ./share.ts). It is
 * ~90% of the CPU a session rewrap costs, and all of it is pure, so it can run on the main
 * thread (`InlineRewrapCrypto`) or on worker threads (`WorkerRewrapCrypto`, crypto-pool.ts)
 * while the main thread keeps the store, the caches and the order of checks.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { EnvelopeError, wrapForClient, type EnvelopeErrorCode } from "../../crypto/envelopes/index.js";
import { recoverAddress, sameAddress } from "../../crypto/keys/ethereum.js";
import { P256PrivateKey } from "../../crypto/keys/p256.js";
import { answerShare, ThresholdError, type Share, type ThresholdErrorCode } from "../../crypto/threshold/index.js";
import type { Address } from "../../protocol/rewrap/types.js";

/** What `wrapForClient` takes. */
export interface WrapInput {
  dek: Uint8Array;
  clientPublicKey: Uint8Array;
  requestDigest: Uint8Array;
}

/** A wrap's envelope, or the envelope module's error code for a client key it rejected. */
export type WrapOutcome = { envelope: Uint8Array } | { error: EnvelopeErrorCode };

/**
 * What `answerShare` takes, with the KAS key as its KID and scalar, so that it can cross to a
 * worker thread (which keeps the opened key per KID). The share value and the scalar are the
 * caller's copies: `answerShare` wipes both.
 */
export interface ShareAnswerInput {
  share: Share;
  contentId: Uint8Array;
  requestDigest: Uint8Array;
  clientPublicKey: Uint8Array;
  kasKid: Uint8Array;
  kasScalar: Uint8Array;
}

/** A share answer, or the threshold module's error code for an input it rejected (a bad client key). */
export type ShareAnswerOutcome = { answer: Uint8Array } | { error: ThresholdErrorCode };

/** A request signature to check: a session key's P-256 signature, or an account's secp256k1 one. */
export type SignatureCheck =
  | { kind: "p256"; publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }
  | { kind: "secp256k1"; hash: Uint8Array; signature: Uint8Array; signer: Address };

export interface RewrapCrypto {
  /**
   * Whether the signature holds: ECDSA P-256/SHA-256 over `message` (r‖s), or a secp256k1
   * r‖s‖v over `hash` (low s only) whose signer is `signer`. False for any malformed input.
   */
  checkSignature(check: SignatureCheck): Promise<boolean>;
  /** `wrapForClient`; rejects with the envelope module's error for a bad client key. */
  wrap(dek: Uint8Array, clientPublicKey: Uint8Array, requestDigest: Uint8Array): Promise<Uint8Array>;
  /**
   * Checks the signature and, only if it holds, wraps: one worker trip where `checkSignature`
   * followed by `wrap` take two. Undefined if the signature does not hold
   * (nothing is wrapped then).
   */
  checkThenWrap(check: SignatureCheck, wrap: WrapInput): Promise<WrapOutcome | undefined>;
  /** `answerShare`; rejects with the threshold module's error for a bad client key. Wipes the input's share value and scalar. */
  answerShare(input: ShareAnswerInput): Promise<Uint8Array>;
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

function verifyP256With(cache: P256KeyCache, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = cache.get(publicKey);
  if (key === null || signature.length !== 64) return false;
  try {
    return verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}

export function checkSignature(cache: P256KeyCache, check: SignatureCheck): boolean {
  if (check.kind === "p256") return verifyP256With(cache, check.publicKey, check.message, check.signature);
  const signer = recoverAddress(check.hash, check.signature);
  return signer !== undefined && sameAddress(signer, check.signer);
}

/** `wrapForClient`, with a rejected client key as a value (it crosses a thread boundary as one). */
export function wrapOutcome(wrap: WrapInput): WrapOutcome {
  try {
    return { envelope: wrapForClient(wrap) };
  } catch (error) {
    if (error instanceof EnvelopeError) return { error: error.code };
    throw error;
  }
}

/** The envelope of an outcome, or the EnvelopeError `wrap` throws for a rejected client key. */
export function envelopeOf(outcome: WrapOutcome): Uint8Array {
  if ("error" in outcome) throw new EnvelopeError(outcome.error, "client key rejected by the envelope");
  return outcome.envelope;
}

const KAS_KEY_CACHE_SIZE = 8;

/**
 * Opened KAS keys by KID: opening one from its scalar costs a scalar multiplication, and its
 * signing key is built on first use; a node signs with one current key. A KID names one public
 * key, hence one scalar.
 */
export class KasKeyCache {
  readonly #keys = new Map<string, P256PrivateKey>();

  get(kid: Uint8Array, scalar: Uint8Array): P256PrivateKey {
    const id = Buffer.from(kid.buffer, kid.byteOffset, kid.byteLength).toString("hex");
    let key = this.#keys.get(id);
    if (key === undefined) {
      key = P256PrivateKey.fromBytes(scalar);
      if (this.#keys.size >= KAS_KEY_CACHE_SIZE) this.#keys.delete(this.#keys.keys().next().value!);
      this.#keys.set(id, key);
    }
    return key;
  }
}

/** `answerShare`, with a rejected input as a value; wipes the input's share value and scalar. */
export function shareAnswerOutcome(kasKeys: KasKeyCache, input: ShareAnswerInput): ShareAnswerOutcome {
  try {
    const kasKey = kasKeys.get(input.kasKid, input.kasScalar);
    return { answer: answerShare({ share: input.share, contentId: input.contentId, requestDigest: input.requestDigest, clientPublicKey: input.clientPublicKey, kasKey }) };
  } catch (error) {
    if (error instanceof ThresholdError) return { error: error.code };
    throw error;
  } finally {
    input.share.value.fill(0);
    input.kasScalar.fill(0);
  }
}

/** The answer of an outcome, or the ThresholdError `answerShare` throws for a rejected input. */
export function shareAnswerOf(outcome: ShareAnswerOutcome): Uint8Array {
  if ("error" in outcome) throw new ThresholdError(outcome.error, "share answer input rejected");
  return outcome.answer;
}

/** Everything on the calling thread. */
export class InlineRewrapCrypto implements RewrapCrypto {
  readonly #keys = new P256KeyCache();
  readonly #kasKeys = new KasKeyCache();

  async checkSignature(check: SignatureCheck): Promise<boolean> {
    return checkSignature(this.#keys, check);
  }

  async wrap(dek: Uint8Array, clientPublicKey: Uint8Array, requestDigest: Uint8Array): Promise<Uint8Array> {
    return wrapForClient({ dek, clientPublicKey, requestDigest });
  }

  async checkThenWrap(check: SignatureCheck, wrap: WrapInput): Promise<WrapOutcome | undefined> {
    return checkSignature(this.#keys, check) ? wrapOutcome(wrap) : undefined;
  }

  async answerShare(input: ShareAnswerInput): Promise<Uint8Array> {
    return shareAnswerOf(shareAnswerOutcome(this.#kasKeys, input));
  }

  async close(): Promise<void> {}
}
