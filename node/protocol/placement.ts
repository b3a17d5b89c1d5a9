// Where a content's DEK should live under the replication modes whose replica set is not
// written on chain (docs/architecture.md#replication): `xor(k)` and `all`. The indexer's /holders endpoint and the
// validator nodes both call these functions, so the answer is the same wherever it is computed.
import { hexToBigInt, keccak256, type Address, type Hex } from "viem";

/** A validator as placement needs it; `xorId` may be passed precomputed (the indexer stores it). */
export interface PlacementCandidate {
  node: Address;
  xorId?: Hex;
}

/** A validator's position in the XOR id space: keccak256 of its 20-byte node address. */
export function xorId(node: Address): Hex {
  return keccak256(node);
}

/** uint256(xorId(node) XOR contentId): smaller is closer (seed 002). */
export function xorDistance(contentId: Hex, validator: Address | PlacementCandidate): bigint {
  const id = typeof validator === "string" ? xorId(validator) : (validator.xorId ?? xorId(validator.node));
  return hexToBigInt(id) ^ hexToBigInt(contentId);
}

/**
 * The `xor(k)` replica set: the k validators of `activeValidators` closest to `contentId`,
 * closest first. Distances are distinct for distinct addresses (keccak256 is injective in
 * practice); equal ones — only a validator listed twice — are ordered by address so the
 * result never depends on input order. Fewer than k validators → all of them.
 */
export function xorReplicaSet<V extends Address | PlacementCandidate>(
  contentId: Hex,
  activeValidators: readonly V[],
  k: number,
): V[] {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`replica count must be a non-negative integer, got ${k}`);
  const target = hexToBigInt(contentId);
  const ranked = activeValidators.map((v) => {
    const node = typeof v === "string" ? v : v.node;
    const id = typeof v === "string" ? xorId(v) : (v.xorId ?? xorId(v.node));
    return { v, node: node.toLowerCase(), distance: hexToBigInt(id) ^ target };
  });
  ranked.sort((a, b) =>
    a.distance < b.distance ? -1 : a.distance > b.distance ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : 0,
  );
  return ranked.slice(0, k).map((r) => r.v);
}

/** The `all` replica set: every active validator. */
export function allReplicaSet<V>(activeValidators: readonly V[]): V[] {
  return [...activeValidators];
}
