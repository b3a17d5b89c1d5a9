// The indexer's REST API, on the page's own origin (docs/indexer.md, docs/explorer.md).

/** A refusal of the API: its HTTP status and `{ error: { code, message } }`. */
export class ApiRefusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiRefusal";
    this.status = status;
    this.code = code;
  }
}

export async function getJson(path, signal) {
  const response = await fetch(path, { signal, headers: { accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiRefusal(response.status, body?.error?.code ?? "http_error", body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}

/** `path?query` with the defined entries of `params`. */
export function withQuery(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
