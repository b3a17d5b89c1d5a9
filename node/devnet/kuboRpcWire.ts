/**
 * Kubo's RPC wire format for the two calls the SDK's Kubo adapter makes, shared by the devnet's
 * IPFS node (./ipfs.ts) and the tests' Kubo stand-in (test/node/ipfs/kuboRpcServer.ts):
 * `POST /api/v0/add` (a multipart body whose `file` part is the content, options as kebab-case
 * query parameters, an NDJSON answer `{Name,Hash,Size}`) and `POST /api/v0/cat?arg=<cid>` (the raw
 * bytes). Errors are `{"Message","Code":0,"Type":"error"}`; Kubo sends them with HTTP 500.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { Readable } from "node:stream";

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

/** The `file` part of an add's multipart body (read whole, as the platform's formData() does), if there is one. */
export async function addedFile(req: IncomingMessage): Promise<Blob | undefined> {
  const form = await new Request("http://kubo/api/v0/add", {
    method: "POST",
    headers: { "content-type": req.headers["content-type"] ?? "" },
    body: Readable.toWeb(req) as ReadableStream,
    duplex: "half",
  } as RequestInit).formData();
  const file = form.get("file");
  return file instanceof Blob ? file : undefined;
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
