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
import { type Address, bytesToHex, getAddress, hexToBytes } from "viem";
import { encryptStream } from "../crypto/tdf/index.js";
import type { ClientContext, OnProgress } from "./context.js";
import { clientError, DekmeshClientError } from "./errors.js";
import type { PolicyTerms } from "./policies.js";
import { drawByStake } from "./selection.js";
import { dealShares } from "../crypto/threshold/index.js";
import { sealToDrawAndSend, thresholdTermsOf, type ThresholdTerms } from "./thresholdDeal.js";
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
  /** A threshold content: m, n and the members drawn, in slot order (`validator` is slot 0's, one of the two pinning the ciphertext). */
  threshold?: { m: number; n: number; members: Address[] };
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
  const threshold = await thresholdTermsOf(ctx, options.replication, options.policyId === undefined ? undefined : policyId);
  let spool: { store: ContentStore; dir: string } | undefined;
  const store = ctx.ipfs ?? (spool = await openSpool(ctx)).store;
  try {
    return threshold === undefined ? await uploadToValidator(ctx, store, source, policyId, options) : await uploadThreshold(ctx, store, source, policyId, threshold, options);
  } finally {
    if (spool !== undefined) {
      await spool.store.stop().catch(() => {});
      await rm(spool.dir, { recursive: true, force: true }).catch(() => {});
    }
  }
}

/** Every mode but threshold: the header against the initial validator's KAS key, `register`, the ciphertext pinned there. */
async function uploadToValidator(ctx: ClientContext, store: ContentStore, source: ByteSource, policyId: bigint, options: UploadOptions): Promise<UploadResult> {
  const validator = await initialValidator(ctx, options.validator);
  const encrypted = await encryptInto(ctx, store, source, options, { kasPublicKey: hexToBytes(validator.kasPublicKey), locator: validator.endpoint, policyId });
  const { cid, contentIdBytes } = encrypted;
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
      args: [bytesToHex(CID.parse(cid).bytes), policyId, validator.node, bytesToHex(encrypted.header), bytesToHex(recoveryEnvelope)],
    }, { signal: options.signal });
    transactionHash = hash;
  } catch (error) {
    throw clientError("CLIENT_CHAIN", "ContentRegistry.register failed", error);
  }
  const [bytes] = await pinAt(ctx, store, cid, [validator.endpoint], options);
  return { cid, contentId: bytesToHex(contentIdBytes), policyId, validator: validator.node, transactionHash, bytes: bytes! };
}

/**
 * threshold(m, n) (docs/threshold.md#dealing): a fresh content key k_c dealt into n shares, the
 * header made against K_c with the ECDSA policy binding (members check the policy without the
 * DEK), the shares sealed to the members the contract draws, one `registerThreshold` carrying
 * commitments, sealed shares and the recovery envelope (of k_c, so the publisher can re-deal).
 * No validator ever sees k_c or the DEK.
 */
async function uploadThreshold(ctx: ClientContext, store: ContentStore, source: ByteSource, policyId: bigint, terms: ThresholdTerms, options: UploadOptions): Promise<UploadResult> {
  const { contentKey, commitments, shares } = dealShares(terms);
  try {
    // The locator is informative only: a reader asks the members /holders lists.
    const locator = (await initialValidator(ctx, undefined)).endpoint;
    const encrypted = await encryptInto(ctx, store, source, options, { kasPublicKey: commitments[0]!, locator, policyId, binding: "ecdsa" });
    // The DEK is derived from the header by whoever holds k_c; this side needs it no longer.
    encrypted.dek.fill(0);
    const { cid, contentIdBytes } = encrypted;
    const contentId = bytesToHex(contentIdBytes);
    const recoveryEnvelope = sealRecovery({
      dek: contentKey.exportPrivateKey(),
      recoveryPublicKey: (await ctx.recoveryKey()).publicKey,
      contentId: contentIdBytes,
      publisher: ctx.account.address,
    });
    options.onProgress?.({ phase: "registering", bytes: 0, cid });
    const { deal, transactionHash } = await sealToDrawAndSend(ctx, { contentId, shares, commitments, operation: "registerThreshold" }, async (d) => {
      const registration = {
        cid: bytesToHex(CID.parse(cid).bytes),
        policyId,
        header: bytesToHex(encrypted.header),
        recoveryEnvelope: bytesToHex(recoveryEnvelope),
        drawBlock: d.drawBlock,
        commitments: d.commitments,
        sealedShares: d.sealedShares,
      };
      const write = { address: ctx.chain.deployment.addresses.contentRegistry, abi: contentRegistryAbi, functionName: "registerThreshold", args: [registration] };
      return (await sendContractWrite(ctx.chain, write, { signal: options.signal })).hash;
    });
    const [bytes] = await pinAt(ctx, store, cid, await endpointsOf(ctx, deal.members.slice(0, THRESHOLD_PINS)), options);
    return { cid, contentId, policyId, validator: getAddress(deal.members[0]!), transactionHash, bytes: bytes!, threshold: { ...terms, members: deal.members.map((m) => getAddress(m)) } };
  } finally {
    for (const share of shares) share.value.fill(0);
  }
}

/**
 * A threshold content's ciphertext is pinned at the members of its first two slots, so one member
 * down does not take the only copy with it (no member holds the key: the copies cost bandwidth,
 * not trust).
 */
const THRESHOLD_PINS = 2;

async function endpointsOf(ctx: ClientContext, members: readonly Address[]): Promise<string[]> {
  let active;
  try {
    active = (await ctx.indexer.activeValidators()).validators;
  } catch (error) {
    throw clientError("CLIENT_INDEXER", "cannot read the members' endpoints", error);
  }
  return members.map((member) => active.find((v) => v.node.toLowerCase() === member.toLowerCase())?.endpoint).filter((e): e is string => e !== undefined);
}

/** Encrypts `source` into `store`; the CID, content id, header bytes and DEK. */
async function encryptInto(
  ctx: ClientContext,
  store: ContentStore,
  source: ByteSource,
  options: UploadOptions,
  header: { kasPublicKey: Uint8Array; locator: string; policyId: bigint; binding?: "ecdsa" },
): Promise<{ cid: string; contentIdBytes: Uint8Array; header: Uint8Array; dek: Uint8Array }> {
  const encrypted = encryptStream(counted(source as AsyncIterable<Uint8Array>, (bytes) => options.onProgress?.({ phase: "encrypting", bytes })), {
    ...header,
    segmentSize: options.segmentSize,
  });
  let cid: string;
  try {
    cid = await store.add(encrypted.ciphertext, { signal: options.signal });
  } catch (error) {
    encrypted.dek.fill(0);
    throw clientError("CLIENT_INVALID_ARGUMENT", "cannot encrypt and store the content", error);
  }
  return { cid, contentIdBytes: keccak256(CID.parse(cid).bytes), header: encrypted.header.bytes, dek: encrypted.dek };
}

/** PUT /v1/content/:cid at each endpoint (the registration must be mined); the bytes each pinned. Progress follows the first. */
async function pinAt(ctx: ClientContext, store: ContentStore, cid: string, endpoints: readonly string[], options: UploadOptions): Promise<number[]> {
  if (endpoints.length === 0) throw new DekmeshClientError("CLIENT_UPLOAD_FAILED", "no validator endpoint to upload the ciphertext to", { details: { cid }, retryable: true });
  return Promise.all(
    endpoints.map((endpoint, i) =>
      putContent(
        endpoint,
        cid,
        counted(store.cat(cid, { signal: options.signal }), (n) => (i === 0 ? options.onProgress?.({ phase: "uploading", bytes: n }) : undefined)),
        { timeoutMs: ctx.timeouts.uploadMs, signal: options.signal },
      ),
    ),
  );
}

async function openSpool(ctx: ClientContext): Promise<{ store: ContentStore; dir: string }> {
  const dir = await mkdtemp(join(await ctx.spoolDir(), "upload-"));
  return { store: await createLocalContentStore({ dir }), dir };
}
