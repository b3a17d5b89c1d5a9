/**
 * GET /replication/:node — one page of a node's replication work list (docs/replication.md):
 * its record, the validators it may talk to, and the contents that concern it. The request's
 * path and the page's parsing; the client reads it (IndexerClient.replication).
 */
import { IndexerClientError } from "./errors.js";
import { Fields, parseBlock, type Address, type Hex, type IndexedBlock } from "./types.js";
import { isAddress } from "../protocol/ids.js";
import type { ReplicationModeName } from "../protocol/limits.js";

/** A validator the node may talk to (GET /replication): active, or exiting and not revoked. */
export interface ReplicationPeer {
  node: Address;
  status: string;
  peerId: string;
  multiaddrs: string[];
  endpoint: string;
  kid: Hex;
  kasPublicKey: Hex;
}

/** The node's own record: a peer, whether its node account is revoked, and every KAS key id it ever registered (oldest first). */
export interface ReplicationSelf extends ReplicationPeer {
  revoked: boolean;
  kids: Hex[];
}

/**
 * A content that concerns the node: it is in the replica set, the initial validator, or a
 * confirmed holder. Contents their initial validator reported unusable are not listed.
 */
export interface ReplicationContent {
  contentId: Hex;
  policyId: bigint;
  mode: ReplicationModeName;
  k: number;
  initialValidator: Address;
  registeredBlock: number;
  /** The registered NanoTDF header bytes. */
  header: Hex;
  /** Stake slots (null = vacant; members may be inactive), explicit members, or the computed xor/all set. */
  replicaSet: (Address | null)[];
  /** Validators that confirmed the DEK on chain (any status). */
  holders: Address[];
}

/** GET /replication/:node — one page. */
export interface ReplicationWork {
  block: IndexedBlock;
  /** Tag of this page: passed back as `known`, the indexer answers "unchanged" while it still holds. */
  tag: string;
  node: ReplicationSelf | null;
  peers: ReplicationPeer[];
  contents: ReplicationContent[];
  nextCursor: string | null;
}

/** GET /replication/:node?known=<tag> when the page with that tag is still the answer. */
export interface ReplicationUnchanged {
  block: IndexedBlock;
  tag: string;
  unchanged: true;
}

export interface ReplicationParameters {
  cursor?: string;
  limit?: number;
  /** The `tag` of the page the caller holds: the answer is `{ unchanged: true }` while it is current. */
  known?: string;
}

/** The request path for `node` (already normalized). */
export function replicationPath(node: Address, parameters: ReplicationParameters): string {
  const params = new URLSearchParams();
  if (parameters.cursor !== undefined) params.set("cursor", parameters.cursor);
  if (parameters.limit !== undefined) params.set("limit", String(parameters.limit));
  if (parameters.known !== undefined) params.set("known", parameters.known);
  return `/replication/${node}${params.size > 0 ? `?${params}` : ""}`;
}

/** A 200 answer, checked field by field; "unchanged" only for the tag that was sent. */
export function parseReplication(body: unknown, known: string | undefined): ReplicationWork | ReplicationUnchanged {
  const f = Fields.of(body, "replication");
  if (f.value.unchanged !== undefined) {
    const tag = f.string("tag");
    if (f.value.unchanged !== true || tag !== known) throw new IndexerClientError("INDEXER_BAD_RESPONSE", "indexer response: unchanged for another tag than the one sent");
    return { block: parseBlock(body, "replication"), tag, unchanged: true };
  }
  return {
    block: parseBlock(body, "replication"),
    tag: f.string("tag"),
    node: f.value.node === null ? null : parseSelf(f.object("node")),
    peers: f.array("peers").map((item, i) => parsePeer(item, `replication.peers[${i}]`)),
    contents: f.array("contents").map((item, i) => parseContent(item, `replication.contents[${i}]`)),
    nextCursor: f.value.nextCursor === null ? null : f.string("nextCursor"),
  };
}

const KID = /^0x[0-9a-fA-F]{16}$/;

function parseSelf(n: Fields): ReplicationSelf {
  const kids = n.array("kids").map((kid, i) => {
    if (typeof kid !== "string" || !KID.test(kid)) throw new IndexerClientError("INDEXER_BAD_RESPONSE", `indexer response: replication.node.kids[${i}] is not a key id`);
    return kid.toLowerCase() as Hex;
  });
  return { ...parsePeer(n.value, "replication.node"), revoked: n.boolean("revoked"), kids };
}

function parsePeer(item: unknown, where: string): ReplicationPeer {
  const p = Fields.of(item, where);
  return {
    node: p.address("node"),
    status: p.string("status"),
    peerId: p.string("peerId"),
    multiaddrs: p.strings("multiaddrs"),
    endpoint: p.string("endpoint"),
    kid: p.hex("kid"),
    kasPublicKey: p.hex("kasPublicKey"),
  };
}

function parseContent(item: unknown, where: string): ReplicationContent {
  const c = Fields.of(item, where);
  return {
    contentId: c.bytes32("contentId"),
    policyId: c.uint("policyId"),
    mode: c.mode("mode"),
    k: c.integer("k"),
    initialValidator: c.address("initialValidator"),
    registeredBlock: c.integer("registeredBlock"),
    header: c.hex("header"),
    replicaSet: c.array("replicaSet").map((m, j) => addressOrNull(m, `${where}.replicaSet[${j}]`)),
    holders: c.array("holders").map((m, j) => addressOrNull(m, `${where}.holders[${j}]`)!),
  };
}

function addressOrNull(value: unknown, where: string): Address | null {
  if (value === null) return null;
  if (!isAddress(value)) throw new IndexerClientError("INDEXER_BAD_RESPONSE", `indexer response: ${where} is not an address`);
  return value.toLowerCase() as Address;
}
