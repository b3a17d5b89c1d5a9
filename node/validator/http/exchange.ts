/**
 * One request and its response as the route handlers see them: the client's abort signal,
 * body reading under limits, and the few ways to answer (JSON, a rewrap refusal, an HTTP
 * error, a byte stream). Every answer has an exact Content-Length except streamed downloads;
 * a response to a request whose body was not read to the end closes the connection, so
 * unread bytes never become the next request. A rewrap refusal is one size on the wire whatever
 * its code: the body is REFUSAL_BYTES and the head is padded to REFUSAL_HEAD_BYTES.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { encodeRefusal, REFUSAL_BYTES, type RewrapError } from "../../protocol/rewrap/index.js";
import { BodyStream, hasBody, type BodyLimits } from "./body.js";
import { PADDING_HEADER, REFUSAL_HEAD_BYTES, RETRY_AFTER_S } from "./constants.js";
import { encodeHttpError, HttpError, REWRAP_STATUS } from "./errors.js";

const JSON_TYPE = "application/json";
/** `Date: <IMF-fixdate, always 29 characters>\r\n`, which Node adds to every answer. */
const DATE_LINE_BYTES = "Date: ".length + 29 + 2;

/** The bytes Node writes for a head made of exactly these headers (and its Date line). */
function headBytes(status: number, headers: readonly (readonly [string, string])[]): number {
  let n = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n`.length + DATE_LINE_BYTES + 2;
  for (const [name, value] of headers) n += name.length + 2 + value.length + 2;
  return n;
}

export class Exchange {
  /** Set once an answer was started (the route's status for metrics and logs). */
  status = 0;
  /** The code of a refusal, for logs and metrics (never the message or the body). */
  code: string | undefined;
  #body: BodyStream | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    /** Aborts when the client disconnects before the answer is complete. */
    readonly signal: AbortSignal,
    /** The value of the Keep-Alive header Node would send (`timeout=5, max=10000`). */
    readonly keepAliveHint: string,
  ) {}

  /** The media type of the body without parameters, lowercase. */
  get contentType(): string {
    const header = this.req.headers["content-type"] ?? "";
    const semicolon = header.indexOf(";");
    return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  }

  requireContentType(type: string): void {
    if (this.contentType !== type) throw new HttpError("HTTP_UNSUPPORTED_MEDIA_TYPE");
  }

  /** The body as a stream under limits (throws at once if the declared length is over). */
  body(limits: Omit<BodyLimits, "signal">): BodyStream {
    this.#body = new BodyStream(this.req, { ...limits, signal: this.signal });
    return this.#body;
  }

  json(status: number, body: string, headers: Record<string, string | number> = {}): void {
    this.#send(status, JSON_TYPE, body, headers);
  }

  /**
   * A rewrap refusal: its docs/rewrap.md status and the 256-byte body, under a head of exactly
   * REFUSAL_HEAD_BYTES. Every header is set here — Connection and Keep-Alive too, which Node
   * would otherwise add by its own rules — so the padding is computed from the whole head. No
   * Retry-After: it would mark the 503s; the body's `retryable` says it.
   */
  refusal(error: RewrapError): void {
    this.code = error.code;
    const status = REWRAP_STATUS[error.code];
    this.status = status;
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    const keepAlive =
      res.getHeader("connection") !== "close" && // not set by a stopping server
      res.shouldKeepAlive && // the client did not ask to close
      !(res as { maxRequestsOnConnectionReached?: boolean }).maxRequestsOnConnectionReached && // set by Node on the connection's last request
      this.#closeIfUnread().connection === undefined;
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    const headers: [string, string][] = [
      ["content-type", JSON_TYPE],
      ["content-length", String(REFUSAL_BYTES)],
      ["cache-control", "no-store"],
      ["x-content-type-options", "nosniff"],
      ...(keepAlive ? [["connection", "keep-alive"], ["keep-alive", this.keepAliveHint]] as [string, string][] : [["connection", "close"] as [string, string]]),
    ];
    const padding = REFUSAL_HEAD_BYTES - headBytes(status, [...headers, [PADDING_HEADER, ""]]);
    headers.push([PADDING_HEADER, "0".repeat(Math.max(0, padding))]);
    res.sendDate = true; // headBytes counts the Date line
    res.writeHead(status, headers.flat());
    res.end(encodeRefusal(error));
  }

  error(error: HttpError, headers: Record<string, string | number> = {}): void {
    this.code = error.code;
    if (error.status === 503) headers = { ...headers, "retry-after": RETRY_AFTER_S };
    this.#send(error.status, JSON_TYPE, encodeHttpError(error), headers);
  }

  text(status: number, contentType: string, body: string): void {
    this.#send(status, contentType, body, {});
  }

  /** Streams `source` as the body; a failure after the head was sent cuts the connection. */
  async stream(status: number, contentType: string, source: AsyncIterable<Uint8Array>, length: number | undefined): Promise<void> {
    const iterator = source[Symbol.asyncIterator]();
    // The first chunk is read before the head goes out, so "not found" can still be a 404.
    const first = await iterator.next();
    this.status = status;
    this.res.writeHead(status, {
      "content-type": contentType,
      "x-content-type-options": "nosniff",
      ...(length === undefined ? {} : { "content-length": length }),
      ...this.#closeIfUnread(),
    });
    async function* rest(): AsyncGenerator<Uint8Array> {
      if (first.done) return;
      yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    }
    try {
      await pipeline(Readable.from(rest(), { objectMode: false }), this.res, { signal: this.signal });
    } catch (error) {
      this.res.destroy();
      throw error;
    }
  }

  get answered(): boolean {
    return this.res.headersSent;
  }

  #send(status: number, contentType: string, body: string, headers: Record<string, string | number>): void {
    this.status = status;
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, {
      "content-type": contentType,
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
      ...this.#closeIfUnread(),
    });
    res.end(body);
  }

  #closeIfUnread(): Record<string, string> {
    // The reader's own word counts too: it may hold the whole body before the parser has
    // marked the message complete.
    return this.req.complete || this.#body?.complete || !hasBody(this.req) ? {} : { connection: "close" };
  }
}
