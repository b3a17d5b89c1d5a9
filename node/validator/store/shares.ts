/**
 * Threshold shares by content id (docs/threshold.md): the member's f(index), sealed under the
 * storage key (record type "thresholdShare", id = content id ‖ uint16 index), with the KID of
 * the KAS key it was sealed to on chain (its share answers are signed with that key) and the
 * holder confirmation, as for DEKs. A table of its own: no path that serves DEKs reads it.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { bytesToHex } from "viem";
import { constantTimeEqual, concatBytes, u16be } from "../../crypto/keys/bytes.js";
import { openRecord, sealRecord, type SealingKey } from "../../crypto/keys/index.js";
import type { Share } from "../../crypto/threshold/index.js";
import { MAX_CONFIRMATION_BATCH } from "../../protocol/limits.js";
import { invalidArgument, toBlob, toSeconds, type BytesLike, type Hex } from "./codec.js";
import type { Committer } from "./committer.js";
import { CONTENT_ID_LENGTH } from "./constants.js";
import { confirmationOf, type Confirmation, type ConfirmationColumns } from "./deks.js";
import { StoreError } from "./errors.js";
import { openSealed } from "./sealing.js";

const SHARE_LENGTH = 32;
const KID_LENGTH = 8;

/** A held share without its value. */
export interface ShareInfo {
  contentId: Hex;
  index: number;
  kid: Hex;
  receivedAt: number;
  confirmation: Confirmation;
}

interface ShareRow extends ConfirmationColumns {
  content_id: Uint8Array;
  share_index: bigint;
  kid: Uint8Array;
  received_at: bigint;
}

const INFO_COLUMNS = "content_id, share_index, kid, received_at, confirmation, confirmation_tx, confirmed_block";

function toInfo(row: ShareRow): ShareInfo {
  return {
    contentId: bytesToHex(row.content_id),
    index: Number(row.share_index),
    kid: bytesToHex(row.kid),
    receivedAt: Number(row.received_at),
    confirmation: confirmationOf(row),
  };
}

const recordId = (contentId: Uint8Array, index: number) => concatBytes(contentId, u16be(index));

export class ShareTable {
  readonly #committer: Committer;
  readonly #sealingKey: SealingKey;
  readonly #now: () => number;
  readonly #insert: StatementSync;
  readonly #select: StatementSync;
  readonly #selectInfo: StatementSync;
  readonly #unconfirmed: StatementSync;
  readonly #markSubmitted: StatementSync;
  readonly #markConfirmed: StatementSync;
  readonly #contentIds: StatementSync;

  constructor(db: DatabaseSync, committer: Committer, sealingKey: SealingKey, now: () => number) {
    this.#committer = committer;
    this.#sealingKey = sealingKey;
    this.#now = now;
    this.#insert = db.prepare("INSERT INTO shares (content_id, share_index, sealed_share, kid, received_at) VALUES (?, ?, ?, ?, ?)");
    this.#select = db.prepare("SELECT share_index, sealed_share, kid FROM shares WHERE content_id = ?");
    this.#selectInfo = db.prepare(`SELECT ${INFO_COLUMNS} FROM shares WHERE content_id = ?`);
    this.#selectInfo.setReadBigInts(true);
    this.#unconfirmed = db.prepare(
      `SELECT ${INFO_COLUMNS} FROM shares INDEXED BY shares_unconfirmed WHERE confirmation <> 'confirmed' ORDER BY received_at, content_id LIMIT ?`,
    );
    this.#unconfirmed.setReadBigInts(true);
    this.#markSubmitted = db.prepare("UPDATE shares SET confirmation = 'submitted', confirmation_tx = ? WHERE content_id = ? AND confirmation <> 'confirmed'");
    this.#markConfirmed = db.prepare("UPDATE shares SET confirmation = 'confirmed', confirmed_block = ? WHERE content_id = ?");
    this.#contentIds = db.prepare("SELECT content_id FROM shares ORDER BY received_at, content_id");
  }

  /**
   * Stores the member's share of `contentId`, checked by the caller against the commitments;
   * resolves once durable. False if the same share was already stored; STORE_SHARE_CONFLICT
   * for a different one (a member holds one share per content: a new index is a new slot,
   * which the chain gives only to another validator).
   */
  put(contentId: BytesLike, share: Share, kid: BytesLike): Promise<boolean> {
    let id: Buffer;
    let row: [Buffer, number, Uint8Array, Buffer, number];
    try {
      id = toBlob(contentId, CONTENT_ID_LENGTH, "contentId");
      if (!Number.isInteger(share.index) || share.index < 1 || share.index > 0xffff) throw invalidArgument("index", "expected an integer in 1..65535");
      if (!(share.value instanceof Uint8Array) || share.value.length !== SHARE_LENGTH) throw invalidArgument("share", `expected ${SHARE_LENGTH} bytes`);
      const sealed = sealRecord({ storageKey: this.#sealingKey, type: "thresholdShare", id: recordId(id, share.index), plaintext: share.value });
      row = [id, share.index, sealed, toBlob(kid, KID_LENGTH, "kid"), toSeconds(this.#now(), "receivedAt")];
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#committer.grouped("putShare", () => {
      const existing = this.#openAt(id)?.share;
      if (existing !== undefined) {
        if (existing.index !== share.index || !constantTimeEqual(existing.value, share.value)) {
          throw new StoreError("STORE_SHARE_CONFLICT", "a different share is already stored for this content", { details: { contentId: bytesToHex(id) } });
        }
        return false;
      }
      this.#insert.run(...row);
      return true;
    });
  }

  /** The share and the KID its answers are signed with, or undefined. STORE_CORRUPT if tampered. */
  get(contentId: BytesLike): { share: Share; kid: Hex } | undefined {
    return this.#openAt(toBlob(contentId, CONTENT_ID_LENGTH, "contentId"));
  }

  info(contentId: BytesLike): ShareInfo | undefined {
    const row = this.#selectInfo.get(toBlob(contentId, CONTENT_ID_LENGTH, "contentId")) as ShareRow | undefined;
    return row === undefined ? undefined : toInfo(row);
  }

  /** Held shares whose holder confirmation is not yet on chain, oldest first. */
  listUnconfirmed(limit = MAX_CONFIRMATION_BATCH): ShareInfo[] {
    if (!Number.isSafeInteger(limit) || limit < 1) throw invalidArgument("limit", "expected a positive integer");
    return (this.#unconfirmed.all(limit) as unknown as ShareRow[]).map(toInfo);
  }

  /** Every content this node holds a share of, oldest first. */
  contentIds(): Hex[] {
    return (this.#contentIds.all() as { content_id: Uint8Array }[]).map((row) => bytesToHex(row.content_id));
  }

  /** Whether a share of `id` is held (the store routes confirmations by it). */
  has(id: Buffer): boolean {
    return this.#select.get(id) !== undefined;
  }

  markSubmitted(id: Buffer, tx: Buffer): void {
    this.#markSubmitted.run(tx, id);
  }

  markConfirmed(id: Buffer, block: bigint): void {
    this.#markConfirmed.run(block, id);
  }

  #openAt(id: Buffer): { share: Share; kid: Hex } | undefined {
    const row = this.#select.get(id) as { share_index: number; sealed_share: Uint8Array; kid: Uint8Array } | undefined;
    if (row === undefined) return undefined;
    const index = Number(row.share_index);
    const value = openSealed("thresholdShare", bytesToHex(id), () =>
      openRecord({ storageKey: this.#sealingKey, type: "thresholdShare", id: recordId(id, index), sealed: row.sealed_share }),
    );
    return { share: { index, value }, kid: bytesToHex(row.kid) };
  }
}
