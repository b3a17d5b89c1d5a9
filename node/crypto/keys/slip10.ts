/**
 * SLIP-0010 hardened derivation for NIST P-256 and Ed25519 from a BIP-39 seed.
 *
 * BIP-32 (via @scure/bip32) covers secp256k1 only; the KAS key (P-256) and the libp2p
 * identity (Ed25519) need SLIP-0010, which reuses BIP-32's HMAC-SHA512 chain with a
 * per-curve master key ("Nist256p1 seed" / "ed25519 seed") so the same seed never yields
 * related keys on different curves. Only hardened steps are implemented: every dekmesh
 * path is fully hardened, so a leaked child key plus public data never exposes a sibling.
 * Checked against the SLIP-0010 test vectors in test/node/crypto/keys/slip10.test.ts.
 */
import { createHmac } from "node:crypto";
import { concatBytes, u32be, utf8 } from "./bytes.js";
import { KeyError } from "./errors.js";

export type Slip10Curve = "nist256p1" | "ed25519";

export interface Slip10Node {
  readonly privateKey: Uint8Array;
  readonly chainCode: Uint8Array;
}

export const HARDENED_OFFSET = 0x8000_0000;
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const MASTER_KEY: Record<Slip10Curve, Uint8Array> = {
  nist256p1: utf8("Nist256p1 seed"),
  ed25519: utf8("ed25519 seed"),
};

function hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha512", key).update(data).digest());
}

function toScalar(bytes: Uint8Array): bigint {
  return BigInt("0x" + Buffer.from(bytes).toString("hex"));
}

function fromScalar(value: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(value.toString(16).padStart(64, "0"), "hex"));
}

export function slip10Master(curve: Slip10Curve, seed: Uint8Array): Slip10Node {
  let data = seed;
  for (;;) {
    const i = hmacSha512(MASTER_KEY[curve], data);
    const privateKey = i.subarray(0, 32);
    const chainCode = i.subarray(32);
    if (curve === "ed25519") return { privateKey, chainCode };
    const k = toScalar(privateKey);
    // A scalar of 0 or ≥ n is no key: SLIP-0010 retries with the intermediate hash as seed.
    if (k !== 0n && k < P256_ORDER) return { privateKey, chainCode };
    data = i;
  }
}

export function slip10HardenedChild(curve: Slip10Curve, parent: Slip10Node, index: number): Slip10Node {
  if (!Number.isInteger(index) || index < 0 || index >= HARDENED_OFFSET) {
    throw new KeyError("KEY_INVALID_PATH", "hardened index out of range", { details: { index } });
  }
  const ser = u32be(index + HARDENED_OFFSET);
  let data = concatBytes(new Uint8Array([0]), parent.privateKey, ser);
  for (;;) {
    const i = hmacSha512(parent.chainCode, data);
    const il = i.subarray(0, 32);
    const chainCode = i.subarray(32);
    if (curve === "ed25519") return { privateKey: il, chainCode };
    const parsed = toScalar(il);
    const child = (parsed + toScalar(parent.privateKey)) % P256_ORDER;
    if (parsed < P256_ORDER && child !== 0n) return { privateKey: fromScalar(child), chainCode };
    data = concatBytes(new Uint8Array([1]), chainCode, ser);
  }
}

/** Derives along a fully hardened path written as "m/44'/0'/1'" (' or H marks hardened). */
export function slip10Derive(curve: Slip10Curve, seed: Uint8Array, path: string): Slip10Node {
  const parts = path.split("/");
  if (parts[0] !== "m") throw new KeyError("KEY_INVALID_PATH", "path must start with m", { details: { path } });
  let node = slip10Master(curve, seed);
  for (const part of parts.slice(1)) {
    const match = /^(\d+)['H]$/.exec(part);
    if (match === null) {
      throw new KeyError("KEY_INVALID_PATH", "only hardened path steps are supported", { details: { path } });
    }
    node = slip10HardenedChild(curve, node, Number(match[1]));
  }
  return node;
}
