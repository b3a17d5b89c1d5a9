/**
 * Fetching a batch's evidence blob from its validator: GET <endpoint>/v1/audit/:batchId, over
 * http(s) only, no redirect followed, with a deadline, and a body read with a size cap (a blob
 * larger than MAX_EVIDENCE_BLOB_BYTES is refused before it is held whole). For the CLI and the
 * indexer alike; what the blob must match is theirs to check (the CID and root on chain).
 */
import { BodyTooLargeError, readBounded } from "./boundedRead.js";
import { MAX_EVIDENCE_BLOB_BYTES } from "./auditEvidenceBlob.js";
import { DekmeshError } from "./errors.js";

export type EvidenceFetchErrorCode =
  /** No answer in time, a network error, an endpoint that is not an http(s) URL, a redirect or another refusal. */
  | "EVIDENCE_UNREACHABLE"
  /** The validator answered 404: it does not serve this batch's blob. */
  | "EVIDENCE_NOT_SERVED"
  /** The blob is larger than the cap: not a blob a validator writes. */
  | "EVIDENCE_TOO_LARGE";

export class EvidenceFetchError extends DekmeshError<EvidenceFetchErrorCode> {
  override name = "EvidenceFetchError";

  override get retryable(): boolean {
    return this.code === "EVIDENCE_UNREACHABLE";
  }
}

export interface FetchEvidenceOptions {
  timeoutMs: number;
  /** Default MAX_EVIDENCE_BLOB_BYTES. */
  maxBytes?: number;
}

/** The URL of a batch's blob, relative to the endpoint, which may have a path of its own (a validator behind a proxy). */
function blobUrl(endpoint: string, batchId: bigint): URL {
  let url: URL;
  try {
    url = new URL(`v1/audit/${batchId}`, endpoint.endsWith("/") ? endpoint : `${endpoint}/`);
  } catch (cause) {
    throw new EvidenceFetchError("EVIDENCE_UNREACHABLE", "the validator's endpoint is not a URL", { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new EvidenceFetchError("EVIDENCE_UNREACHABLE", "the validator's endpoint is not http(s)");
  return url;
}

/** The blob of batch `batchId` as the validator at `endpoint` serves it; EvidenceFetchError otherwise. */
export async function fetchEvidenceBlob(endpoint: string, batchId: bigint, options: FetchEvidenceOptions): Promise<Uint8Array> {
  const url = blobUrl(endpoint, batchId);
  const details = { batchId: batchId.toString() };
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(url, { signal, redirect: "error" });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => {});
      throw new EvidenceFetchError("EVIDENCE_NOT_SERVED", "the validator does not serve this batch's evidence", { details });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new EvidenceFetchError("EVIDENCE_UNREACHABLE", `the validator answered ${response.status}`, { details: { ...details, status: response.status } });
    }
    return await readBounded(response, options.maxBytes ?? MAX_EVIDENCE_BLOB_BYTES);
  } catch (error) {
    if (error instanceof EvidenceFetchError) throw error;
    if (error instanceof BodyTooLargeError) throw new EvidenceFetchError("EVIDENCE_TOO_LARGE", "the validator's evidence blob is too large", { details: { ...details, ...error.details } });
    const why = signal.aborted ? "did not answer in time" : "cannot be reached";
    throw new EvidenceFetchError("EVIDENCE_UNREACHABLE", `the validator ${why}`, { details, cause: error });
  }
}
