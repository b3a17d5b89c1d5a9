/**
 * The rewrap envelope: a validator hands a DEK to a reader (docs/architecture.md#rewrap-and-forwarding). Same shape as
 * OpenTDF's KAS NanoTDF rewrap — a fresh session key, ECDH with the client's P-256 key,
 * HKDF (salted with the NanoTDF salt), AES-256-GCM over the DEK — plus a binding to the
 * request: the digest of the signed rewrap request enters the key schedule and the AAD, so
 * an answer captured for one request (one content, one nonce, one expiry) opens for no other,
 * and a forwarding validator (which relays it) learns nothing.
 *
 * Layout (82 bytes):
 *   version           1   0x01
 *   sessionPublicKey 33   compressed P-256
 *   wrappedDek       48   AES-256-GCM(DEK) ‖ tag
 */
import { concatBytes, utf8 } from "../keys/bytes.js";
import type { P256PrivateKey } from "../keys/p256.js";
import { NANOTDF_SALT } from "../tdf/constants.js";
import { REWRAP_ENVELOPE_LENGTH } from "../../protocol/rewrap/constants.js";
import { eciesOpen, eciesSeal } from "./ecies.js";
import { EnvelopeError } from "./errors.js";

export const REWRAP_ENVELOPE_VERSION = 1;
const DOMAIN = utf8("dekmesh/rewrap/v1");

function context(requestDigest: Uint8Array): Uint8Array {
  if (requestDigest.length !== 32) {
    throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "request digest must be 32 bytes", { details: { length: requestDigest.length } });
  }
  return concatBytes(DOMAIN, new Uint8Array([REWRAP_ENVELOPE_VERSION]), requestDigest);
}

/** Validator side: wrap `dek` for the client key named in the request with digest `requestDigest`. */
export function wrapForClient(params: { dek: Uint8Array; clientPublicKey: Uint8Array; requestDigest: Uint8Array }): Uint8Array {
  if (params.dek.length !== 32) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "DEK must be 32 bytes");
  const { ephemeralPublicKey, ciphertext } = eciesSeal({
    recipientPublicKey: params.clientPublicKey,
    plaintext: params.dek,
    salt: NANOTDF_SALT,
    context: context(params.requestDigest),
  });
  return concatBytes(new Uint8Array([REWRAP_ENVELOPE_VERSION]), ephemeralPublicKey, ciphertext);
}

/** Client side: recover the DEK from a validator's answer to the request `requestDigest`. */
export function unwrapRewrap(params: { envelope: Uint8Array; clientPrivateKey: P256PrivateKey; requestDigest: Uint8Array }): Uint8Array {
  const { envelope } = params;
  if (envelope.length !== REWRAP_ENVELOPE_LENGTH) {
    throw new EnvelopeError("ENVELOPE_MALFORMED", "rewrap envelope has the wrong length", { details: { length: envelope.length } });
  }
  if (envelope[0] !== REWRAP_ENVELOPE_VERSION) {
    throw new EnvelopeError("ENVELOPE_UNSUPPORTED_VERSION", "unknown rewrap envelope version", { details: { version: envelope[0] } });
  }
  return eciesOpen({
    recipientKey: params.clientPrivateKey,
    ephemeralPublicKey: envelope.subarray(1, 34),
    ciphertext: envelope.subarray(34),
    salt: NANOTDF_SALT,
    context: context(params.requestDigest),
  });
}
