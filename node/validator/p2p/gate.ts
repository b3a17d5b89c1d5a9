import type { ConnectionGater, PeerId } from "@libp2p/interface";
import type { Logger } from "../../protocol/logger.js";

export interface PeerGateComponents {
  isAllowedPeer(peerId: string): Promise<boolean>;
  logger: Logger;
}

const MAX_CACHED_DECISIONS = 4096;

interface Decision {
  allowed: boolean;
  expiresAt: number;
}

/**
 * Decides which peers may talk to this node: only those the injected predicate accepts (active,
 * non-revoked validators). Decisions are cached for a TTL; concurrent checks of one peer share a
 * single predicate call. A predicate that fails counts as "no" and is not cached, so a flaky
 * indexer delays connections instead of letting strangers in.
 */
export class PeerGate {
  readonly #components: PeerGateComponents;
  readonly #ttlMs: number;
  readonly #self: string;
  readonly #decisions = new Map<string, Decision>();
  readonly #pending = new Map<string, Promise<boolean>>();
  #generation = 0;

  constructor(components: PeerGateComponents, init: { ttlMs: number; self: string }) {
    this.#components = components;
    this.#ttlMs = init.ttlMs;
    this.#self = init.self;
  }

  /** The cached decision if fresh, else the predicate's answer (cached). Never throws. */
  async isAllowed(peerId: string): Promise<boolean> {
    if (peerId === this.#self) return true;
    const cached = this.#decisions.get(peerId);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.allowed;
    return this.#check(peerId);
  }

  /**
   * Asks the predicate again, ignoring the cache. Returns `undefined` if the predicate failed, so
   * a caller re-checking an open connection can keep it rather than cut the network in two
   * whenever the indexer hiccups.
   */
  async recheck(peerId: string): Promise<boolean | undefined> {
    if (peerId === this.#self) return true;
    const generation = this.#generation;
    try {
      const allowed = await this.#components.isAllowedPeer(peerId);
      if (generation === this.#generation) this.#remember(peerId, allowed === true);
      return allowed === true;
    } catch (error) {
      this.#components.logger.warn("peer check failed", { peer: peerId, error: String(error) });
      return undefined;
    }
  }

  /** Forgets every decision (the active set changed). */
  clear(): void {
    this.#generation++;
    this.#decisions.clear();
    this.#pending.clear();
  }

  /**
   * The libp2p connection gater. Peers are checked after the Noise handshake, when their id is
   * authenticated, in both directions; dials to a peer id we already know to refuse are skipped.
   */
  connectionGater(): ConnectionGater {
    const deny = async (peerId: PeerId): Promise<boolean> => !(await this.isAllowed(peerId.toString()));
    return {
      denyDialPeer: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
    };
  }

  #check(peerId: string): Promise<boolean> {
    const pending = this.#pending.get(peerId);
    if (pending !== undefined) return pending;
    const generation = this.#generation;
    const check = Promise.resolve()
      .then(() => this.#components.isAllowedPeer(peerId))
      .then(
        (allowed) => {
          if (generation === this.#generation) this.#remember(peerId, allowed === true);
          return allowed === true;
        },
        (error: unknown) => {
          this.#components.logger.warn("peer check failed; refusing", { peer: peerId, error: String(error) });
          return false;
        },
      )
      .finally(() => {
        if (this.#pending.get(peerId) === check) this.#pending.delete(peerId);
      });
    this.#pending.set(peerId, check);
    return check;
  }

  #remember(peerId: string, allowed: boolean): void {
    const now = Date.now();
    this.#decisions.delete(peerId);
    this.#decisions.set(peerId, { allowed, expiresAt: now + this.#ttlMs });
    // Strangers dialing with fresh peer ids must not grow the cache without bound.
    if (this.#decisions.size <= MAX_CACHED_DECISIONS) return;
    for (const [key, decision] of this.#decisions) {
      if (decision.expiresAt <= now) this.#decisions.delete(key);
    }
    for (const key of this.#decisions.keys()) {
      if (this.#decisions.size <= MAX_CACHED_DECISIONS) break;
      this.#decisions.delete(key);
    }
  }
}
