import { hkdfSync } from "node:crypto";
import { asBuffer } from "./bytes.js";

/** HKDF-SHA256 (RFC 5869) via OpenSSL. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", asBuffer(ikm), asBuffer(salt), asBuffer(info), length));
}
