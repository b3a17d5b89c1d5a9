/**
 * DEKs by content id, sealed under the storage key (record type "dek", id = content id), with
 * the non-secret facts the node needs to confirm holdings on chain.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { constantTimeEqual } from "../../crypto/keys/bytes.js";
import { openDek, sealDek, type SealingKey } from "../../crypto/keys/index.js";
import { toBlob, toInteger, toSeconds, invalidArgument, type BytesLike, type Hex } from "./codec.js";
import { bytesToHex } from "viem";
import type { Committer } from "./committer.js";
import { CONTENT_ID_LENGTH, DEK_LENGTH, TX_HASH_LENGTH } from "./constants.js";
import { MAX_CONFIRMATION_BATCH, type ReplicationModeName } from "../../protocol/limits.js";
import { StoreError } from "./errors.js";
import { openSealed } from "./sealing.js";
import type { ShareTable } from "./shares.js";

/** The modes whose contents have a DEK to store: threshold members hold shares (docs/threshold.md). */
export type ReplicationMode = Exclude<ReplicationModeName, "threshold">;
/** How this node obtained the DEK. */
export type DekSource = "initial" | "replicated" | "recovered";

/** Where the node's holder confirmation stands: pending → submitted(tx) → confirmed(block). */
export type Confirmation =
  | { state: "pending" }
  | { state: "submitted"; txHash: Hex }
  | { state: "confirmed"; block: bigint; txHash: Hex | undefined };

export interface DekMeta {
  policyId: bigint | number;
  mode: ReplicationMode;
  source: DekSource;
  /** Unix seconds; defaults to the store's clock. */
  receivedAt?: number;
}

/** Everything about a held DEK except the DEK itself. */
export interface DekInfo {
  contentId: Hex;
  policyId: bigint;
  mode: ReplicationMode;
  source: DekSource;
  receivedAt: number;
  confirmation: Confirmation;
}

export interface ListUnconfirmedOptions {
  /** Only these modes (e.g. the ones confirmed on chain: stake, explicit). */
  modes?: readonly ReplicationMode[];
  /** Only this state; default both pending and submitted. */
  state?: "pending" | "submitted";
  /** Oldest first; default MAX_CONFIRMATION_BATCH. */
  limit?: number;
}

const MODES: ReadonlySet<string> = new Set(["all", "stake", "xor", "explicit"]);
const SOURCES: ReadonlySet<string> = new Set(["initial", "replicated", "recovered"]);

interface DekRow extends ConfirmationColumns {
  content_id: Uint8Array;
  policy_id: bigint;
  mode: ReplicationMode;
  source: DekSource;
  received_at: bigint;
}

const INFO_COLUMNS = "content_id, policy_id, mode, source, received_at, confirmation, confirmation_tx, confirmed_block";

/**
 * listUnconfirmed's query for `states` confirmation states and `modes` modes (parameters: the
 * states, the modes, the limit). Exported so that a test can check its plan against the schema.
 */
export function unconfirmedQuery(states: number, modes: number): string {
  const params = (n: number) => Array<string>(n).fill("?").join(",");
  return `SELECT ${INFO_COLUMNS} FROM deks INDEXED BY deks_unconfirmed
    WHERE confirmation <> 'confirmed' AND confirmation IN (${params(states)}) AND mode IN (${params(modes)})
    ORDER BY received_at, content_id LIMIT ?`;
}

/** The confirmation columns a held DEK and a held share (shares.ts) both have. */
export interface ConfirmationColumns {
  confirmation: Confirmation["state"];
  confirmation_tx: Uint8Array | null;
  confirmed_block: bigint | null;
}

export function confirmationOf(row: ConfirmationColumns): Confirmation {
  const txHash = row.confirmation_tx === null ? undefined : bytesToHex(row.confirmation_tx);
  return row.confirmation === "pending"
    ? { state: "pending" }
    : row.confirmation === "submitted"
      ? { state: "submitted", txHash: txHash! }
      : { state: "confirmed", block: row.confirmed_block!, txHash };
}

function toInfo(row: DekRow): DekInfo {
  return {
    contentId: bytesToHex(row.content_id),
    policyId: row.policy_id,
    mode: row.mode,
    source: row.source,
    receivedAt: Number(row.received_at),
    confirmation: confirmationOf(row),
  };
}

export class DekTable {
  readonly #db: DatabaseSync;
  readonly #committer: Committer;
  readonly #sealingKey: SealingKey;
  readonly #now: () => number;
  readonly #insert: StatementSync;
  readonly #selectSealed: StatementSync;
  readonly #selectInfo: StatementSync;
  readonly #exists: StatementSync;
  readonly #count: StatementSync;
  readonly #markSubmitted: StatementSync;
  /** listUnconfirmed's statements, by how many states and modes they take. */
  readonly #unconfirmed = new Map<string, StatementSync>();
  readonly #markConfirmed: StatementSync;
  readonly #shares: ShareTable;

  /**
   * `shares`: a content held as a threshold share is confirmed on chain as a DEK is, so the
   * confirmation updates (markConfirmationSubmitted, markConfirmed) reach the share table too.
   */
  constructor(db: DatabaseSync, committer: Committer, sealingKey: SealingKey, now: () => number, shares: ShareTable) {
    this.#shares = shares;
    this.#db = db;
    this.#committer = committer;
    this.#sealingKey = sealingKey;
    this.#now = now;
    this.#insert = db.prepare(
      "INSERT INTO deks (content_id, sealed_dek, policy_id, mode, source, received_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.#selectSealed = db.prepare("SELECT sealed_dek FROM deks WHERE content_id = ?");
    this.#selectInfo = db.prepare(`SELECT ${INFO_COLUMNS} FROM deks WHERE content_id = ?`);
    this.#selectInfo.setReadBigInts(true);
    this.#exists = db.prepare("SELECT 1 FROM deks WHERE content_id = ?");
    this.#count = db.prepare("SELECT count(*) AS n FROM deks");
    this.#markSubmitted = db.prepare(
      "UPDATE deks SET confirmation = 'submitted', confirmation_tx = ? WHERE content_id = ? AND confirmation <> 'confirmed'",
    );
    this.#markConfirmed = db.prepare(
      "UPDATE deks SET confirmation = 'confirmed', confirmed_block = ? WHERE content_id = ?",
    );
  }

  /**
   * Stores a DEK; resolves once it is durable (committed and fsync'd). Returns false if the
   * same DEK was already stored (nothing changes); rejects with STORE_DEK_CONFLICT if a
   * different DEK is stored for the content.
   */
  put(contentId: BytesLike, dek: Uint8Array, meta: DekMeta): Promise<boolean> {
    let id: Buffer;
    let row: unknown[];
    try {
      id = toBlob(contentId, CONTENT_ID_LENGTH, "contentId");
      if (!(dek instanceof Uint8Array) || dek.length !== DEK_LENGTH) throw invalidArgument("dek", `expected ${DEK_LENGTH} bytes`);
      if (!MODES.has(meta.mode)) throw invalidArgument("mode", "unknown replication mode", { mode: meta.mode });
      if (!SOURCES.has(meta.source)) throw invalidArgument("source", "unknown DEK source", { source: meta.source });
      const receivedAt = toSeconds(meta.receivedAt ?? this.#now(), "receivedAt");
      row = [id, sealDek(this.#sealingKey, id, dek), toInteger(meta.policyId, "policyId"), meta.mode, meta.source, receivedAt];
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#committer.grouped("putDek", () => {
      const existing = this.#openAt(id);
      if (existing !== undefined) {
        if (!constantTimeEqual(existing, dek)) {
          throw new StoreError("STORE_DEK_CONFLICT", "a different DEK is already stored for this content", {
            details: { contentId: bytesToHex(id) },
          });
        }
        return false;
      }
      this.#insert.run(...(row as [Buffer, Uint8Array, bigint, string, string, number]));
      return true;
    });
  }

  /** The DEK, or undefined if this node does not hold it. Throws STORE_CORRUPT if tampered. */
  get(contentId: BytesLike): Uint8Array | undefined {
    return this.#openAt(toBlob(contentId, CONTENT_ID_LENGTH, "contentId"));
  }

  has(contentId: BytesLike): boolean {
    return this.#exists.get(toBlob(contentId, CONTENT_ID_LENGTH, "contentId")) !== undefined;
  }

  info(contentId: BytesLike): DekInfo | undefined {
    const row = this.#selectInfo.get(toBlob(contentId, CONTENT_ID_LENGTH, "contentId")) as DekRow | undefined;
    return row === undefined ? undefined : toInfo(row);
  }

  count(): number {
    return Number((this.#count.get() as { n: number }).n);
  }

  /** Held DEKs whose holder confirmation is not yet on chain, oldest first. */
  listUnconfirmed(options: ListUnconfirmedOptions = {}): DekInfo[] {
    const limit = options.limit ?? MAX_CONFIRMATION_BATCH;
    if (!Number.isSafeInteger(limit) || limit < 1) throw invalidArgument("limit", "expected a positive integer");
    const modes = options.modes ?? [...MODES];
    for (const mode of modes) if (!MODES.has(mode)) throw invalidArgument("modes", "unknown replication mode", { mode });
    if (modes.length === 0) return [];
    const states = options.state === undefined ? ["pending", "submitted"] : [options.state];
    // One statement per shape (the holdings lane polls with the same one); ~10 shapes at most.
    const shape = `${states.length}/${modes.length}`;
    let statement = this.#unconfirmed.get(shape);
    if (statement === undefined) {
      statement = this.#db.prepare(unconfirmedQuery(states.length, modes.length));
      statement.setReadBigInts(true);
      this.#unconfirmed.set(shape, statement);
    }
    return (statement.all(...states, ...modes, limit) as unknown as DekRow[]).map(toInfo);
  }

  /** Records that a confirmation transaction for `contentIds` was sent. Durable on resolve. */
  markConfirmationSubmitted(contentIds: readonly BytesLike[], txHash: BytesLike): Promise<void> {
    let tx: Buffer;
    try {
      tx = toBlob(txHash, TX_HASH_LENGTH, "txHash");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#updateAll("markConfirmationSubmitted", contentIds, (id) => this.#markSubmitted.run(tx, id), (id) => this.#shares.markSubmitted(id, tx));
  }

  /** Records that the holder confirmations are on chain in `block`. Durable on resolve. */
  markConfirmed(contentIds: readonly BytesLike[], block: bigint | number): Promise<void> {
    let at: bigint;
    try {
      at = toInteger(block, "block");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#updateAll("markConfirmed", contentIds, (id) => this.#markConfirmed.run(at, id), (id) => this.#shares.markConfirmed(id, at));
  }

  #updateAll(operation: string, contentIds: readonly BytesLike[], update: (id: Buffer) => void, updateShare: (id: Buffer) => void): Promise<void> {
    try {
      const ids = contentIds.map((id) => toBlob(id, CONTENT_ID_LENGTH, "contentIds"));
      return this.#committer.grouped(operation, () => {
        for (const id of ids) {
          if (this.#exists.get(id) !== undefined) update(id);
          else if (this.#shares.has(id)) updateShare(id);
          else throw new StoreError("STORE_NOT_FOUND", "no DEK or share is stored for this content", { details: { contentId: bytesToHex(id) } });
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #openAt(id: Buffer): Uint8Array | undefined {
    const row = this.#selectSealed.get(id) as { sealed_dek: Uint8Array } | undefined;
    if (row === undefined) return undefined;
    return openSealed("dek", bytesToHex(id), () => openDek(this.#sealingKey, id, row.sealed_dek));
  }
}
