/**
 * GET /v1/has/:contentId, PUT /v1/content/:cid, GET /v1/content/:cid.
 *
 * An upload is pinned only if the CID is registered on chain (the indexer's /holders knows it;
 * a fresh registration gets `registrationWaitMs` for the indexer to catch up) and only if the
 * bytes import to exactly that CID (the pin store checks, keeping nothing otherwise). The
 * registration is checked before a byte of the body is read, so an unregistered upload costs
 * the node one indexer read, not a gigabyte of staging. The body then has an idle limit
 * (`requestTimeoutMs`), a minimum average rate after a grace period and a total deadline: a
 * refused upload is HTTP_TIMEOUT or HTTP_TOO_SLOW and the pin store keeps nothing of it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CID } from "multiformats/cid";
import { IndexerClientError } from "../../../indexer-client/index.js";
import { IpfsError, parseContentCid, type IpfsErrorCode } from "../../../ipfs/index.js";
import { keccak256 } from "../../../crypto/keys/ethereum.js";
import { bytesToHex } from "viem";
import { REGISTRATION_POLL_MS } from "../constants.js";
import { HttpError, type HttpErrorCode } from "../errors.js";
import type { Exchange } from "../exchange.js";
import type { HttpMetrics } from "../metrics.js";
import type { ResolvedHttpOptions, ValidatorHttpComponents } from "../options.js";
import { isContentId } from "../../../protocol/ids.js";


const IPFS_TO_HTTP: Partial<Record<IpfsErrorCode, HttpErrorCode>> = {
  IPFS_INVALID_CID: "HTTP_MALFORMED",
  IPFS_CID_MISMATCH: "CONTENT_CID_MISMATCH",
  IPFS_TOO_LARGE: "HTTP_TOO_LARGE",
  IPFS_NOT_FOUND: "CONTENT_NOT_FOUND",
  IPFS_ABORTED: "HTTP_CLIENT_GONE",
};

/**
 * The HTTP refusal for a pin-store failure. The pin store wraps what the body stream threw
 * (timeout, too large, client gone) as its cause: that original refusal wins.
 */
function fromPinStore(error: unknown): unknown {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (e instanceof HttpError) return e;
  }
  if (error instanceof IpfsError) return new HttpError(IPFS_TO_HTTP[error.code] ?? "HTTP_UNAVAILABLE", { cause: error });
  return error;
}

function parseCid(text: string): CID {
  try {
    return parseContentCid(decodeURIComponent(text));
  } catch (cause) {
    throw new HttpError("HTTP_MALFORMED", { cause });
  }
}

export function contentRoutes(components: ValidatorHttpComponents, options: ResolvedHttpOptions, metrics: HttpMetrics) {
  const { store, pins, indexer } = components;

  /** Resolves once the indexer lists the content; CONTENT_NOT_REGISTERED after the wait. */
  async function awaitRegistration(contentId: string, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + options.registrationWaitMs;
    for (;;) {
      try {
        await indexer.holders(contentId, { signal });
        return;
      } catch (error) {
        if (signal.aborted) throw new HttpError("HTTP_CLIENT_GONE");
        const code = error instanceof IndexerClientError ? error.code : undefined;
        const waitable = code === "INDEXER_NOT_FOUND" || code === "STATE_STALE";
        if (Date.now() + REGISTRATION_POLL_MS > deadline) {
          throw new HttpError(code === "INDEXER_NOT_FOUND" ? "CONTENT_NOT_REGISTERED" : "HTTP_UNAVAILABLE", { cause: error });
        }
        if (!waitable && code !== "INDEXER_UNAVAILABLE" && code !== "CHAIN_UNAVAILABLE") throw new HttpError("HTTP_UNAVAILABLE", { cause: error });
        await sleep(REGISTRATION_POLL_MS, undefined, { signal }).catch(() => {});
      }
    }
  }

  return {
    has(ex: Exchange, param: string): void {
      if (!isContentId(param)) throw new HttpError("HTTP_MALFORMED");
      const contentId = param.toLowerCase() as `0x${string}`;
      let has: boolean;
      try {
        has = store.hasDek(contentId);
      } catch (cause) {
        throw new HttpError("HTTP_UNAVAILABLE", { cause });
      }
      ex.json(200, JSON.stringify({ contentId, has }));
    },

    async upload(ex: Exchange, param: string): Promise<void> {
      const cid = parseCid(param);
      ex.requireContentType("application/octet-stream");
      const body = ex.body({
        maxBytes: options.maxUploadBytes,
        tooLarge: () => new HttpError("HTTP_TOO_LARGE"),
        idleTimeoutMs: options.requestTimeoutMs,
        deadlineMs: options.uploadTimeoutMs,
        minRate: { bytesPerSecond: options.uploadMinBytesPerSecond, graceMs: options.uploadGraceMs },
      });
      await awaitRegistration(bytesToHex(keccak256(cid.bytes)), ex.signal);
      let pinned: { cid: string; bytes: number };
      try {
        pinned = await pins.put(cid.toString(), body, { maxBytes: options.maxUploadBytes, signal: ex.signal });
      } catch (error) {
        throw fromPinStore(error);
      }
      metrics.uploadedBytes.inc(pinned.bytes);
      ex.json(201, JSON.stringify({ cid: pinned.cid, bytes: pinned.bytes }));
    },

    async download(ex: Exchange, param: string): Promise<void> {
      const cid = parseCid(param).toString();
      try {
        const size = await pins.size(cid);
        if (size === undefined) throw new HttpError("CONTENT_NOT_FOUND");
        await ex.stream(200, "application/octet-stream", pins.get(cid, { signal: ex.signal }), size);
      } catch (error) {
        throw fromPinStore(error);
      }
    },
  };
}
