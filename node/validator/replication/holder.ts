/**
 * The holder side of a pull (docs/architecture.md#replication): a validator asks this node for a content's DEK over
 * /dekmesh/replicate/1.0.0. Before anything leaves, the holder establishes from the indexer —
 * never from the request — that the requesting peer id belongs to an active, non-revoked
 * validator that is in the content's replica set, and that this node holds the DEK. The DEK
 * then travels sealed to the puller's current KAS key (as registered) and signed by this
 * node's chain account: the 251-byte replication envelope.
 */
import { hexToBytes, type Hex } from "viem";
import { sealReplication } from "../../crypto/envelopes/index.js";
import { IndexerClientError, type IndexerClient, type ReplicationPeer } from "../../indexer-client/index.js";
import type { ChainAccount } from "../../crypto/keys/index.js";
import type { DekStore } from "../store/index.js";
import { ENVELOPE_LIFETIME_S } from "./constants.js";
import { ReplicationError } from "./errors.js";
import { decodeContentRequest } from "./wire.js";

export interface HolderComponents {
  store: Pick<DekStore, "getDek">;
  indexer: Pick<IndexerClient, "holders" | "activeValidators">;
  /** This node's chain account: signs envelopes. */
  account: ChainAccount;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /**
   * The content and the reachable validators as of this node's last work list (read from the
   * indexer at most one pass ago, staleness-checked), if the content is in it. Saves an
   * indexer read per pull; contents it does not know are looked up in the indexer.
   */
  known?: (contentId: Hex) => { replicaSet: readonly (string | null)[]; peers: readonly ReplicationPeer[] } | undefined;
  /**
   * Waits for a work list read that started after the call (true; false if it failed). Pulls
   * from validators the last list did not admit — typically just drawn by a repair — then share
   * one list read instead of asking the indexer one by one.
   */
  refresh?: (signal: AbortSignal) => Promise<boolean>;
  /**
   * Called for an admitted puller when this node lacks the DEK: derives it now if this node is
   * the content's initial validator and would derive it on its next pass (resolves either way).
   */
  derive?: (contentId: Hex) => Promise<void>;
}

export interface ServedPull {
  contentId: Hex;
  puller: Hex;
  envelope: Uint8Array;
}

/** Checks a pull request from `peer` and returns the envelope for it, or throws a ReplicationError. */
export async function servePull(components: HolderComponents, request: Uint8Array, peer: string, signal?: AbortSignal): Promise<ServedPull> {
  const contentId = decodeContentRequest(request);
  const admitted = (known: ReturnType<NonNullable<HolderComponents["known"]>>) => {
    const puller = known?.peers.find((p) => p.peerId === peer);
    return known !== undefined && puller !== undefined && puller.status === "active" && known.replicaSet.includes(puller.node) ? puller : undefined;
  };
  // The last work list (≤ one pass old) can only say yes: a requester it does not list as an
  // active member may have joined the set (a repair, a new validator) after it was read. A "no"
  // is asked again of a list read after the request arrived, which is current state and may
  // refuse; a content not in it (or no list) goes to the indexer's /holders.
  let puller = admitted(components.known?.(contentId));
  if (puller === undefined && components.refresh !== undefined && signal !== undefined && (await components.refresh(signal))) {
    const known = components.known?.(contentId);
    puller = admitted(known);
    if (puller === undefined && known !== undefined) {
      const listed = known.peers.find((p) => p.peerId === peer);
      if (listed === undefined || listed.status !== "active") throw new ReplicationError("REPLICATION_NOT_ACTIVE", "the requester is not an active validator");
      throw new ReplicationError("REPLICATION_NOT_IN_REPLICA_SET", "the requester is not in the content's replica set");
    }
  }
  if (puller !== undefined) return seal(components, contentId, puller.node, puller.kasPublicKey);
  return checkFresh(components, contentId, peer, signal);
}

/** The requester checked against the indexer's current state (holders and active validators). */
async function checkFresh(components: HolderComponents, contentId: Hex, peer: string, signal?: AbortSignal): Promise<ServedPull> {
  let holders;
  try {
    holders = await components.indexer.holders(contentId, { signal });
  } catch (error) {
    throw fromIndexerError(error, "REPLICATION_UNKNOWN_CONTENT");
  }
  const puller = holders.holders.find((h) => h.peerId === peer);
  if (puller === undefined) {
    // Not listed for this content: tell an active validator outside the set from a non-validator.
    let active;
    try {
      active = await components.indexer.activeValidators({ signal });
    } catch (error) {
      throw fromIndexerError(error, "REPLICATION_UNAVAILABLE");
    }
    if (!active.validators.some((v) => v.peerId === peer)) throw new ReplicationError("REPLICATION_NOT_ACTIVE", "the requester is not an active validator");
    throw new ReplicationError("REPLICATION_NOT_IN_REPLICA_SET", "the requester is not in the content's replica set");
  }
  if (!puller.inReplicaSet) throw new ReplicationError("REPLICATION_NOT_IN_REPLICA_SET", "the requester is not in the content's replica set");
  return seal(components, contentId, puller.node, puller.kasPublicKey);
}

async function seal(components: HolderComponents, contentId: Hex, puller: Hex, kasPublicKey: Hex): Promise<ServedPull> {
  let dek = components.store.getDek(contentId);
  if (dek === undefined && components.derive !== undefined) {
    await components.derive(contentId);
    dek = components.store.getDek(contentId);
  }
  if (dek === undefined) throw new ReplicationError("REPLICATION_NOT_HOLDER", "this node does not hold the DEK");
  const envelope = sealReplication({
    dek,
    contentId: hexToBytes(contentId),
    holder: components.account,
    recipient: { address: puller, kasPublicKey: hexToBytes(kasPublicKey) },
    expiresAt: BigInt(Math.floor(components.clock() / 1000)) + ENVELOPE_LIFETIME_S,
  });
  return { contentId, puller, envelope };
}

function fromIndexerError(error: unknown, notFound: "REPLICATION_UNKNOWN_CONTENT" | "REPLICATION_UNAVAILABLE"): ReplicationError {
  if (error instanceof ReplicationError) return error;
  if (error instanceof IndexerClientError) {
    if (error.code === "INDEXER_NOT_FOUND") return new ReplicationError(notFound, notFound === "REPLICATION_UNKNOWN_CONTENT" ? "the content is not registered" : "indexer state unavailable");
    if (error.code === "STATE_STALE") return new ReplicationError("REPLICATION_STATE_STALE", "the holder's indexed state is stale");
  }
  return new ReplicationError("REPLICATION_UNAVAILABLE", "the holder cannot decide now", { cause: error });
}
