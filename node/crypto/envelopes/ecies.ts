/**
 * P-256 ECIES, the one construction under all three envelopes: a fresh ephemeral key, ECDH
 * with the recipient's key (natively), HKDF-SHA256, AES-256-GCM. As in HPKE's base mode the
 * GCM key and nonce both come out of the key schedule: the ephemeral key is new for every
 * envelope, so each AES key encrypts exactly one message and no nonce needs to travel.
 *
 * `context` goes into the HKDF info (together with both public keys) and into the GCM AAD,
 * so an envelope opens only for the exact purpose, request, content and recipient it was
 * sealed for.
 */
import { aesGcmOpen, aesGcmSeal } from "../keys/aesGcm.js";
import { concatBytes } from "../keys/bytes.js";
import { hkdfSha256 } from "../keys/hkdf.js";
import { ephemeralEcdh, isCompressedP256PublicKey, P256PrivateKey } from "../keys/p256.js";
import { EnvelopeError } from "./errors.js";

export const ECIES_OVERHEAD = 33 + 16;

function keySchedule(
  sharedSecret: Uint8Array,
  salt: Uint8Array,
  context: Uint8Array,
  ephemeralPublicKey: Uint8Array,
  recipientPublicKey: Uint8Array,
): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdfSha256(sharedSecret, salt, concatBytes(context, ephemeralPublicKey, recipientPublicKey), 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32) };
}

export function eciesSeal(params: {
  recipientPublicKey: Uint8Array;
  plaintext: Uint8Array;
  salt: Uint8Array;
  context: Uint8Array;
}): { ephemeralPublicKey: Uint8Array; ciphertext: Uint8Array } {
  if (!isCompressedP256PublicKey(params.recipientPublicKey)) {
    throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "recipient key must be a compressed P-256 point");
  }
  let exchange: ReturnType<typeof ephemeralEcdh>;
  try {
    exchange = ephemeralEcdh(params.recipientPublicKey);
  } catch (cause) {
    throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "recipient key is not a point on P-256", { cause });
  }
  const { ephemeralPublicKey, sharedSecret } = exchange;
  const { key, nonce } = keySchedule(sharedSecret, params.salt, params.context, ephemeralPublicKey, params.recipientPublicKey);
  return { ephemeralPublicKey, ciphertext: aesGcmSeal(key, nonce, params.plaintext, { aad: params.context }) };
}

/** Opens an ECIES ciphertext; throws ENVELOPE_DECRYPT_FAILED for any mismatch. */
export function eciesOpen(params: {
  recipientKey: P256PrivateKey;
  ephemeralPublicKey: Uint8Array;
  ciphertext: Uint8Array;
  salt: Uint8Array;
  context: Uint8Array;
}): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = params.recipientKey.ecdh(params.ephemeralPublicKey);
  } catch (cause) {
    throw new EnvelopeError("ENVELOPE_MALFORMED", "envelope key is not a point on P-256", { cause });
  }
  const { key, nonce } = keySchedule(shared, params.salt, params.context, params.ephemeralPublicKey, params.recipientKey.publicKey);
  const plaintext = aesGcmOpen(key, nonce, params.ciphertext, { aad: params.context });
  if (plaintext === undefined) throw new EnvelopeError("ENVELOPE_DECRYPT_FAILED", "envelope failed authentication");
  return plaintext;
}
