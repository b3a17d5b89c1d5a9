/**
 * The at-rest format for node secrets and DEKs (the database stores these blobs; see docs/architecture.md#the-validator-node).
 *
 * Each record is AES-256-GCM under a key derived from the node's storage key, with a random
 * 96-bit nonce, and with the record's type and id in the AAD: a sealed DEK copied to another
 * content's row, or a sealed KAS key presented as a DEK, fails to open. Because the storage
 * key is derived from the operator mnemonic (m/4475725'/2'/i'), a backup of the blobs plus
 * the mnemonic is enough to recover every record.
 *
 * Layout (big endian):
 *   version   1   0x01
 *   keyId     4   first 4 bytes of HKDF(storageKey, info "key-id"): tells "wrong key" from "tampered"
 *   nonce    12   random
 *   sealed    n   ciphertext ‖ 16-byte tag
 * AAD = "dekmesh/sealed/v1" ‖ version ‖ keyId ‖ typeCode ‖ u16 idLength ‖ id
 */
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { aesGcmOpen, aesGcmSeal, GCM_NONCE_LENGTH } from "./aesGcm.js";
import { bytesEqual, concatBytes, u16be, utf8 } from "./bytes.js";
import { SealedRecordError } from "./errors.js";
import { hkdfSha256 } from "./hkdf.js";
import { kasKeyId } from "./kid.js";
import { P256PrivateKey } from "./p256.js";

export const SEALED_RECORD_VERSION = 1;
const KEY_ID_LENGTH = 4;
const TAG_LENGTH = 16;
const HEADER_LENGTH = 1 + KEY_ID_LENGTH + GCM_NONCE_LENGTH;
const DOMAIN = utf8("dekmesh/sealed/v1");

/** What a record holds; part of the AAD, so records cannot be swapped across types. */
export const SEALED_RECORD_TYPES = {
  /** A content's DEK; id = contentId (32 bytes). */
  dek: 1,
  /** A (rotated, non-derivable) KAS private key; id = its KID (8 bytes). */
  kasKey: 2,
  /** Any other node secret; id = a caller-chosen name. */
  nodeSecret: 3,
  /** A threshold member's share of a content key; id = contentId ‖ uint16 index (34 bytes). */
  thresholdShare: 4,
} as const;
export type SealedRecordType = keyof typeof SEALED_RECORD_TYPES;

/**
 * The two subkeys every record of one storage key uses, derived once. Deriving them costs
 * two HKDFs (~14 µs of a ~24 µs open, docs/store.md), more than the AES-GCM of a DEK record itself, so a holder that opens a
 * record per rewrap (the DEK store) keeps one of these rather than the raw storage key.
 */
export class SealingKey {
  /** Names the storage key (not secret: it is in every record's header). */
  readonly keyId: Uint8Array;
  readonly #encryptionKey: Uint8Array;

  private constructor(encryptionKey: Uint8Array, keyId: Uint8Array) {
    this.#encryptionKey = encryptionKey;
    this.keyId = keyId;
  }

  /** The AES-256-GCM key of every record under this storage key. */
  get encryptionKey(): Uint8Array {
    return this.#encryptionKey;
  }

  toJSON(): { keyId: string } {
    return { keyId: Buffer.from(this.keyId).toString("hex") };
  }

  [inspect.custom](): string {
    return `SealingKey(keyId ${Buffer.from(this.keyId).toString("hex")})`;
  }

  static derive(storageKey: Uint8Array): SealingKey {
    if (storageKey.length !== 32) {
      throw new SealedRecordError("SEALED_INVALID_ARGUMENT", "storage key must be 32 bytes", { details: { length: storageKey.length } });
    }
    return new SealingKey(hkdfSha256(storageKey, DOMAIN, utf8("encryption")), hkdfSha256(storageKey, DOMAIN, utf8("key-id"), KEY_ID_LENGTH));
  }
}

/** The raw 32-byte storage key, or its subkeys derived once. */
export type StorageKey = Uint8Array | SealingKey;

interface RecordAddress {
  storageKey: StorageKey;
  type: SealedRecordType;
  id: Uint8Array;
}

function subkeys(storageKey: StorageKey): SealingKey {
  return storageKey instanceof SealingKey ? storageKey : SealingKey.derive(storageKey);
}

function aad(keyId: Uint8Array, type: SealedRecordType, id: Uint8Array): Uint8Array {
  if (id.length > 0xffff) {
    throw new SealedRecordError("SEALED_INVALID_ARGUMENT", "record id longer than 65535 bytes", { details: { length: id.length } });
  }
  return concatBytes(DOMAIN, new Uint8Array([SEALED_RECORD_VERSION]), keyId, new Uint8Array([SEALED_RECORD_TYPES[type]]), u16be(id.length), id);
}

export function sealRecord(address: RecordAddress & { plaintext: Uint8Array }): Uint8Array {
  const { encryptionKey, keyId } = subkeys(address.storageKey);
  const nonce = randomBytes(GCM_NONCE_LENGTH);
  const sealed = aesGcmSeal(encryptionKey, nonce, address.plaintext, { aad: aad(keyId, address.type, address.id) });
  return concatBytes(new Uint8Array([SEALED_RECORD_VERSION]), keyId, nonce, sealed);
}

export function openRecord(address: RecordAddress & { sealed: Uint8Array }): Uint8Array {
  const { sealed } = address;
  if (sealed.length < HEADER_LENGTH + TAG_LENGTH) {
    throw new SealedRecordError("SEALED_MALFORMED", "sealed record too short", { details: { length: sealed.length } });
  }
  if (sealed[0] !== SEALED_RECORD_VERSION) {
    throw new SealedRecordError("SEALED_UNSUPPORTED_VERSION", "unknown sealed record version", { details: { version: sealed[0] } });
  }
  const { encryptionKey, keyId } = subkeys(address.storageKey);
  if (!bytesEqual(sealed.subarray(1, 1 + KEY_ID_LENGTH), keyId)) {
    throw new SealedRecordError("SEALED_WRONG_KEY", "record was sealed under another storage key");
  }
  const nonce = sealed.subarray(1 + KEY_ID_LENGTH, HEADER_LENGTH);
  const plaintext = aesGcmOpen(encryptionKey, nonce, sealed.subarray(HEADER_LENGTH), { aad: aad(keyId, address.type, address.id) });
  if (plaintext === undefined) {
    throw new SealedRecordError("SEALED_AUTH_FAILED", "sealed record failed authentication", { details: { type: address.type } });
  }
  return plaintext;
}

export function sealDek(storageKey: StorageKey, contentId: Uint8Array, dek: Uint8Array): Uint8Array {
  return sealRecord({ storageKey, type: "dek", id: contentId, plaintext: dek });
}

export function openDek(storageKey: StorageKey, contentId: Uint8Array, sealed: Uint8Array): Uint8Array {
  return openRecord({ storageKey, type: "dek", id: contentId, sealed });
}

export function sealKasKey(storageKey: StorageKey, kasKey: P256PrivateKey): Uint8Array {
  return sealRecord({ storageKey, type: "kasKey", id: kasKey.kid, plaintext: kasKey.exportPrivateKey() });
}

/** Opens a sealed KAS key and checks it really is the key `kid` names. */
export function openKasKey(storageKey: StorageKey, kid: Uint8Array, sealed: Uint8Array): P256PrivateKey {
  const key = P256PrivateKey.fromBytes(openRecord({ storageKey, type: "kasKey", id: kid, sealed }));
  if (!bytesEqual(kasKeyId(key.publicKey), kid)) {
    throw new SealedRecordError("SEALED_AUTH_FAILED", "sealed KAS key does not match its KID");
  }
  return key;
}
