import { createHash } from "node:crypto";
import type { Libp2p } from "@libp2p/interface";
import type { KadDHT, SingleKadDHT } from "@libp2p/kad-dht";
import type { Multiaddr } from "@multiformats/multiaddr";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { DEFAULT_FIND_PROVIDERS_LIMIT } from "./constants.js";
import { abortError, P2pError } from "./errors.js";
import type { PeerGate } from "./gate.js";
import type { DhtQueryOptions, DhtSeed, FindProvidersOptions } from "./options.js";
import { parseTarget, validatorDialTarget } from "./peers.js";
import { raceSignal } from "../../protocol/abort.js";
import { isContentId } from "../../protocol/ids.js";
import type { Logger } from "../../protocol/logger.js";
import { shuffle } from "../../protocol/shuffle.js";

/** A validator that announced it holds the DEK of a content. */
export interface ProviderInfo {
  peerId: string;
  multiaddrs: Multiaddr[];
}


const SHA2_256 = 0x12;

/**
 * Seeds a node with no connected DHT peer dials before a query. One reachable seed is enough to
 * start; a few more make it unlikely that two such nodes join through disjoint peers, which no
 * Kademlia lookup would bridge.
 */
export const DHT_SEED_DIALS = 8;

/**
 * The DHT key of a content: a CIDv1 with the raw codec over the SHA-256 multihash of the 32
 * bytes of `contentId` (the on-chain `keccak256(cidBytes)`). Kademlia sends only the multihash on
 * the wire and its peers parse it as a CIDv0, which must be SHA-256 — an identity multihash would
 * keep the key reversible but every peer would reject it.
 */
export function contentIdToCid(contentId: string): CID {
  if (!isContentId(contentId)) {
    throw new P2pError("P2P_INVALID_ARGUMENT", "content id must be 0x followed by 64 hex digits");
  }
  const hash = createHash("sha256").update(Buffer.from(contentId.slice(2), "hex")).digest();
  return CID.createV1(raw.code, Digest.create(SHA2_256, new Uint8Array(hash)));
}

export interface ProviderRecordsComponents {
  libp2p: Libp2p<{ dht: KadDHT }>;
  gate: PeerGate;
  logger: Logger;
}

/** Provider records ("this validator holds the DEK of content X") in the validators' Kademlia DHT. */
export class ProviderRecords {
  readonly #components: ProviderRecordsComponents;

  constructor(components: ProviderRecordsComponents) {
    this.#components = components;
  }

  /**
   * Announces this node as a provider of `contentId` and returns how many DHT peers accepted
   * the record. The record is also kept locally; kad-dht republishes it only when it nears
   * expiry (after about a day), so a caller whose provide reached no peer tries again. With
   * `seeds`, a node that could join nobody returns 0 at once.
   */
  async provide(contentId: string, signal: AbortSignal, seeds: DhtQueryOptions["seeds"]): Promise<number> {
    const cid = contentIdToCid(contentId);
    await this.#join(seeds, signal);
    // No seed answered and no peer is on its way into the routing table: kad-dht would only
    // wait out the deadline (and hold a provide slot). The caller tries again later.
    if (seeds !== undefined && this.#routingTable().size === 0 && this.#components.libp2p.getConnections().length === 0) return 0;
    let accepted = 0;
    try {
      for await (const event of this.#components.libp2p.services.dht.provide(cid, { signal })) {
        if (event.name === "PEER_RESPONSE" && event.messageName === "ADD_PROVIDER") accepted++;
      }
    } catch (error) {
      throw queryError(error, signal, { contentId });
    }
    return accepted;
  }

  async stopProviding(contentId: string): Promise<void> {
    await this.#components.libp2p.services.dht.cancelReprovide(contentIdToCid(contentId));
  }

  /**
   * Finds validators that announced `contentId`, stopping at `limit`. Providers the peer gate
   * refuses (no longer active) are left out. This node is included if it provides the content.
   */
  async findProviders(contentId: string, signal: AbortSignal, options: FindProvidersOptions): Promise<ProviderInfo[]> {
    const cid = contentIdToCid(contentId);
    const limit = options.limit ?? DEFAULT_FIND_PROVIDERS_LIMIT;
    if (!Number.isSafeInteger(limit) || limit <= 0) {
      throw new P2pError("P2P_INVALID_ARGUMENT", "limit must be a positive integer");
    }
    await this.#join(options.seeds, signal);
    const { libp2p, gate } = this.#components;
    const self = libp2p.peerId.toString();
    const found = new Map<string, ProviderInfo>();
    try {
      for await (const event of libp2p.services.dht.findProviders(cid, { signal })) {
        if (event.name !== "PROVIDER") continue;
        for (const provider of event.providers) {
          const peerId = provider.id.toString();
          if (found.has(peerId) || !(await gate.isAllowed(peerId))) continue;
          const multiaddrs = uniqueAddresses(peerId === self ? libp2p.getMultiaddrs() : provider.multiaddrs);
          found.set(peerId, { peerId, multiaddrs });
          if (peerId !== self && multiaddrs.length > 0) {
            await libp2p.peerStore.merge(provider.id, { multiaddrs }, { signal });
          }
          if (found.size >= limit) return [...found.values()];
        }
      }
    } catch (error) {
      // A deadline ends the search; what was found by then is the answer.
      if (signal.aborted && found.size > 0) return [...found.values()];
      throw queryError(error, signal, { contentId });
    }
    return [...found.values()];
  }

  /**
   * kad-dht runs a query only once its routing table has a peer, and waits for one until the
   * deadline. A node with no DHT peer connected — it met nobody yet (no bootstrap, no pull), or
   * every peer it knew is gone — would wait in vain: it dials some seeds first, and the query
   * goes on as soon as one of them is identified as a DHT server and added to the table.
   */
  async #join(seeds: DhtQueryOptions["seeds"], signal: AbortSignal): Promise<void> {
    const { libp2p, gate, logger } = this.#components;
    const routingTable = this.#routingTable();
    if (seeds === undefined || (routingTable.size > 0 && libp2p.getConnections().length > 0)) return;
    let candidates: readonly DhtSeed[];
    try {
      candidates = await raceSignal(seeds(), signal, () => signal.reason);
    } catch (error) {
      logger.debug("no DHT seeds to join through", { error: String(error) });
      return;
    }
    const self = libp2p.peerId.toString();
    const picked = shuffle(candidates.filter((seed) => seed.peerId !== self)).slice(0, DHT_SEED_DIALS);
    logger.debug("no DHT peer connected: dialing seeds", { seeds: picked.map((seed) => seed.peerId), routingTable: routingTable.size });
    await Promise.allSettled(
      picked.map(async (seed) => {
        try {
          if (!(await gate.isAllowed(seed.peerId))) return;
          await libp2p.dial(parseTarget(validatorDialTarget(seed)).dialTarget, { signal });
        } catch (error) {
          logger.debug("DHT seed dial failed", { peer: seed.peerId, error: String(error) });
        }
      }),
    );
  }

  #routingTable(): SingleKadDHT["routingTable"] {
    return (this.#components.libp2p.services.dht as SingleKadDHT).routingTable;
  }
}

function uniqueAddresses(addresses: Multiaddr[]): Multiaddr[] {
  const seen = new Map<string, Multiaddr>();
  for (const address of addresses) seen.set(address.toString(), address);
  return [...seen.values()];
}

function queryError(error: unknown, signal: AbortSignal, details: Record<string, unknown>): P2pError {
  if (signal.aborted) return abortError(signal, details);
  if (error instanceof P2pError) return error;
  return new P2pError("P2P_DIAL_FAILED", "DHT query failed", { details, cause: error });
}
