/**
 * decrypt (docs/architecture.md#client-sdk-and-cli): fetch the ciphertext, discover holders, rewrap with failover, decrypt
 * and verify — streaming, so a file of any size decrypts in constant memory.
 *
 * - Ciphertext: the configured IPFS first (a first byte within `ipfsFirstByteMs`), else the
 *   holders' `GET /v1/content/:cid` (the initial validator pinned it), checked against the
 *   CID as it streams (a holder serving other bytes fails the stream at its end; every
 *   segment is authenticated by AES-GCM before its plaintext is released anyway).
 * - DEK: once the header is read, one rewrap (session-signed by default) to the holders in
 *   holderOrder; retryable refusals and unreachable validators move on to the next holder,
 *   any other refusal (access denied, …) is final and the same everywhere. A threshold content's
 *   key comes from m members' shares instead (thresholdRead.ts).
 * - Verification: the header must be bound to the registered policy id (decryptStream's
 *   expectedPolicyId), so a header copied under another policy is refused client-side too.
 */
import { CID } from "multiformats/cid";
import { unwrapRewrap } from "../crypto/envelopes/index.js";
import { IndexerClientError, type Holder, type HoldersInfo } from "../indexer-client/index.js";
import { IpfsError, parseContentCid, verifyCid } from "../ipfs/index.js";
import { keccak256 } from "../crypto/keys/ethereum.js";
import { P256PrivateKey } from "../crypto/keys/index.js";
import { type Address, type Hex, bytesToHex } from "viem";
import { type RewrapErrorCode } from "../protocol/rewrap/index.js";
import { decryptStream as decryptNanoTdfStream, TdfError, type NanoTdfHeader } from "../crypto/tdf/index.js";
import type { ClientContext, OnProgress } from "./context.js";
import { clientError, DekmeshClientError } from "./errors.js";
import { holderOrder } from "./selection.js";
import { ThresholdError } from "../crypto/threshold/index.js";
import { thresholdDek, type BadShareEvidence } from "./thresholdRead.js";
import { getContent, postRewrap, ValidatorCallError } from "./validatorApi.js";

export interface DecryptOptions {
  /** Ask this validator first (it forwards if it lacks the DEK). */
  validator?: Address;
  onProgress?: OnProgress;
  /** A threshold content: a member answered a share that failed the commitments check (the read goes on with others). */
  onBadShare?: (evidence: BadShareEvidence) => void;
  signal?: AbortSignal;
}

export function contentIdOf(cid: string): { cid: string; contentId: Hex } {
  let parsed: CID;
  try {
    parsed = parseContentCid(cid);
  } catch (cause) {
    throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", "not a content CID", { cause });
  }
  return { cid: parsed.toString(), contentId: bytesToHex(keccak256(parsed.bytes)) };
}

export async function holdersOf(ctx: ClientContext, contentId: Hex): Promise<HoldersInfo> {
  try {
    return await ctx.indexer.holders(contentId);
  } catch (error) {
    if (error instanceof IndexerClientError && error.code === "INDEXER_NOT_FOUND") {
      throw new DekmeshClientError("CLIENT_NOT_FOUND", "the content is not registered", { cause: error, details: { contentId } });
    }
    throw clientError("CLIENT_INDEXER", "cannot read the content's holders", error);
  }
}

/** The first chunk of `source` within `ms`, then the rest; throws if none came in time. */
async function startWithin(source: AsyncIterable<Uint8Array>, ms: number, signal: AbortSignal | undefined): Promise<AsyncGenerator<Uint8Array>> {
  const iterator = source[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no first byte in time")), ms)));
  try {
    const first = await Promise.race([iterator.next(), timeout]);
    signal?.throwIfAborted();
    return (async function* () {
      try {
        if (first.done === true) return;
        yield first.value;
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) return;
          yield next.value;
        }
      } finally {
        await iterator.return?.();
      }
    })();
  } catch (error) {
    void iterator.return?.().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The holders in the order to fetch the ciphertext from: the initial validator pinned the upload; others may have it too. */
function holdersByPin(holders: readonly Holder[]): Holder[] {
  return [...holders].sort((a, b) => Number(b.state === "initial") - Number(a.state === "initial"));
}

/** The ciphertext's length from the first holder that declares it (Content-Length of its download, cancelled unread); undefined if none does in time. */
async function declaredLength(ctx: ClientContext, cid: string, holders: readonly Holder[], signal: AbortSignal): Promise<number | undefined> {
  for (const holder of holders) {
    try {
      const { totalBytes, cancel } = await getContent(holder.endpoint, cid, { timeoutMs: ctx.timeouts.validatorMs, signal });
      await cancel();
      if (totalBytes !== undefined) return totalBytes;
    } catch {
      if (signal.aborted) return undefined;
    }
  }
  return undefined;
}

/** The ciphertext's bytes and, when its source declares it, its length (a holder's Content-Length). */
interface Ciphertext {
  chunks: AsyncGenerator<Uint8Array>;
  totalBytes: number | undefined;
}

async function fetchCiphertext(ctx: ClientContext, cid: string, holders: readonly Holder[], signal: AbortSignal | undefined): Promise<Ciphertext> {
  const causes: unknown[] = [];
  if (ctx.ipfs !== undefined) {
    const controller = new AbortController();
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    try {
      const chunks = await startWithin(ctx.ipfs.cat(cid, { signal: combined }), ctx.timeouts.ipfsFirstByteMs, signal);
      // cat says nothing of the length: a store that can stat the CID (Kubo) gives it, else the holders' pin record does.
      const statSignal = AbortSignal.any([combined, AbortSignal.timeout(ctx.timeouts.ipfsFirstByteMs)]);
      const totalBytes = (await ctx.ipfs.size?.(cid, { signal: statSignal })) ?? (await declaredLength(ctx, cid, holdersByPin(holders), statSignal));
      return { chunks, totalBytes };
    } catch (error) {
      controller.abort();
      if (signal?.aborted) throw new DekmeshClientError("CLIENT_ABORTED", "aborted", { cause: error });
      causes.push(error);
    }
  }
  for (const holder of holdersByPin(holders)) {
    try {
      const { body, totalBytes } = await getContent(holder.endpoint, cid, { timeoutMs: ctx.timeouts.validatorMs, signal });
      return { chunks: await startWithin(verifyCid(cid, body), ctx.timeouts.validatorMs, signal), totalBytes };
    } catch (error) {
      if (signal?.aborted) throw new DekmeshClientError("CLIENT_ABORTED", "aborted", { cause: error });
      causes.push(error);
    }
  }
  throw new DekmeshClientError("CLIENT_CONTENT_UNAVAILABLE", "the ciphertext is neither in the configured IPFS nor at any holder", {
    cause: causes.at(-1),
    details: { cid, tried: causes.length },
    retryable: true,
  });
}

/** The content's DEK from the first holder that serves it. */
async function rewrapDek(ctx: ClientContext, contentId: Hex, info: HoldersInfo, options: DecryptOptions): Promise<Uint8Array> {
  const order = holderOrder(info.holders, options.validator);
  let lastCode: RewrapErrorCode | undefined;
  let lastCause: unknown;
  for (const holder of order) {
    // One key per attempt: an answer captured from one validator opens for no other request.
    const clientKey = P256PrivateKey.generate();
    const { signed, digest } = await ctx.signer.sign(contentId, clientKey.publicKey);
    try {
      const answer = await postRewrap(holder.endpoint, signed, { timeoutMs: ctx.timeouts.validatorMs, signal: options.signal });
      if (answer.contentId !== contentId || answer.requestDigest !== bytesToHex(digest)) {
        throw new ValidatorCallError({ kind: "unreachable", cause: new Error("the answer is about another request") });
      }
      return unwrapRewrap({ envelope: answer.envelope, clientPrivateKey: clientKey, requestDigest: digest });
    } catch (error) {
      if (!(error instanceof ValidatorCallError)) {
        if (error instanceof DekmeshClientError) throw error;
        // The envelope did not open: this validator answered garbage; try the next.
        lastCause = error;
        continue;
      }
      const failure = error.failure;
      if (failure.kind === "refused") {
        if (!failure.error.retryable) {
          throw new DekmeshClientError("CLIENT_REWRAP_REFUSED", `the validator refused the rewrap: ${failure.error.code}`, {
            rewrapCode: failure.error.code,
            reason: failure.error.reason,
            details: { validator: holder.node },
          });
        }
        lastCode = failure.error.code;
        lastCause = failure.error;
      } else {
        lastCause = failure.cause;
      }
    }
  }
  throw new DekmeshClientError("CLIENT_NO_HOLDER", "no holder served the rewrap", {
    rewrapCode: lastCode,
    cause: lastCause,
    details: { contentId, holders: order.length },
    retryable: true,
  });
}

export async function* decryptStream(ctx: ClientContext, cidText: string, options: DecryptOptions = {}): AsyncGenerator<Uint8Array> {
  const { cid, contentId } = contentIdOf(cidText);
  const info = await holdersOf(ctx, contentId);
  if (info.holders.length === 0) throw new DekmeshClientError("CLIENT_NO_HOLDER", "the content has no active holder", { details: { contentId }, retryable: true });
  const { chunks, totalBytes } = await fetchCiphertext(ctx, cid, info.holders, options.signal);
  let downloaded = 0;
  let decrypted = 0;
  const metered = (async function* () {
    for await (const chunk of chunks) {
      downloaded += chunk.byteLength;
      options.onProgress?.({ phase: "downloading", bytes: downloaded, ...(totalBytes === undefined ? {} : { totalBytes }) });
      yield chunk;
    }
  })();
  try {
    const getDek = (header: NanoTdfHeader) => (info.threshold !== undefined ? thresholdDek(ctx, info, header, options) : rewrapDek(ctx, contentId, info, options));
    for await (const plaintext of decryptNanoTdfStream(metered, { getDek, expectedPolicyId: info.policyId })) {
      decrypted += plaintext.byteLength;
      options.onProgress?.({ phase: "decrypting", bytes: decrypted });
      yield plaintext;
    }
  } catch (error) {
    if (error instanceof DekmeshClientError) throw error;
    if (options.signal?.aborted) throw new DekmeshClientError("CLIENT_ABORTED", "aborted", { cause: error });
    if (error instanceof TdfError || error instanceof ThresholdError || (error instanceof IpfsError && error.code === "IPFS_CID_MISMATCH")) {
      throw clientError("CLIENT_DECRYPT_FAILED", "the file does not decrypt or verify", error, { cid });
    }
    throw clientError("CLIENT_CONTENT_UNAVAILABLE", "reading the ciphertext failed", error, { cid });
  }
}
