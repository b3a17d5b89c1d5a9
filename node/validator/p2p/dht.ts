import { createHash } from "node:crypto";
import type { Libp2p } from "@libp2p/interface";
import type { KadDHT } from "@libp2p/kad-dht";
import type { Multiaddr } from "@multiformats/multiaddr";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import * as Digest from "multiformats/hashes/digest";
import { DEFAULT_FIND_PROVIDERS_LIMIT } from "./constants.js";
import { abortError, P2pError } from "./errors.js";
import type { PeerGate } from "./gate.js";
import type { FindProvidersOptions } from "./options.js";
import { isContentId } from "../../protocol/ids.js";

/** A validator that announced it holds the DEK of a content. */
export interface ProviderInfo {
  peerId: string;
  multiaddrs: Multiaddr[];
}


const SHA2_256 = 0x12;

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
}

/** Provider records ("this validator holds the DEK of content X") in the validators' Kademlia DHT. */
export class ProviderRecords {
  readonly #components: ProviderRecordsComponents;

  constructor(components: ProviderRecordsComponents) {
    this.#components = components;
  }

  /**
   * Announces this node as a provider of `contentId` and returns how many DHT peers accepted
   * the record (0 on a node with no DHT peers yet; the record is kept locally and republished
   * by the DHT's reprovider).
   */
  async provide(contentId: string, signal: AbortSignal): Promise<number> {
    const cid = contentIdToCid(contentId);
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
