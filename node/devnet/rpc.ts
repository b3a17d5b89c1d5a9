import { DevnetError } from "./errors.js";

let nextId = 1;

/**
 * One JSON-RPC call over HTTP. The harness needs only a handful (chain id, snapshots,
 * readiness), so it does not pull a client library into every process that uses it.
 */
export async function rpcRequest<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    throw new DevnetError("REQUEST_FAILED", `${method} failed: HTTP ${response.status}`, { details: { url } });
  }
  const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) {
    throw new DevnetError("REQUEST_FAILED", `${method} failed: ${body.error.message}`, {
      details: { url, rpcError: body.error },
    });
  }
  return body.result as T;
}
