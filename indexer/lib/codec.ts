// Decoding of on-chain values into the forms the API and the validator nodes use. Shared by
// the indexing functions (which store them) and the API (which parses request parameters).
import { CID } from "multiformats/cid";
import { base58btc } from "multiformats/bases/base58";
import { hexToBytes, keccak256, type Hex } from "viem";

import { REPLICATION_MODES, type ReplicationModeName } from "../../node/protocol/limits.js";

export { REPLICATION_MODES, type ReplicationModeName };

/** IAttributeRegistry.AttributeRule, by numeric value. */
export const ATTRIBUTE_RULES = ["allOf", "anyOf", "hierarchy"] as const;
export type AttributeRuleName = (typeof ATTRIBUTE_RULES)[number];

/** contracts/types/DekmeshTypes.sol ValidatorStatus, by numeric value (lowercase). */
export const VALIDATOR_STATUSES = ["none", "registered", "active", "exiting", "exited", "jailed"] as const;
export type ValidatorStatusName = (typeof VALIDATOR_STATUSES)[number];

export function replicationModeName(code: number): ReplicationModeName {
  const name = REPLICATION_MODES[code];
  if (name === undefined) throw new RangeError(`unknown replication mode ${code}`);
  return name;
}

export function attributeRuleName(code: number): AttributeRuleName {
  const name = ATTRIBUTE_RULES[code];
  if (name === undefined) throw new RangeError(`unknown attribute rule ${code}`);
  return name;
}

/** A libp2p peer id's text form: its multihash bytes in base58btc without the multibase prefix. */
export function peerIdText(peerIdBytes: Hex): string {
  return base58btc.baseEncode(hexToBytes(peerIdBytes));
}

/**
 * The canonical text of a binary CID (base32 for v1, base58btc for v0), or null when the
 * bytes are not a CID: the contract only bounds their length, and a malformed registration
 * must not stop the indexer (the content stays reachable by its contentId).
 */
export function cidText(cidBytes: Hex): string | null {
  try {
    return CID.decode(hexToBytes(cidBytes)).toString();
  } catch {
    return null;
  }
}

/** contentId = keccak256(binary CID), as ContentRegistry keys contents. */
export function contentIdOfCid(cid: CID): Hex {
  return keccak256(cid.bytes);
}
