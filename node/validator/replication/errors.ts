import { DekmeshError } from "../../protocol/errors.js";

/**
 * Stable codes of replication refusals. The holder side sends the first group to a puller over
 * /dekmesh/replicate/1.0.0 (the p2p layer carries code, message and `retryable`); the puller
 * side raises the second group when an envelope it received does not check out. An oversized
 * request never reaches the handler: the p2p layer refuses it with P2P_MESSAGE_TOO_LARGE.
 */
export const REPLICATION_ERROR_CODES = [
  // holder side: the pull request
  "REPLICATION_MALFORMED", // not the wire format (bad JSON, unknown key, bad content id)
  "REPLICATION_NOT_ACTIVE", // the puller is not an active, non-revoked validator (per the indexer)
  "REPLICATION_NOT_IN_REPLICA_SET", // the puller is active but not in the content's replica set
  "REPLICATION_UNKNOWN_CONTENT", // the content is not registered (as of fresh indexed state)
  "REPLICATION_NOT_HOLDER", // this node does not hold the DEK
  "REPLICATION_STATE_STALE", // the holder's indexed state is too old to decide on
  "REPLICATION_UNAVAILABLE", // indexer, store or node unavailable on the holder
  // puller side: the envelope received
  "REPLICATION_ENVELOPE_MALFORMED", // wrong length or version
  "REPLICATION_ENVELOPE_MISDIRECTED", // addressed to another node or another content
  "REPLICATION_ENVELOPE_FORGED", // not signed by its holder field, or from a holder we did not ask
  "REPLICATION_ENVELOPE_EXPIRED", // expired, or valid for longer than we accept
  "REPLICATION_ENVELOPE_REPLAYED", // its nonce was already accepted
  "REPLICATION_ENVELOPE_UNKNOWN_KID", // encrypted to a KAS key this node does not hold
  "REPLICATION_DEK_MISMATCH", // the DEK does not open the registered header's policy binding
] as const;

export type ReplicationErrorCode = (typeof REPLICATION_ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<ReplicationErrorCode> = new Set(["REPLICATION_NOT_HOLDER", "REPLICATION_STATE_STALE", "REPLICATION_UNAVAILABLE"]);

export class ReplicationError extends DekmeshError<ReplicationErrorCode> {
  override name = "ReplicationError";

  override get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export function isReplicationErrorCode(code: unknown): code is ReplicationErrorCode {
  return typeof code === "string" && (REPLICATION_ERROR_CODES as readonly string[]).includes(code);
}
