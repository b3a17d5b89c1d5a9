/**
 * A response body read with a size cap: refused as soon as it declares (Content-Length) or
 * delivers more than `maxBytes`, the rest left unread — a chunked answer is never buffered
 * whole first. For the indexer client's JSON and the audit evidence blob alike.
 */
import { concatBytes } from "@noble/hashes/utils.js";
import { DekmeshError } from "./errors.js";

export class BodyTooLargeError extends DekmeshError<"BODY_TOO_LARGE"> {
  override name = "BodyTooLargeError";
  constructor(maxBytes: number, declared?: number) {
    super("BODY_TOO_LARGE", "the response is larger than allowed", { details: declared === undefined ? { maxBytes } : { bytes: declared, maxBytes } });
  }
}

/** The body's bytes; BodyTooLargeError past `maxBytes` (the stream is cancelled). */
export async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(maxBytes, declared);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
}
