import { DekmeshError } from "../../protocol/errors.js";

/** Stable codes of the errors the p2p layer raises itself. */
export type P2pErrorCode =
  /** A frame's length prefix (or a payload to send) is above the protocol's limit. */
  | "P2P_MESSAGE_TOO_LARGE"
  /** A bad length prefix, response envelope or payload encoding. */
  | "P2P_MALFORMED"
  /** The stream ended (or was reset) before a whole frame arrived. */
  | "P2P_TRUNCATED"
  /** The deadline of a request, a handler or a DHT query passed. */
  | "P2P_TIMEOUT"
  /** The caller aborted the operation. */
  | "P2P_ABORTED"
  /** The peer is not an active, non-revoked validator (or we are not one in its eyes). */
  | "P2P_PEER_NOT_ALLOWED"
  /** The peer could not be reached. */
  | "P2P_DIAL_FAILED"
  /** The peer does not speak the protocol. */
  | "P2P_PROTOCOL_UNSUPPORTED"
  /** The peer has too many requests of this protocol in flight; try later or elsewhere. */
  | "P2P_BUSY"
  /** A handler failed without a typed refusal; the reason stays in the responder's logs. */
  | "P2P_INTERNAL"
  /** The node is not running. */
  | "P2P_NOT_STARTED"
  /** A caller passed an argument that can never work (bad protocol id, content id, address). */
  | "P2P_INVALID_ARGUMENT";

const RETRYABLE: ReadonlySet<string> = new Set(["P2P_TIMEOUT", "P2P_TRUNCATED", "P2P_DIAL_FAILED", "P2P_BUSY"]);

/** An error of the p2p layer. Details carry `peer` and `protocol` where known, never payloads. */
export class P2pError<Code extends string = P2pErrorCode> extends DekmeshError<Code> {
  override name = "P2pError";

  override get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/**
 * An error answer from the remote peer, raised again on the requesting side with the remote's
 * code: a handler's typed refusal (e.g. `REPLICATE_NOT_IN_REPLICA_SET`) or the remote framework's
 * own (`P2P_MESSAGE_TOO_LARGE` for a request it would not read). `details.remote` is `true`.
 */
export class P2pRemoteError extends P2pError<string> {
  override name = "P2pRemoteError";
  readonly peer: string;
  readonly protocol: string;
  readonly #retryable: boolean;

  constructor(
    code: string,
    message: string,
    options: { peer: string; protocol: string; details?: Record<string, unknown>; retryable?: boolean },
  ) {
    super(code, message, {
      details: { ...options.details, remote: true, peer: options.peer, protocol: options.protocol },
    });
    this.peer = options.peer;
    this.protocol = options.protocol;
    this.#retryable = options.retryable ?? RETRYABLE.has(code);
  }

  override get retryable(): boolean {
    return this.#retryable;
  }
}

/** Maps an aborted signal to the typed error a caller expects: a deadline or a cancellation. */
export function abortError(signal: AbortSignal, details: Record<string, unknown> = {}): P2pError {
  const reason: unknown = signal.reason;
  if (reason instanceof P2pError) return reason;
  if (reason instanceof Error && reason.name === "TimeoutError") {
    return new P2pError("P2P_TIMEOUT", "operation timed out", { details, cause: reason });
  }
  return new P2pError("P2P_ABORTED", "operation aborted", { details, cause: reason });
}
