/**
 * The validator side of re-seeding a DEK (docs/architecture.md#on-chain-state, docs/client.md "Recovery"): a publisher
 * sends a recovery seed (./recoverySeed.ts) to POST /v1/recover; this checks it and hands the
 * DEK to the replication engine, which stores and confirms it like a pulled one.
 *
 * The checks, cheapest first, so a stranger costs the node no chain read and no nonce:
 *
 *   1. expiry in the future and at most MAX_RECOVERY_LIFETIME_S ahead  → REWRAP_EXPIRED / _EXPIRY_TOO_FAR
 *   2. `validator` is this node, `kid` one of its KAS keys             → REWRAP_MALFORMED
 *   3. the content is registered (the indexer's /holders, cached)      → REWRAP_CONTENT_NOT_FOUND
 *   4. the EIP-712 signer is the content's publisher                   → REWRAP_SIGNATURE_INVALID / REWRAP_ACCESS_DENIED
 *   5. (publisher, nonce) not seen before (the store's replay table)   → REWRAP_REPLAYED
 *   6. the envelope opens under the KAS key for this digest, and the DEK opens the registered
 *      header's policy binding (header read from the chain's ContentRegistered event) → REWRAP_MALFORMED
 *
 * Check 6 is what makes the publisher's word unnecessary: only the content's real DEK opens the
 * binding, so even its publisher cannot plant another DEK that this node would then confirm.
 * The signature is checked before the nonce is recorded (as the rewrap service does) so that
 * forged seeds cannot use up a publisher's nonces.
 */
import { type Address, type Hex, hexToBytes } from "viem";
import { EnvelopeError, unwrapRewrap } from "../../crypto/envelopes/index.js";
import type { IndexerClient } from "../../indexer-client/index.js";
import { recoverAddress, sameAddress } from "../../crypto/keys/ethereum.js";
import { RewrapError, type RewrapDomain } from "../../protocol/rewrap/index.js";
import { toRewrapError } from "../rewrap/refusal.js";
import type { DekStore } from "../store/index.js";
import { decodeHeader, TdfError, verifyHeaderPolicy } from "../../crypto/tdf/index.js";
import { MAX_RECOVERY_LIFETIME_S } from "./constants.js";
import type { ReplicationEngine } from "./engine.js";
import { silentLogger, type Logger } from "../../protocol/logger.js";
import { recoverySeedDigest, type RecoverySeed } from "../../protocol/recoverySeed.js";

export interface DekRecoveryComponents {
  /** This node: a seed names the validator it is for. */
  address: Address;
  /** The rewrap EIP-712 domain (chain id, RewrapAuditLog). */
  domain: RewrapDomain;
  store: Pick<DekStore, "kasKeyRing" | "rememberNonce">;
  indexer: Pick<IndexerClient, "holders">;
  /**
   * The content's registered NanoTDF header (the chain's ContentRegistered event), undefined if
   * the chain does not know the content. A read that fails should throw REWRAP_UNAVAILABLE.
   */
  registeredHeader(contentId: Hex, options: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
  /** Stores durably and confirms (ReplicationEngine.storeRecovered). */
  engine: Pick<ReplicationEngine, "storeRecovered">;
  logger?: Logger;
  /** Milliseconds; default Date.now. */
  clock?: () => number;
}

export interface DekRecoveryResult {
  contentId: Hex;
  stored: true;
}


const malformed = (why: string) => new RewrapError("REWRAP_MALFORMED", { cause: new Error(why) });

export class DekRecovery {
  readonly #c: DekRecoveryComponents;
  readonly #clock: () => number;
  readonly #logger: Logger;

  constructor(components: DekRecoveryComponents) {
    this.#c = components;
    this.#clock = components.clock ?? Date.now;
    this.#logger = components.logger ?? silentLogger;
  }

  /**
   * Checks `seed` and, if it holds, stores its DEK and starts the holding's confirmation.
   * Resolves once the DEK is durable (also when this node already held that DEK); every
   * refusal is a RewrapError and leaves the store as it was (but for the nonce, after step 5).
   */
  async accept(seed: RecoverySeed, options: { signal?: AbortSignal } = {}): Promise<DekRecoveryResult> {
    try {
      return await this.#accept(seed, options.signal);
    } catch (error) {
      throw toRewrapError(error);
    }
  }

  async #accept(seed: RecoverySeed, signal: AbortSignal | undefined): Promise<DekRecoveryResult> {
    const nowS = Math.floor(this.#clock() / 1000);
    if (seed.expiry <= nowS) throw new RewrapError("REWRAP_EXPIRED");
    if (seed.expiry > nowS + MAX_RECOVERY_LIFETIME_S) throw new RewrapError("REWRAP_EXPIRY_TOO_FAR");
    if (!sameAddress(seed.validator, this.#c.address)) throw malformed("the seed is addressed to another validator");
    const kasKey = this.#c.store.kasKeyRing().get(hexToBytes(seed.kid));
    if (kasKey === undefined) throw malformed("the seed names a KAS key this validator does not hold");

    const content = await this.#c.indexer.holders(seed.contentId, { signal });
    const digest = recoverySeedDigest(this.#c.domain, seed);
    const signer = recoverAddress(digest, hexToBytes(seed.signature));
    if (signer === undefined) throw new RewrapError("REWRAP_SIGNATURE_INVALID");
    if (!sameAddress(signer, content.publisher)) throw new RewrapError("REWRAP_ACCESS_DENIED", { cause: new Error("the seed is not signed by the content's publisher") });
    if (!this.#c.store.rememberNonce(content.publisher, seed.nonce, seed.expiry)) throw new RewrapError("REWRAP_REPLAYED");

    const header = await this.#c.registeredHeader(seed.contentId, { signal });
    if (header === undefined) throw new RewrapError("REWRAP_CONTENT_NOT_FOUND");
    let dek: Uint8Array;
    try {
      dek = unwrapRewrap({ envelope: hexToBytes(seed.envelope), clientPrivateKey: kasKey, requestDigest: digest });
    } catch (error) {
      if (error instanceof EnvelopeError) throw malformed("the envelope does not open at this validator for this seed");
      throw error;
    }
    try {
      verifyHeaderPolicy(decodeHeader(header, { exact: true }), dek, content.policyId);
      await this.#c.engine.storeRecovered({ contentId: seed.contentId, policyId: content.policyId, mode: content.mode }, dek);
    } catch (error) {
      if (error instanceof TdfError) throw malformed("the DEK does not open the registered header's policy binding");
      throw error;
    } finally {
      dek.fill(0);
    }
    this.#logger.info("re-seeded a DEK from its publisher", { contentId: seed.contentId, mode: content.mode });
    return { contentId: seed.contentId, stored: true };
  }
}

export function createDekRecovery(components: DekRecoveryComponents): DekRecovery {
  return new DekRecovery(components);
}
