/**
 * DEK derivation, exactly as the NanoTDF spec §4 defines the payload key:
 * DEK = HKDF-SHA256(ikm = ECDH(ephemeral, KAS key).x, salt = SHA-256("L1L"), info = "", 32 bytes).
 * OpenTDF tooling derives the same key from the same header, which keeps dekmesh files
 * decryptable by any NanoTDF implementation that is handed the key.
 */
import { bytesToHex } from "viem";
import { hkdfSha256 } from "../keys/hkdf.js";
import { KasKeyRing } from "../keys/keyring.js";
import { bytesEqual } from "../keys/bytes.js";
import { P256PrivateKey } from "../keys/p256.js";
import { NANOTDF_SALT } from "./constants.js";
import { TdfError } from "./errors.js";
import { headerKid, type NanoTdfHeader } from "./header.js";

export const DEK_LENGTH = 32;
const EMPTY = new Uint8Array(0);

/** Throws TDF_INVALID_ARGUMENT unless `dek` is 32 bytes (a DEK from a caller or a callback). */
export function checkDek(dek: Uint8Array): Uint8Array {
  if (!(dek instanceof Uint8Array) || dek.length !== DEK_LENGTH) throw new TdfError("TDF_INVALID_ARGUMENT", "DEK must be 32 bytes");
  return dek;
}

export function dekFromSharedSecret(sharedSecret: Uint8Array): Uint8Array {
  return hkdfSha256(sharedSecret, NANOTDF_SALT, EMPTY, DEK_LENGTH);
}

/** Something that can answer for a header's KAS key: one key, its raw scalar, or a keyring. */
export type KasPrivateKeyInput = P256PrivateKey | Uint8Array | KasKeyRing;

function selectKey(header: NanoTdfHeader, input: KasPrivateKeyInput): P256PrivateKey {
  const kid = headerKid(header);
  if (input instanceof KasKeyRing) {
    if (kid === undefined) throw new TdfError("TDF_UNKNOWN_KID", "header names no KID to look up");
    const key = input.get(kid);
    if (key === undefined) throw new TdfError("TDF_UNKNOWN_KID", "no KAS key with the header's KID", { details: { kid: bytesToHex(kid) } });
    return key;
  }
  const key = input instanceof P256PrivateKey ? input : P256PrivateKey.fromBytes(input);
  // A header that names another key would only yield a wrong DEK; say so instead.
  if (kid !== undefined && !bytesEqual(kid, key.kid)) {
    throw new TdfError("TDF_UNKNOWN_KID", "header is encrypted to another KAS key", { details: { kid: bytesToHex(kid) } });
  }
  return key;
}

/** The validator side: derive a header's DEK with the KAS private key it names. */
export function deriveDekForKas(header: NanoTdfHeader, kasPrivateKey: KasPrivateKeyInput): Uint8Array {
  if (header.curve !== "secp256r1") {
    throw new TdfError("TDF_UNSUPPORTED_CURVE", "dekmesh KAS keys are P-256", { details: { curve: header.curve } });
  }
  const key = selectKey(header, kasPrivateKey);
  let shared: Uint8Array;
  try {
    shared = key.ecdh(header.ephemeralPublicKey);
  } catch (cause) {
    throw new TdfError("TDF_INVALID_KEY", "ephemeral key is not a point on P-256", { cause });
  }
  return dekFromSharedSecret(shared);
}
