/**
 * Replay protection: a (requester, nonce) pair is accepted once until its request expires.
 * The table is bounded. At the bound, expired entries are pruned first; if it is still full
 * of unexpired nonces the new request is refused (STORE_NONCES_FULL, retryable) — forgetting
 * an unexpired nonce would let its request be replayed, refusing only delays honest clients.
 *
 * One requester's share is bounded too (STORE_NONCES_ACCOUNT_FULL), so an account that signs
 * requests as fast as it can fills its own share, not the table everyone needs. Its count is
 * kept in memory as the nonces it added since the last prune; only when that reaches the
 * bound is the account's live count read from the table (its primary-key prefix), so the
 * bound costs a map update per request. The memory is cleared at every prune, so one
 * requester holds at most twice its share between two prunes.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { nonceBlob, toBlob, toSeconds, type BytesLike, type Hex } from "./codec.js";
import type { Committer } from "./committer.js";
import { ADDRESS_LENGTH, DEFAULT_MAX_NONCES_PER_ACCOUNT, NONCE_PRUNE_INTERVAL_S } from "./constants.js";
import { StoreError } from "./errors.js";

export class NonceTable {
  readonly #committer: Committer;
  readonly #maxNonces: number;
  readonly #maxPerAccount: number;
  /** Nonces each requester added since the last prune (a lower bound of what it holds). */
  readonly #added = new Map<string, number>();
  readonly #countLive: StatementSync;
  readonly #select: StatementSync;
  readonly #insert: StatementSync;
  readonly #revive: StatementSync;
  readonly #prune: StatementSync;
  readonly #countAll: StatementSync;
  #count: number;
  #nextPruneAt = 0;

  constructor(db: DatabaseSync, committer: Committer, maxNonces: number, maxPerAccount = DEFAULT_MAX_NONCES_PER_ACCOUNT) {
    this.#committer = committer;
    this.#maxNonces = maxNonces;
    this.#maxPerAccount = maxPerAccount;
    this.#countLive = db.prepare("SELECT count(*) AS n FROM nonces WHERE requester = ? AND expires_at > ?");
    this.#select = db.prepare("SELECT expires_at FROM nonces WHERE requester = ? AND nonce = ?");
    this.#insert = db.prepare("INSERT INTO nonces (requester, nonce, expires_at) VALUES (?, ?, ?)");
    this.#revive = db.prepare("UPDATE nonces SET expires_at = ? WHERE requester = ? AND nonce = ?");
    this.#prune = db.prepare("DELETE FROM nonces WHERE expires_at <= ?");
    this.#countAll = db.prepare("SELECT count(*) AS n FROM nonces");
    this.#count = this.#recount();
  }

  /** Unexpired-or-not-yet-pruned nonces held. */
  get size(): number {
    return this.#count;
  }

  /**
   * Atomically checks and records a nonce. True the first time (requester, nonce) is seen
   * while unexpired; false for a replay, or if the request has already expired
   * (`expiresAt <= now`). The entry becomes durable with the next commit; a rewrap's
   * appendAudit, awaited before the answer leaves, is such a commit.
   */
  remember(requester: BytesLike, nonce: bigint | Hex, expiresAt: number, now: number): boolean {
    const account = toBlob(requester, ADDRESS_LENGTH, "requester");
    const key = nonceBlob(nonce);
    toSeconds(expiresAt, "expiresAt");
    if (expiresAt <= now) return false;
    const outcome = this.#committer.piggyback("rememberNonce", (): boolean | "full" | "account full" => {
      if (now >= this.#nextPruneAt) this.#pruneAt(now);
      const heldUntil = this.#expiresAt(account, key);
      if (heldUntil !== undefined) {
        if (heldUntil > now) return false;
        this.#revive.run(expiresAt, account, key);
        return true;
      }
      if (this.#count >= this.#maxNonces) {
        this.#pruneAt(now);
        // Not thrown in here: that would roll back the prune the count already reflects.
        if (this.#count >= this.#maxNonces) return "full";
      }
      if (!this.#withinShare(account, now)) return "account full";
      this.#insert.run(account, key, expiresAt);
      this.#count++;
      return true;
    });
    if (outcome === "account full") {
      throw new StoreError("STORE_NONCES_ACCOUNT_FULL", "this requester holds its whole share of unexpired request nonces", {
        details: { maxNoncesPerAccount: this.#maxPerAccount },
      });
    }
    if (outcome === "full") {
      throw new StoreError("STORE_NONCES_FULL", "too many unexpired request nonces; refusing new requests for now", {
        details: { maxNonces: this.#maxNonces },
      });
    }
    return outcome;
  }

  /** Whether (requester, nonce) is held unexpired: `remember` would refuse it. Reads only. */
  seen(requester: BytesLike, nonce: bigint | Hex, now: number): boolean {
    return (this.#expiresAt(toBlob(requester, ADDRESS_LENGTH, "requester"), nonceBlob(nonce)) ?? 0) > now;
  }

  /** When the held (requester, nonce) entry expires, expired or not; undefined if none is held. */
  #expiresAt(account: Uint8Array, key: Uint8Array): number | undefined {
    return (this.#select.get(account, key) as { expires_at: number } | undefined)?.expires_at;
  }

  /** Deletes expired nonces now; returns how many. */
  prune(now: number): number {
    return this.#committer.piggyback("pruneNonces", () => this.#pruneAt(now));
  }

  /** After a rolled-back group the in-memory count may be off: re-read it. */
  resync(): void {
    this.#count = this.#recount();
    this.#nextPruneAt = 0;
  }

  /** Counts one more nonce for `account`, unless it already holds its share of unexpired ones. */
  #withinShare(account: Buffer, now: number): boolean {
    const id = account.toString("latin1");
    const added = (this.#added.get(id) ?? 0) + 1;
    if (added <= this.#maxPerAccount) {
      this.#added.set(id, added);
      return true;
    }
    const live = Number((this.#countLive.get(account, now) as { n: number }).n);
    if (live >= this.#maxPerAccount) return false;
    this.#added.set(id, live + 1);
    return true;
  }

  #pruneAt(now: number): number {
    this.#added.clear();
    const removed = Number(this.#prune.run(now).changes);
    this.#count -= removed;
    this.#nextPruneAt = now + NONCE_PRUNE_INTERVAL_S;
    return removed;
  }

  #recount(): number {
    return Number((this.#countAll.get() as { n: number }).n);
  }
}
