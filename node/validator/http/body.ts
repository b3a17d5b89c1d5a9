/**
 * Reading request bodies without trusting the client: a declared Content-Length over the limit
 * is refused before a byte is read; a chunked body is counted as it streams and refused the
 * moment it passes the limit; a body that does not arrive in time (slowloris) is refused; a
 * client that disconnects fails the read. A streamed body (an upload) has three clocks: the idle
 * limit between chunks, a minimum average rate once past a grace period, and a total deadline —
 * without the last two a client sending a byte just inside the idle limit would hold its
 * connection for as long as it liked. The reader pulls in paused mode, so an upload is read
 * only as fast as the pin store consumes it (TCP back-pressure does the rest).
 *
 * A refused body is left unread: the response then carries `Connection: close` and the socket
 * is closed after it (see `Exchange`), so the rest of the body never reaches a parser.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "./errors.js";

export interface BodyLimits {
  maxBytes: number;
  /** Too large is reported with this error (the rewrap routes answer with their own refusal). */
  tooLarge: () => Error;
  /** Whole-body deadline, from the first read (HTTP_TIMEOUT). */
  deadlineMs?: number;
  /** Longest wait for the next chunk (streamed uploads). */
  idleTimeoutMs?: number;
  /** Average rate since the first read, checked once past `graceMs` (HTTP_TOO_SLOW). */
  minRate?: { bytesPerSecond: number; graceMs: number };
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** The declared length, or undefined for a chunked body; HTTP_MALFORMED for nonsense. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  if (header === undefined) return undefined;
  if (!/^[0-9]{1,16}$/.test(header)) throw new HttpError("HTTP_MALFORMED");
  return Number(header);
}

/** Whether the request carries a body at all (a length above zero, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/** An async iterable over the body's chunks under `limits`; one pass only. */
export class BodyStream implements AsyncIterable<Uint8Array> {
  readonly #req: IncomingMessage;
  readonly #limits: BodyLimits;
  /** Content-Length, if the client declared one. */
  readonly #declared: number | undefined;
  #bytes = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #idle: NodeJS.Timeout | undefined;
  #rate: NodeJS.Timeout | undefined;
  #started = 0;

  constructor(req: IncomingMessage, limits: BodyLimits) {
    this.#req = req;
    this.#limits = limits;
    this.#declared = declaredLength(req);
    if (this.#declared !== undefined && this.#declared > limits.maxBytes) throw limits.tooLarge();
  }

  /** Bytes read so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the whole body was read (only then may the connection be kept alive). */
  get complete(): boolean {
    return this.#ended;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    const req = this.#req;
    const onReadable = (): void => this.#notify();
    const onEnd = (): void => {
      this.#ended = true;
      this.#notify();
    };
    const onError = (): void => this.#fail(new HttpError("HTTP_CLIENT_GONE"));
    const onAbort = (): void => this.#fail(new HttpError("HTTP_CLIENT_GONE"));
    req.on("readable", onReadable);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAbort);
    this.#limits.signal.addEventListener("abort", onAbort);
    if (this.#limits.deadlineMs !== undefined) this.#deadline = setTimeout(() => this.#fail(new HttpError("HTTP_TIMEOUT")), this.#limits.deadlineMs);
    this.#started = performance.now();
    this.#armIdle();
    this.#armRate();
    try {
      if (this.#limits.signal.aborted) throw new HttpError("HTTP_CLIENT_GONE");
      for (;;) {
        if (this.#error !== undefined) throw this.#error;
        const chunk = req.read() as Buffer | null;
        if (chunk !== null) {
          this.#bytes += chunk.byteLength;
          if (this.#bytes > this.#limits.maxBytes) throw this.#limits.tooLarge();
          this.#armIdle();
          yield chunk;
          continue;
        }
        if (this.#ended || req.readableEnded) {
          this.#ended = true;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      clearTimeout(this.#deadline);
      clearTimeout(this.#idle);
      clearTimeout(this.#rate);
      req.off("readable", onReadable);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAbort);
      this.#limits.signal.removeEventListener("abort", onAbort);
    }
  }

  /** The whole body as one buffer (JSON routes). */
  async read(): Promise<Buffer> {
    // Lets the parser finish the packet that carried the headers: a small body usually came in it.
    await undefined;
    const buffered = this.#takeBuffered();
    if (buffered !== undefined) return buffered;
    const chunks: Buffer[] = [];
    for await (const chunk of this) chunks.push(chunk as Buffer);
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  /**
   * The whole declared body, if the parser already holds every byte of it: then nothing is left
   * to wait for, and the listeners, the two timers and the async generator that a body still
   * arriving needs are spared (a rewrap request is ~1 KB and arrives with its headers). A/B in
   * bench:rewrap (4 pairs; every request took this path): scavenges per 5 s 72–77 against
   * 80–86, sessions ×1.01, p99 within the noise.
   */
  #takeBuffered(): Buffer | undefined {
    const req = this.#req;
    const declared = this.#declared;
    if (declared === undefined || req.readableLength !== declared || this.#limits.signal.aborted) return undefined;
    const body = declared === 0 ? Buffer.alloc(0) : (req.read() as Buffer);
    this.#bytes = body.byteLength;
    this.#ended = true;
    return body;
  }

  #armIdle(): void {
    if (this.#limits.idleTimeoutMs === undefined) return;
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.#fail(new HttpError("HTTP_TIMEOUT")), this.#limits.idleTimeoutMs);
  }

  /**
   * One timer for the rate, re-armed only when it fires: at the first moment the bytes read so
   * far would fall under the minimum average (never before the grace period ends).
   */
  #armRate(): void {
    const rate = this.#limits.minRate;
    if (rate === undefined) return;
    const elapsed = performance.now() - this.#started;
    const dueAt = Math.max(rate.graceMs, (this.#bytes / rate.bytesPerSecond) * 1000);
    this.#rate = setTimeout(() => {
      const now = performance.now() - this.#started;
      if (now >= rate.graceMs && this.#bytes < (rate.bytesPerSecond * now) / 1000) this.#fail(new HttpError("HTTP_TOO_SLOW"));
      else this.#armRate();
    }, Math.max(1, Math.ceil(dueAt - elapsed)));
  }

  #fail(error: Error): void {
    this.#error ??= error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
