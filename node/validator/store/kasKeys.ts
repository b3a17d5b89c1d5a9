/**
 * The node's KAS private keys by KID, sealed (record type "kasKey", id = KID). Rotation adds
 * a key and makes it current; earlier keys stay — headers encrypted to them are still in
 * circulation — until the operator removes them explicitly.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { KasKeyRing, openKasKey, P256PrivateKey, sealKasKey, type SealingKey } from "../../crypto/keys/index.js";
import { toBlob, toSeconds, type BytesLike, type Hex } from "./codec.js";
import { bytesToHex } from "viem";
import type { Committer } from "./committer.js";
import { StoreError } from "./errors.js";
import { openSealed } from "./sealing.js";

const KID_LENGTH = 8;

export interface KasKeyInfo {
  kid: Hex;
  publicKey: Hex;
  current: boolean;
  /** Unix seconds. */
  addedAt: number;
  /** Unix seconds at which another key became current; undefined for the current key. */
  retiredAt: number | undefined;
}

interface KasKeyRow {
  kid: Uint8Array;
  public_key: Uint8Array;
  is_current: number;
  added_at: number;
  retired_at: number | null;
}

export class KasKeyTable {
  readonly #committer: Committer;
  readonly #sealingKey: SealingKey;
  readonly #now: () => number;
  readonly #insert: StatementSync;
  readonly #retireCurrent: StatementSync;
  readonly #makeCurrent: StatementSync;
  readonly #selectSealed: StatementSync;
  readonly #selectCurrent: StatementSync;
  readonly #selectAll: StatementSync;
  readonly #delete: StatementSync;

  constructor(db: DatabaseSync, committer: Committer, sealingKey: SealingKey, now: () => number) {
    this.#committer = committer;
    this.#sealingKey = sealingKey;
    this.#now = now;
    this.#insert = db.prepare(
      "INSERT INTO kas_keys (kid, public_key, sealed_private_key, is_current, added_at, retired_at) VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (kid) DO NOTHING",
    );
    this.#retireCurrent = db.prepare("UPDATE kas_keys SET is_current = 0, retired_at = ? WHERE is_current = 1 AND kid <> ?");
    this.#makeCurrent = db.prepare("UPDATE kas_keys SET is_current = 1, retired_at = NULL WHERE kid = ? AND is_current = 0");
    this.#selectSealed = db.prepare("SELECT sealed_private_key FROM kas_keys WHERE kid = ?");
    this.#selectCurrent = db.prepare("SELECT kid FROM kas_keys WHERE is_current = 1");
    this.#selectAll = db.prepare("SELECT kid, public_key, is_current, added_at, retired_at FROM kas_keys ORDER BY added_at, kid");
    this.#delete = db.prepare("DELETE FROM kas_keys WHERE kid = ?");
  }

  /**
   * Stores a KAS key (idempotent) and, unless `current: false`, makes it the current key,
   * retiring the previous one. Durable on return.
   */
  add(key: P256PrivateKey, options: { current?: boolean; addedAt?: number } = {}): Promise<void> {
    try {
      if (!(key instanceof P256PrivateKey)) throw new StoreError("STORE_INVALID_ARGUMENT", "key: expected a P256PrivateKey");
      const kid = Buffer.from(key.kid);
      const sealed = sealKasKey(this.#sealingKey, key);
      const now = toSeconds(options.addedAt ?? this.#now(), "addedAt");
      this.#committer.commitNow("addKasKey", () => {
        const current = options.current ?? true;
        this.#insert.run(kid, key.publicKey, sealed, now, current ? null : now);
        if (current) {
          this.#retireCurrent.run(now, kid);
          this.#makeCurrent.run(kid);
        }
      });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  get(kid: BytesLike): P256PrivateKey | undefined {
    const id = toBlob(kid, KID_LENGTH, "kid");
    const row = this.#selectSealed.get(id) as { sealed_private_key: Uint8Array } | undefined;
    if (row === undefined) return undefined;
    return openSealed("kasKey", bytesToHex(id), () => openKasKey(this.#sealingKey, id, row.sealed_private_key));
  }

  current(): P256PrivateKey | undefined {
    const row = this.#selectCurrent.get() as { kid: Uint8Array } | undefined;
    return row === undefined ? undefined : this.get(row.kid);
  }

  /** Public facts about every stored key (no private material), oldest first. */
  list(): KasKeyInfo[] {
    return (this.#selectAll.all() as unknown as KasKeyRow[]).map((row) => ({
      kid: bytesToHex(row.kid),
      publicKey: bytesToHex(row.public_key),
      current: row.is_current === 1,
      addedAt: row.added_at,
      retiredAt: row.retired_at ?? undefined,
    }));
  }

  /** Every key, opened, in a keyring whose current key is the store's current key. */
  keyRing(): KasKeyRing {
    const infos = this.list();
    const ring = new KasKeyRing();
    // KasKeyRing.add makes the added key current, so the current key goes last.
    for (const info of [...infos.filter((k) => !k.current), ...infos.filter((k) => k.current)]) ring.add(this.get(info.kid)!);
    return ring;
  }

  /** Deletes a retired key for good. Returns false if it was not stored. Durable on return. */
  remove(kid: BytesLike): Promise<boolean> {
    try {
      const id = toBlob(kid, KID_LENGTH, "kid");
      const removed = this.#committer.commitNow("removeKasKey", () => {
        const current = this.#selectCurrent.get() as { kid: Uint8Array } | undefined;
        if (current !== undefined && Buffer.compare(current.kid, id) === 0) {
          throw new StoreError("STORE_KAS_KEY_CURRENT", "the current KAS key cannot be removed; rotate first", {
            details: { kid: bytesToHex(id) },
          });
        }
        return Number(this.#delete.run(id).changes) > 0;
      });
      return Promise.resolve(removed);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
