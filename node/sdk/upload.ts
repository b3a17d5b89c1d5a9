/**
 * upload (docs/architecture.md#client-sdk-and-cli): policy, initial validator, NanoTDF encryption, CID, registration, pin.
 *
 * In constant memory whatever the size: the ciphertext is encrypted once, streamed into the
 * configured IPFS (or a local spool) which computes its CID on the way; the registration then
 * carries the header and the recovery envelope; and the ciphertext streams back out of the
 * store into the initial validator's `PUT /v1/content/:cid` (the validator pins only
 * registered contents, so the transaction must be mined first). When upload returns, the
 * initial validator holds the DEK (derived from the registered header) and the ciphertext, so
 * the publisher may go offline.
 */
import { rm, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { contentRegistryAbi, sendContractWrite } from "../chain/index.js";
import { sealRecovery } from "../crypto/envelopes/index.js";
import { counted, createLocalContentStore, type ByteSource, type ContentStore } from "../ipfs/index.js";
import { keccak256 } from "../crypto/keys/ethereum.js";
import { type Address, bytesToHex, hexToBytes } from "viem";
import { encryptStream } from "../crypto/tdf/index.js";
import type { ClientContext, OnProgress } from "./context.js";
import { clientError, DekmeshClientError } from "./errors.js";
import type { PolicyTerms } from "./policies.js";
import { drawByStake } from "./selection.js";
import { putContent } from "./validatorApi.js";

export interface UploadOptions extends PolicyTerms {
  /** Use this existing policy (yours, not revoked) instead of creating one from the terms. */
  policyId?: bigint;
  /** The initial validator; default a stake-weighted draw among the active ones. */
  validator?: Address;
  /** Plaintext bytes per NanoTDF segment (default 1 MiB). */
  segmentSize?: number;
  onProgress?: OnProgress;
  signal?: AbortSignal;
}

export interface UploadResult {
  cid: string;
  contentId: `0x${string}`;
  policyId: bigint;
  validator: Address;
  transactionHash: `0x${string}`;
  bytes: number;
}

/** Policies created by this client, by their terms: the same terms reuse the same policy. */
const policyCache = new WeakMap<ClientContext, Map<string, bigint>>();

async function policyFor(ctx: ClientContext, options: UploadOptions): Promise<bigint> {
  if (options.policyId !== undefined) return BigInt(options.policyId);
  const input = await ctx.policies.input(options);
  const key = JSON.stringify(input, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : typeof v === "string" ? v.toLowerCase() : v));
  let cache = policyCache.get(ctx);
  if (cache === undefined) policyCache.set(ctx, (cache = new Map()));
  const known = cache.get(key);
  if (known !== undefined) return known;
  options.onProgress?.({ phase: "policy", bytes: 0 });
  const created = await ctx.policies.create(options);
  cache.set(key, created);
  return created;
}

async function initialValidator(ctx: ClientContext, wanted: Address | undefined) {
  let active;
  try {
    active = (await ctx.indexer.activeValidators()).validators;
  } catch (error) {
    throw clientError("CLIENT_INDEXER", "cannot read the active validators", error);
  }
  const chosen = wanted === undefined ? drawByStake(active) : active.find((v) => v.node.toLowerCase() === wanted.toLowerCase());
  if (chosen === undefined) {
    throw new DekmeshClientError("CLIENT_NO_VALIDATOR", wanted === undefined ? "no active validator" : "the requested validator is not active", { details: { validator: wanted } });
  }
  return chosen;
}

export async function uploadStream(ctx: ClientContext, source: ByteSource, options: UploadOptions = {}): Promise<UploadResult> {
  const policyId = await policyFor(ctx, options);
  const validator = await initialValidator(ctx, options.validator);
  let spool: { store: ContentStore; dir: string } | undefined;
  const store = ctx.ipfs ?? (spool = await openSpool(ctx)).store;
  try {
    const encrypted = encryptStream(counted(source as AsyncIterable<Uint8Array>, (bytes) => options.onProgress?.({ phase: "encrypting", bytes })), {
      kasPublicKey: hexToBytes(validator.kasPublicKey),
      locator: validator.endpoint,
      policyId,
      segmentSize: options.segmentSize,
    });
    let cid: string;
    try {
      cid = await store.add(encrypted.ciphertext, { signal: options.signal });
    } catch (error) {
      throw clientError("CLIENT_INVALID_ARGUMENT", "cannot encrypt and store the content", error);
    }
    const contentIdBytes = keccak256(CID.parse(cid).bytes);
    const recoveryEnvelope = sealRecovery({
      dek: encrypted.dek,
      recoveryPublicKey: (await ctx.recoveryKey()).publicKey,
      contentId: contentIdBytes,
      publisher: ctx.account.address,
    });
    // The DEK is in the header (for the validator) and the envelope (for the publisher) now.
    encrypted.dek.fill(0);
    let transactionHash: `0x${string}`;
    options.onProgress?.({ phase: "registering", bytes: 0, cid });
    try {
      const { hash } = await sendContractWrite(ctx.chain, {
        address: ctx.chain.deployment.addresses.contentRegistry,
        abi: contentRegistryAbi,
        functionName: "register",
        args: [bytesToHex(CID.parse(cid).bytes), policyId, validator.node, bytesToHex(encrypted.header.bytes), bytesToHex(recoveryEnvelope)],
      }, { signal: options.signal });
      transactionHash = hash;
    } catch (error) {
      throw clientError("CLIENT_CHAIN", "ContentRegistry.register failed", error);
    }
    const bytes = await putContent(
      validator.endpoint,
      cid,
      counted(store.cat(cid, { signal: options.signal }), (n) => options.onProgress?.({ phase: "uploading", bytes: n })),
      { timeoutMs: ctx.timeouts.uploadMs, signal: options.signal },
    );
    return { cid, contentId: bytesToHex(contentIdBytes), policyId, validator: validator.node, transactionHash, bytes };
  } finally {
    if (spool !== undefined) {
      await spool.store.stop().catch(() => {});
      await rm(spool.dir, { recursive: true, force: true }).catch(() => {});
    }
  }
}

async function openSpool(ctx: ClientContext): Promise<{ store: ContentStore; dir: string }> {
  const dir = await mkdtemp(join(await ctx.spoolDir(), "upload-"));
  return { store: await createLocalContentStore({ dir }), dir };
}
