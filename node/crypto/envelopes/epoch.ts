/**
 * Epoch keys (docs/crypto.md#envelopes, "Epoch keys"): a reader's session agrees one key with a validator per epoch —
 * one ECDH — and every DEK served in that epoch travels under it with AES-256-GCM, so a
 * player opening thousands of segments pays no ECDH and no P-256 signature per content.
 *
 * Agreement. The reader's signed epoch-open request names a fresh P-256 key R; the validator
 * answers with a fresh P-256 key V. Both sides derive
 *   HKDF-SHA256(ECDH(R, V), salt = "dekmesh/epoch/v1",
 *               info = openDigest ‖ u64(epoch) ‖ R ‖ V) → wrapKey (32) ‖ macKey (32)
 * where openDigest is the digest of the signed open request (the epoch's id): a key agreed for
 * one open request, epoch and pair of keys is no other's.
 *
 * Requests. Inside the epoch a request is (epochId, contentId, counter), authenticated with
 * HMAC-SHA256 under macKey. Only the reader and this validator hold macKey, so the MAC proves
 * the request to the validator (~2 µs) but to nobody else; the signed open request is the
 * third-party evidence that the reader opened the epoch.
 *
 * Answers. The DEK is sealed with AES-256-GCM under wrapKey. The nonce is the first 12 bytes
 * of SHA-256(domain ‖ requestDigest): a request digest names one content and one counter, and
 * a counter is served once per epoch (the validator's replay check), so no (key, nonce) pair
 * ever seals two different plaintexts. The AAD binds (contentId, requestDigest, epoch).
 */
import { createHash, createHmac } from "node:crypto";
import { aesGcmOpen, aesGcmSeal } from "../keys/aesGcm.js";
import { asBuffer, concatBytes, constantTimeEqual, u64be, utf8 } from "../keys/bytes.js";
import { hkdfSha256 } from "../keys/hkdf.js";
import { isCompressedP256PublicKey, type P256PrivateKey } from "../keys/p256.js";
import { EnvelopeError } from "./errors.js";

export const EPOCH_MAC_LENGTH = 32;
/** AES-256-GCM(DEK) ‖ tag. */
export const EPOCH_WRAPPED_DEK_LENGTH = 48;

const KEY_DOMAIN = utf8("dekmesh/epoch/v1");
const REQUEST_DOMAIN = utf8("dekmesh/epoch/request/v1");
const WRAP_DOMAIN = utf8("dekmesh/epoch/wrap/v1");

/** The two keys of one epoch. Secrets: never log them. */
export interface EpochKeys {
  readonly epochId: Uint8Array;
  readonly epoch: bigint;
  readonly wrapKey: Uint8Array;
  readonly macKey: Uint8Array;
}

export interface AgreeEpochKeysParameters {
  /** This side's fresh P-256 key (the reader's R or the validator's V). */
  ownKey: P256PrivateKey;
  /** The reader's R and the validator's V, compressed; `ownKey` is one of them. */
  readerPublicKey: Uint8Array;
  validatorPublicKey: Uint8Array;
  /** Digest of the signed epoch-open request: the epoch's id. */
  epochId: Uint8Array;
  /** The epoch number, floor(unix seconds / epoch length). */
  epoch: bigint;
}

function require32(value: Uint8Array, what: string): void {
  if (value.length !== 32) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", `${what} must be 32 bytes`, { details: { length: value.length } });
}

/** Both sides: the epoch's keys from one ECDH. */
export function agreeEpochKeys(params: AgreeEpochKeysParameters): EpochKeys {
  require32(params.epochId, "epoch id");
  for (const key of [params.readerPublicKey, params.validatorPublicKey]) {
    if (!isCompressedP256PublicKey(key)) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "epoch keys must be compressed P-256 points");
  }
  const own = params.ownKey.publicKey;
  const readerSide = constantTimeEqual(own, params.readerPublicKey);
  if (!readerSide && !constantTimeEqual(own, params.validatorPublicKey)) {
    throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "own key is neither the reader's nor the validator's epoch key");
  }
  let shared: Uint8Array;
  try {
    shared = params.ownKey.ecdh(readerSide ? params.validatorPublicKey : params.readerPublicKey);
  } catch (cause) {
    throw new EnvelopeError("ENVELOPE_MALFORMED", "peer epoch key is not a point on P-256", { cause });
  }
  const info = concatBytes(params.epochId, u64be(params.epoch), params.readerPublicKey, params.validatorPublicKey);
  const okm = hkdfSha256(shared, KEY_DOMAIN, info, 64);
  shared.fill(0);
  return { epochId: params.epochId.slice(), epoch: params.epoch, wrapKey: okm.slice(0, 32), macKey: okm.slice(32) };
}

/** The digest of one request inside an epoch: also its audit record's requestDigest. */
export function epochRequestDigest(request: { epochId: Uint8Array; contentId: Uint8Array; counter: bigint }): Uint8Array {
  require32(request.epochId, "epoch id");
  require32(request.contentId, "content id");
  if (request.counter < 0n || request.counter >= 1n << 64n) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "counter must fit in 64 bits");
  return new Uint8Array(createHash("sha256").update(REQUEST_DOMAIN).update(request.epochId).update(request.contentId).update(u64be(request.counter)).digest());
}

/** Reader side: authenticate a request to the validator that shares the epoch. */
export function macEpochRequest(keys: EpochKeys, requestDigest: Uint8Array): Uint8Array {
  require32(requestDigest, "request digest");
  return new Uint8Array(createHmac("sha256", asBuffer(keys.macKey)).update(asBuffer(requestDigest)).digest());
}

/** Validator side: true when `mac` authenticates `requestDigest` under this epoch. */
export function verifyEpochRequestMac(keys: EpochKeys, requestDigest: Uint8Array, mac: Uint8Array): boolean {
  return mac.length === EPOCH_MAC_LENGTH && constantTimeEqual(macEpochRequest(keys, requestDigest), mac);
}

function wrapBinding(keys: EpochKeys, contentId: Uint8Array, requestDigest: Uint8Array): { nonce: Uint8Array; aad: Uint8Array } {
  require32(contentId, "content id");
  require32(requestDigest, "request digest");
  const nonce = new Uint8Array(createHash("sha256").update(WRAP_DOMAIN).update(requestDigest).digest().subarray(0, 12));
  return { nonce, aad: concatBytes(WRAP_DOMAIN, contentId, requestDigest, u64be(keys.epoch)) };
}

/** Validator side, after every rewrap check passed and the audit record is persisted. */
export function wrapUnderEpoch(keys: EpochKeys, params: { dek: Uint8Array; contentId: Uint8Array; requestDigest: Uint8Array }): Uint8Array {
  if (params.dek.length !== 32) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "DEK must be 32 bytes");
  const { nonce, aad } = wrapBinding(keys, params.contentId, params.requestDigest);
  return aesGcmSeal(keys.wrapKey, nonce, params.dek, { aad });
}

/** Reader side: the DEK from an answer inside the epoch. */
export function unwrapUnderEpoch(keys: EpochKeys, params: { wrapped: Uint8Array; contentId: Uint8Array; requestDigest: Uint8Array }): Uint8Array {
  if (params.wrapped.length !== EPOCH_WRAPPED_DEK_LENGTH) {
    throw new EnvelopeError("ENVELOPE_MALFORMED", "epoch-wrapped DEK has the wrong length", { details: { length: params.wrapped.length } });
  }
  const { nonce, aad } = wrapBinding(keys, params.contentId, params.requestDigest);
  const dek = aesGcmOpen(keys.wrapKey, nonce, params.wrapped, { aad });
  if (dek === undefined) throw new EnvelopeError("ENVELOPE_DECRYPT_FAILED", "epoch-wrapped DEK failed authentication");
  return dek;
}
