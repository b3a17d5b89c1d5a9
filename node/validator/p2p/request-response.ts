import type { Connection, Libp2p, Stream } from "@libp2p/interface";
import {
  BUSY_ANSWER_HEADROOM,
  CLOSE_GRACE_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_OUTBOUND_STREAMS,
  MAX_MESSAGE_BYTES,
  MAX_VARINT_BYTES,
  REFUSED_PEER_HANG_UP_DELAY_MS,
} from "./constants.js";
import { decodeResponse, encodeErrorResponse, encodeOkResponse, type WireError } from "./envelope.js";
import { abortError, P2pError, P2pRemoteError } from "./errors.js";
import { DekmeshError } from "../../protocol/errors.js";
import { FrameReader, writeFrameAndClose } from "./framing.js";
import type { PeerGate } from "./gate.js";
import { connectionError, parseTarget, type PeerTarget } from "./peers.js";
import {
  assertProtocolId,
  messageLimit,
  resolveHandleOptions,
  type HandleOptions,
  type RequestOptions,
  type ResolvedHandleOptions,
} from "./options.js";
import { raceSignal } from "../../protocol/abort.js";
import type { Logger } from "../../protocol/logger.js";

/** What a handler learns about the request besides its bytes. */
export interface RequestContext {
  /** The requester's authenticated peer id. */
  peer: string;
  protocol: string;
  /** Aborted at the handler's deadline or when the node stops. */
  signal: AbortSignal;
}

/**
 * Answers one request. Return the answer's bytes; throw a `DekmeshError` to refuse with its code
 * (its message and details are sent to the peer, so they must not hold secrets). Any other throw
 * is answered `P2P_INTERNAL` and logged locally.
 */
export type RequestHandler = (request: Uint8Array, context: RequestContext) => Uint8Array | Promise<Uint8Array>;

export interface RequestResponseComponents {
  libp2p: Libp2p;
  gate: PeerGate;
  logger: Logger;
  /** Closes every connection to a peer that is no longer allowed. */
  dropPeer(peer: string): void;
}

interface Registration {
  handler: RequestHandler;
  options: ResolvedHandleOptions;
  active: number;
}

/**
 * One request and one response per stream, each a length-prefixed frame (see `framing.ts`); the
 * response carries a status byte (see `envelope.ts`). The byte payloads are the protocol's own.
 */
export class RequestResponse {
  readonly #components: RequestResponseComponents;
  readonly #registrations = new Map<string, Registration>();
  /** Peers refused as no longer allowed whose hang-up is scheduled. */
  readonly #hangingUp = new Set<string>();
  readonly #shutdown: AbortSignal;
  readonly #requestTimeoutMs: number;

  constructor(components: RequestResponseComponents, init: { shutdown: AbortSignal; requestTimeoutMs: number }) {
    this.#components = components;
    this.#shutdown = init.shutdown;
    this.#requestTimeoutMs = init.requestTimeoutMs;
  }

  async handle(protocol: string, handler: RequestHandler, options: HandleOptions = {}): Promise<void> {
    assertProtocolId(protocol);
    if (this.#registrations.has(protocol)) {
      throw new P2pError("P2P_INVALID_ARGUMENT", `protocol ${protocol} already has a handler`);
    }
    const registration: Registration = { handler, options: resolveHandleOptions(options), active: 0 };
    this.#registrations.set(protocol, registration);
    try {
      await this.#components.libp2p.handle(
        protocol,
        (stream, connection) => {
          void this.#serve(protocol, registration, stream, connection);
        },
        {
          maxInboundStreams: registration.options.maxInboundStreams + BUSY_ANSWER_HEADROOM,
          maxOutboundStreams: DEFAULT_MAX_OUTBOUND_STREAMS,
        },
      );
    } catch (error) {
      this.#registrations.delete(protocol);
      throw error;
    }
  }

  async unhandle(protocol: string): Promise<void> {
    if (!this.#registrations.delete(protocol)) return;
    await this.#components.libp2p.unhandle(protocol);
  }

  async request(
    target: PeerTarget,
    protocol: string,
    payload: Uint8Array,
    options: RequestOptions = {},
  ): Promise<Uint8Array> {
    assertProtocolId(protocol);
    if (!(payload instanceof Uint8Array)) throw new P2pError("P2P_INVALID_ARGUMENT", "payload must be a Uint8Array");
    if (payload.byteLength > MAX_MESSAGE_BYTES) {
      throw new P2pError("P2P_MESSAGE_TOO_LARGE", "request above the absolute frame limit", {
        details: { protocol, limit: MAX_MESSAGE_BYTES, length: payload.byteLength },
      });
    }
    const maxResponseBytes = messageLimit("maxResponseBytes", options.maxResponseBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    const { dialTarget, peer } = parseTarget(target);
    const context = { peer: peer ?? dialTarget.toString(), protocol };
    const deadline = startDeadline(options.timeoutMs ?? this.#requestTimeoutMs, [options.signal, this.#shutdown]);
    try {
      if (peer !== undefined && !(await this.#components.gate.isAllowed(peer))) {
        throw new P2pError("P2P_PEER_NOT_ALLOWED", "peer is not an active validator", { details: context });
      }
      let connection: Connection;
      let stream: Stream;
      try {
        connection = await this.#components.libp2p.dial(dialTarget, { signal: deadline.signal });
        stream = await connection.newStream(protocol, {
          signal: deadline.signal,
          maxOutboundStreams: DEFAULT_MAX_OUTBOUND_STREAMS,
        });
      } catch (error) {
        throw connectionError(error, deadline.signal, context);
      }
      // The authenticated id, also when the target was a multiaddr without one.
      const remote = { peer: connection.remotePeer.toString(), protocol };
      const reader = new FrameReader(stream, maxResponseBytes + MAX_VARINT_BYTES);
      try {
        // The peer may refuse before it has read everything (e.g. an oversized request), so the
        // answer is awaited while the request is still being written; a failed write shows up
        // as a failed read.
        writeFrameAndClose(stream, payload, deadline.signal).catch(() => undefined);
        const body = await reader.readFrame(maxResponseBytes, deadline.signal);
        return decodeResponse(body, remote);
      } catch (error) {
        if (!(error instanceof P2pRemoteError) && stream.status === "open") {
          stream.abort(error instanceof Error ? error : new Error(String(error)));
        }
        throw withContext(error, remote);
      } finally {
        closeWhenPeerDoes(stream);
      }
    } finally {
      deadline.clear();
    }
  }

  async #serve(protocol: string, registration: Registration, stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const { options } = registration;
    const reader = new FrameReader(stream, options.maxRequestBytes + MAX_VARINT_BYTES);
    const deadline = startDeadline(options.timeoutMs, [this.#shutdown]);
    const answer = (body: Uint8Array): Promise<void> => sendAnswer(stream, body, deadline.signal);
    const refuse = (error: unknown): Promise<void> =>
      answer(encodeErrorResponse(this.#toWireError(error, peer, protocol), options.maxResponseBytes));
    if (registration.active >= options.maxInboundStreams) {
      try {
        await reader.waitForFirstByte(deadline.signal);
        await refuse(new P2pError("P2P_BUSY", "too many requests in flight", { details: { protocol } }));
      } finally {
        deadline.clear();
        closeWhenPeerDoes(stream);
      }
      return;
    }
    registration.active++;
    try {
      if (!(await this.#components.gate.isAllowed(peer))) {
        await reader.waitForFirstByte(deadline.signal);
        await refuse(new P2pError("P2P_PEER_NOT_ALLOWED", "peer is not an active validator"));
        this.#dropLater(peer);
        return;
      }
      const request = await reader.readFrame(options.maxRequestBytes, deadline.signal);
      const response = await raceSignal(
        Promise.resolve().then(() => registration.handler(request, { peer, protocol, signal: deadline.signal })),
        deadline.signal,
        () => abortError(deadline.signal),
      );
      if (!(response instanceof Uint8Array)) {
        throw new TypeError(`handler of ${protocol} returned ${typeof response}, not a Uint8Array`);
      }
      if (response.byteLength + 1 > options.maxResponseBytes) {
        this.#components.logger.warn("answer above the protocol limit", {
          protocol,
          peer,
          length: response.byteLength + 1,
          limit: options.maxResponseBytes,
        });
        throw new P2pError("P2P_MESSAGE_TOO_LARGE", "answer above the protocol limit", {
          details: { limit: options.maxResponseBytes },
        });
      }
      await answer(encodeOkResponse(response));
    } catch (error) {
      await refuse(error);
    } finally {
      registration.active--;
      deadline.clear();
      closeWhenPeerDoes(stream);
    }
  }

  /** Hangs up on a refused peer once its refusal has had time to arrive; see the constant. */
  #dropLater(peer: string): void {
    if (this.#hangingUp.has(peer)) return;
    this.#hangingUp.add(peer);
    setTimeout(() => {
      this.#hangingUp.delete(peer);
      this.#components.dropPeer(peer);
    }, REFUSED_PEER_HANG_UP_DELAY_MS).unref();
  }

  #toWireError(error: unknown, peer: string, protocol: string): WireError {
    if (error instanceof DekmeshError) {
      this.#components.logger.debug("request refused", { protocol, peer, code: error.code });
      return { code: error.code, message: error.message, details: jsonSafe(error.details), retryable: error.retryable };
    }
    this.#components.logger.warn("request handler failed", { protocol, peer, error: String(error) });
    return { code: "P2P_INTERNAL", message: "request failed", details: {}, retryable: false };
  }
}

/** Adds peer and protocol to our own errors; remote errors already carry them. */
function withContext(error: unknown, details: Record<string, unknown>): unknown {
  if (!(error instanceof P2pError) || error instanceof P2pRemoteError) return error;
  return new P2pError(error.code, error.message, { details: { ...error.details, ...details }, cause: error.cause });
}

async function sendAnswer(stream: Stream, body: Uint8Array, signal: AbortSignal): Promise<void> {
  if (stream.status !== "open" || stream.writeStatus !== "writable") return;
  try {
    // A timed-out handler must still be able to say so: the write gets its own short deadline.
    const writeSignal = signal.aborted ? AbortSignal.timeout(CLOSE_GRACE_MS) : signal;
    await writeFrameAndClose(stream, body, writeSignal);
  } catch {
    // The requester went away; nothing is left to tell it.
  }
}

/**
 * Once both sides have sent their frame the stream closes by itself when the peer closes its
 * end; a peer that never does is reset after a grace period.
 */
function closeWhenPeerDoes(stream: Stream): void {
  if (stream.status !== "open") return;
  const timer = setTimeout(() => {
    if (stream.status === "open") stream.abort(new P2pError("P2P_TIMEOUT", "peer did not close the stream"));
  }, CLOSE_GRACE_MS);
  timer.unref();
  stream.addEventListener("close", () => clearTimeout(timer), { once: true });
}

interface Deadline {
  signal: AbortSignal;
  clear(): void;
}

function startDeadline(timeoutMs: number, parents: Array<AbortSignal | undefined>): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new P2pError("P2P_TIMEOUT", "deadline passed", { details: { timeoutMs } })),
    timeoutMs,
  );
  const signals = [controller.signal, ...parents.filter((signal): signal is AbortSignal => signal !== undefined)];
  return { signal: AbortSignal.any(signals), clear: () => clearTimeout(timer) };
}

function jsonSafe(details: Readonly<Record<string, unknown>>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  } catch {
    return {};
  }
}
