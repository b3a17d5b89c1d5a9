// HTTP access to the indexer under test.
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

/** A POST with a JSON body (text as is when `body` is a string). */
export async function post<T = any>(baseUrl: string, path: string, body: unknown): Promise<ApiResponse<T>> {
  const response = await fetch(baseUrl + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T };
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
