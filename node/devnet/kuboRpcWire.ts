/**
 * Kubo's RPC wire format for the two calls the SDK's Kubo adapter makes, shared by the devnet's
 * IPFS node (./ipfs.ts) and the tests' Kubo stand-in (test/node/ipfs/kuboRpcServer.ts):
 * `POST /api/v0/add` (a multipart body whose `file` part is the content, options as kebab-case
 * query parameters, an NDJSON answer `{Name,Hash,Size}`) and `POST /api/v0/cat?arg=<cid>` (the raw
 * bytes). Errors are `{"Message","Code":0,"Type":"error"}`; Kubo sends them with HTTP 500.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

export interface KuboRpcCalls {
  add(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void>;
  cat(res: ServerResponse, query: URLSearchParams): Promise<void>;
  /** Answers a call that threw before its answer started. */
  failed(res: ServerResponse, error: unknown): void;
}

export function kuboError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ Message: message, Code: 0, Type: "error" }));
}

/** The add's body is not the multipart form Kubo's RPC expects. */
export class MultipartError extends Error {
  override readonly name = "MultipartError";
}

/** Longest header block of one part: Content-Disposition and Content-Type, with room to spare. */
const MAX_PART_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const CLOSE = Buffer.from("--");

/**
 * Reads a multipart/form-data body part by part as it arrives (RFC 7578): a part's content is
 * passed on chunk by chunk, and at most one delimiter's length of it is held back (it may be the
 * start of the next delimiter), so memory stays flat however large the upload.
 */
export class MultipartReader {
  readonly #source: AsyncIterator<Uint8Array>;
  /** `CRLF--boundary`: what ends a part's content. */
  readonly #delimiter: Buffer;
  /** Received, not yet consumed. Starts with a CRLF so the first delimiter looks like the others. */
  #buffer: Buffer = CRLF;
  /** Where the reader is: before the first delimiter, inside a part's content, or past a delimiter. */
  #at: "preamble" | "content" | "delimiter" = "preamble";
  #ended = false;

  constructor(source: AsyncIterable<Uint8Array>, boundary: string) {
    this.#source = source[Symbol.asyncIterator]();
    this.#delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  /** The boundary of a `multipart/form-data` content type, if it is one. */
  static boundaryOf(contentType: string | undefined): string | undefined {
    const match = /^multipart\/form-data\s*;.*?\bboundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? "");
    return match ? (match[1] ?? match[2]) : undefined;
  }

  /** Appends the next chunk; false once the body has ended. */
  async #more(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#source.next();
    if (next.done) {
      this.#ended = true;
      return false;
    }
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(next.value) : Buffer.concat([this.#buffer, next.value]);
    return true;
  }

  /** The next part's field name (undefined when the body has no more parts); skips the current part's content. */
  async nextPart(): Promise<{ name: string | undefined } | undefined> {
    if (this.#at === "content") for await (const _ of this.content()) void _;
    if (this.#at === "preamble") {
      for await (const _ of this.#until(this.#delimiter)) void _;
      this.#at = "delimiter";
    }
    while (this.#buffer.length < CLOSE.length) if (!(await this.#more())) throw new MultipartError("the body ended inside a delimiter");
    if (this.#buffer.subarray(0, CLOSE.length).equals(CLOSE)) return undefined;
    let end: number;
    while ((end = this.#buffer.indexOf(HEADER_END)) < 0) {
      if (this.#buffer.length > MAX_PART_HEADER_BYTES) throw new MultipartError("a part's headers are too long");
      if (!(await this.#more())) throw new MultipartError("the body ended inside a part's headers");
    }
    // The delimiter line's rest (transport padding) comes first, then one header per line.
    const lines = this.#buffer.subarray(0, end).toString("latin1").split("\r\n").slice(1);
    this.#buffer = this.#buffer.subarray(end + HEADER_END.length);
    this.#at = "content";
    const disposition = lines.find((l) => /^content-disposition\s*:/i.test(l)) ?? "";
    return { name: /;\s*name="([^"]*)"/i.exec(disposition)?.[1] };
  }

  /** The current part's content, chunk by chunk as it arrives. */
  async *content(): AsyncGenerator<Uint8Array> {
    if (this.#at !== "content") return;
    yield* this.#until(this.#delimiter);
    this.#at = "delimiter";
  }

  /** The bytes up to `marker`, which is consumed; only a marker's length is ever held back. */
  async *#until(marker: Buffer): AsyncGenerator<Uint8Array> {
    for (;;) {
      const at = this.#buffer.indexOf(marker);
      if (at >= 0) {
        if (at > 0) yield this.#buffer.subarray(0, at);
        this.#buffer = this.#buffer.subarray(at + marker.length);
        return;
      }
      const keep = Math.min(this.#buffer.length, marker.length - 1);
      if (this.#buffer.length > keep) {
        yield this.#buffer.subarray(0, this.#buffer.length - keep);
        this.#buffer = this.#buffer.subarray(this.#buffer.length - keep);
      }
      if (!(await this.#more())) throw new MultipartError("the body ended before its closing delimiter");
    }
  }
}

/** The content of an add's `file` part as it arrives, or undefined if the body has no `file` part. */
export async function addedFileStream(req: IncomingMessage): Promise<AsyncIterable<Uint8Array> | undefined> {
  const boundary = MultipartReader.boundaryOf(req.headers["content-type"]);
  if (boundary === undefined) throw new MultipartError("the body is not multipart/form-data");
  const reader = new MultipartReader(req, boundary);
  for (let part = await reader.nextPart(); part !== undefined; part = await reader.nextPart()) {
    if (part.name === "file") return reader.content();
  }
  return undefined;
}

/** The `file` part of an add, read whole (for the tests' Kubo stand-in, which imports from bytes). */
export async function addedFile(req: IncomingMessage): Promise<Blob | undefined> {
  const content = await addedFileStream(req);
  if (content === undefined) return undefined;
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of content) chunks.push(new Uint8Array(chunk));
  return new Blob(chunks);
}

export function addAnswer(res: ServerResponse, cid: string, size: number): void {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  res.end(`${JSON.stringify({ Name: cid, Hash: cid, Size: String(size) })}\n`);
}

/** Streams a cat's bytes, honouring backpressure; stops if the client hangs up. */
export async function catAnswer(res: ServerResponse, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  res.writeHead(200, { "content-type": "text/plain", "x-stream-output": "1" });
  for await (const chunk of chunks) {
    if (!res.write(chunk)) await drainedOrClosed(res);
    if (res.destroyed) return;
  }
  res.end();
}

/** Waits for "drain" or "close", whichever comes first, and removes both listeners. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** The server's request handler: POST only, the two calls, 404 for anything else. */
export function kuboRpcListener(calls: KuboRpcCalls, onRequest?: (url: URL) => void): RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://kubo");
    onRequest?.(url);
    if (req.method !== "POST") return kuboError(res, 405, "Kubo's RPC API is POST only");
    const handle =
      url.pathname === "/api/v0/add" ? calls.add(req, res, url.searchParams)
      : url.pathname === "/api/v0/cat" ? calls.cat(res, url.searchParams)
      : Promise.resolve(kuboError(res, 404, "404 page not found"));
    handle.catch((error: unknown) => (res.headersSent ? void res.destroy() : calls.failed(res, error)));
  };
}
