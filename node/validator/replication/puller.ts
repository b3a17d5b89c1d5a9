/**
 * The puller side (docs/architecture.md#replication): ask holders for a DEK over /dekmesh/replicate/1.0.0, and accept
 * an envelope only if it is addressed to this node and this content, signed by the holder that
 * was asked, fresh, not replayed, encrypted to a KAS key this node holds — and if the DEK it
 * carries opens the registered header's policy binding, so a holder cannot plant a wrong DEK
 * that this node would then confirm on chain.
 */
import { hexToBytes, type Address, type Hex } from "viem";
import { EnvelopeError, openReplication, ReplayGuard } from "../../crypto/envelopes/index.js";
import type { KasKeyRing } from "../../crypto/keys/index.js";
import { DekmeshError } from "../../protocol/errors.js";
import { PROTOCOL_REPLICATE, validatorDialTarget, type P2pNode } from "../p2p/index.js";
import { decodeHeader, TdfError, verifyHeaderPolicy } from "../../crypto/tdf/index.js";
import { MAX_ENVELOPE_LIFETIME_S, MAX_PULL_ANSWER_BYTES } from "./constants.js";
import { ReplicationError, type ReplicationErrorCode } from "./errors.js";
import { encodeContentRequest } from "./wire.js";

/** A validator that may hold the DEK, with where to reach it. */
export interface PullSource {
  node: Address;
  peerId: string;
  multiaddrs: string[];
}

export interface AcceptEnvelopeParameters {
  envelope: Uint8Array;
  contentId: Hex;
  /** The holder this node asked: the envelope must be signed by it. */
  source: Address;
  /** This node. */
  recipient: Address;
  keyring: KasKeyRing;
  /** Registered header bytes and policy id: the DEK must open the header's policy binding. */
  header: Hex;
  policyId: bigint;
  replayGuard: ReplayGuard;
  /** Unix seconds. */
  now: bigint;
}

const ENVELOPE_CODES: Record<string, ReplicationErrorCode> = {
  ENVELOPE_MALFORMED: "REPLICATION_ENVELOPE_MALFORMED",
  ENVELOPE_UNSUPPORTED_VERSION: "REPLICATION_ENVELOPE_MALFORMED",
  ENVELOPE_WRONG_RECIPIENT: "REPLICATION_ENVELOPE_MISDIRECTED",
  ENVELOPE_WRONG_CONTENT: "REPLICATION_ENVELOPE_MISDIRECTED",
  ENVELOPE_WRONG_SENDER: "REPLICATION_ENVELOPE_FORGED",
  ENVELOPE_BAD_SIGNATURE: "REPLICATION_ENVELOPE_FORGED",
  ENVELOPE_DECRYPT_FAILED: "REPLICATION_ENVELOPE_FORGED",
  ENVELOPE_EXPIRED: "REPLICATION_ENVELOPE_EXPIRED",
  ENVELOPE_REPLAYED: "REPLICATION_ENVELOPE_REPLAYED",
  ENVELOPE_UNKNOWN_KID: "REPLICATION_ENVELOPE_UNKNOWN_KID",
};

/** Opens and checks an envelope; returns the DEK or throws a REPLICATION_ENVELOPE_* / DEK_MISMATCH error. */
export function acceptEnvelope(p: AcceptEnvelopeParameters): Uint8Array {
  let dek: Uint8Array;
  try {
    ({ dek } = openReplication({
      envelope: p.envelope,
      recipient: p.recipient,
      recipientKasKey: p.keyring,
      expectedContentId: hexToBytes(p.contentId),
      now: p.now,
      isAcceptedHolder: (holder) => holder.toLowerCase() === p.source.toLowerCase(),
      replayGuard: p.replayGuard,
      maxLifetime: MAX_ENVELOPE_LIFETIME_S,
    }));
  } catch (error) {
    if (error instanceof EnvelopeError) {
      const code = ENVELOPE_CODES[error.code] ?? "REPLICATION_ENVELOPE_MALFORMED";
      throw new ReplicationError(code, `replication envelope refused: ${error.message}`, { details: { source: p.source } });
    }
    throw error;
  }
  try {
    verifyHeaderPolicy(decodeHeader(hexToBytes(p.header), { exact: true }), dek, p.policyId);
  } catch (error) {
    if (error instanceof TdfError) {
      throw new ReplicationError("REPLICATION_DEK_MISMATCH", "the received DEK does not open the registered header's policy binding", {
        details: { source: p.source, tdf: error.code },
      });
    }
    throw error;
  }
  return dek;
}


/** Asks one source for the envelope of `contentId`. Transport and remote refusals are thrown as they come. */
export async function requestEnvelope(p2p: Pick<P2pNode, "request">, source: PullSource, contentId: Hex, options: { signal?: AbortSignal; timeoutMs?: number }): Promise<Uint8Array> {
  return p2p.request(validatorDialTarget(source), PROTOCOL_REPLICATE, encodeContentRequest(contentId), {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    maxResponseBytes: MAX_PULL_ANSWER_BYTES,
  });
}

/** A short description of why a source failed, for logs (codes only). */
export function failureCode(error: unknown): string {
  if (error instanceof DekmeshError) return error.code;
  return error instanceof Error ? error.name : "unknown";
}
