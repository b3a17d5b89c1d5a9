// HTTP access to the indexer under test.
import { request as httpRequest } from "node:http";
import type { Driver } from "./driver.js";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export async function get<T = any>(baseUrl: string, path: string): Promise<ApiResponse<T>> {
  const response = await fetch(baseUrl + path, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Non-JSON bodies (Ponder's own 404 page) stay text.
  }
  return { status: response.status, body: body as T };
}

/**
 * A POST with a JSON body (text as is when `body` is a string), on a connection of its own: a
 * body the server refuses unread (413) ends its connection, which must not be one that fetch's
 * pool hands to the next request. `localAddress` (127.0.0.0/8 is all loopback) makes it another
 * client as the server sees it.
 */
export function post<T = any>(baseUrl: string, path: string, body: unknown, options: { localAddress?: string } = {}): Promise<ApiResponse<T>> {
  const url = new URL(baseUrl + path);
  const payload = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", agent: false, localAddress: options.localAddress, timeout: 10_000, headers: { "content-type": "application/json", "content-length": payload.length } },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as T }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    // The server may answer and close before reading it all (413): that is an answer, not an error.
    req.on("error", (error) => (answered ? undefined : reject(error)));
    req.end(payload);
  });
}

/**
 * Waits until the REST API answers for the chain's current block (GET /head, which reports
 * the head the REST responses are labelled with); returns that block number.
 */
export async function synced(driver: Driver, timeoutMs = 30_000): Promise<number> {
  const target = Number(await driver.blockNumber());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await get(driver.stack.indexer!.url, "/head");
    if (status === 200 && body.block.number >= target) return target;
    if (Date.now() > deadline) throw new Error(`indexer did not reach block ${target} in ${timeoutMs} ms (log: ${driver.stack.indexer!.logFile})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
