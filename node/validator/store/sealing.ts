/**
 * The store's use of the crypto core's sealed-record format (node/crypto/keys/sealed.ts): every
 * secret is AES-256-GCM under a key derived from the storage key, with the record type and
 * id in the AAD. This file adds the store's key-check record and maps sealing failures to
 * store errors.
 */
import { randomBytes } from "node:crypto";
import { utf8 } from "../../crypto/keys/bytes.js";
import { openRecord, sealRecord, SealedRecordError } from "../../crypto/keys/index.js";
import { StoreError } from "./errors.js";

const KEY_CHECK_ID = utf8("store/key-check");

/** A sealed random value: opening it proves the storage key is the store's. */
export function sealKeyCheck(storageKey: Uint8Array): Uint8Array {
  return sealRecord({ storageKey, type: "nodeSecret", id: KEY_CHECK_ID, plaintext: randomBytes(32) });
}

/** Throws STORE_WRONG_KEY for another storage key, STORE_CORRUPT for a damaged record. */
export function verifyKeyCheck(storageKey: Uint8Array, sealed: Uint8Array): void {
  try {
    openRecord({ storageKey, type: "nodeSecret", id: KEY_CHECK_ID, sealed });
  } catch (error) {
    if (error instanceof SealedRecordError && error.code === "SEALED_WRONG_KEY") {
      throw new StoreError("STORE_WRONG_KEY", "the storage key does not open this store", { cause: error });
    }
    if (error instanceof SealedRecordError && error.code === "SEALED_INVALID_ARGUMENT") {
      throw new StoreError("STORE_INVALID_ARGUMENT", "storageKey: expected 32 bytes", { cause: error });
    }
    throw new StoreError("STORE_CORRUPT", "the store's key-check record is damaged", { cause: error });
  }
}

/** Runs an open of a sealed record; any failure means the row was tampered with or damaged. */
export function openSealed<T>(kind: string, id: string, open: () => T): T {
  try {
    return open();
  } catch (error) {
    if (error instanceof SealedRecordError) {
      throw new StoreError("STORE_CORRUPT", `a sealed ${kind} record failed to open`, {
        details: { kind, id, reason: error.code },
        cause: error,
      });
    }
    throw error;
  }
}
