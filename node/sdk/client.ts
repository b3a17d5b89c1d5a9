/**
 * createClient (docs/architecture.md#client-sdk-and-cli): what publishers and readers call. See docs/client.md.
 *
 *   const client = await createClient({ chain: { rpcUrl }, deployment, indexerUrl, ipfs, account });
 *   const cid = await client.upload(bytes, { attributes: ["clearance/secret"], replication: "all" });
 *   const plaintext = await client.decrypt(cid);
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { type Address, type Hex, type LocalAccount, hexToBytes } from "viem";
import { createChainClients, loadDeployment, type ChainClients } from "../chain/index.js";
import { type ChainDeployment } from "../protocol/deployment.js";
import { deriveRecoveryKey, recoveryKeyMessage } from "../crypto/envelopes/index.js";
import { createIndexerClient, type HoldersInfo, type IndexerClient, type PolicyInfo } from "../indexer-client/index.js";
import { createHeliaContentStore, createKuboContentStore, type ByteSource, type ContentStore } from "../ipfs/index.js";
import type { P256PrivateKey } from "../crypto/keys/index.js";
import { fromReadableStream } from "../crypto/tdf/index.js";
import { Attributes, type AttributeRule } from "./attributes.js";
import { queryAudit, type AuditPage, type AuditQuery } from "./audit.js";
import type { ClientContext } from "./context.js";
import { contentIdOf, decryptStream, holdersOf, type DecryptOptions } from "./decrypt.js";
import { clientError, DekmeshClientError } from "./errors.js";
import { Policies, type PolicyTerms } from "./policies.js";
import { recover, recoverDek, redeal, type RedealResult, type Registration } from "./recover.js";
import { RewrapSigner, type RewrapSignerOptions } from "./rewrapSigner.js";
import { uploadStream, type UploadOptions, type UploadResult } from "./upload.js";

/** How far behind the chain head the client accepts the indexer (1-second blocks: a minute). */
const CLIENT_MAX_STALENESS_BLOCKS = 60;

export type IpfsOption = { kind: "helia"; dir: string; bootstrap?: string[]; listen?: string[] } | { kind: "kubo"; url: string } | ContentStore;

export interface CreateClientOptions {
  chain: { rpcUrl: string; chainId?: number };
  /** A deployment file path (deployments/<chainId>.json) or a loaded deployment. */
  deployment: string | ChainDeployment;
  indexerUrl: string;
  /** Where ciphertexts live on this side. Absent: none (uploads spool to a temp dir; decrypt fetches from holders). */
  ipfs?: IpfsOption;
  /** The publisher's / reader's account: a viem local account or a private key. */
  account: LocalAccount | Hex;
  /** Rewrap signing: session (default) or per-request EIP-712. */
  rewrap?: RewrapSignerOptions;
  timeouts?: { validatorMs?: number; uploadMs?: number; ipfsFirstByteMs?: number };
}

export interface DekmeshClient {
  readonly address: Address;
  /** Encrypts and publishes; returns the CID once registered and pinned at the initial validator. */
  upload(bytes: Uint8Array, options?: UploadOptions): Promise<string>;
  uploadStream(source: ByteSource | ReadableStream<Uint8Array>, options?: UploadOptions): Promise<string>;
  /** Like upload, with the registration details. */
  publish(source: ByteSource | ReadableStream<Uint8Array>, options?: UploadOptions): Promise<UploadResult>;
  decrypt(cid: string, options?: DecryptOptions): Promise<Uint8Array>;
  decryptStream(cid: string, options?: DecryptOptions): AsyncIterable<Uint8Array>;
  policies: {
    create(terms: PolicyTerms): Promise<bigint>;
    update(policyId: bigint, terms: PolicyTerms): Promise<number>;
    revoke(policyId: bigint): Promise<void>;
    get(policyId: bigint): Promise<PolicyInfo>;
  };
  attributes: {
    createNamespace(name: string, rule: AttributeRule, values: string[]): Promise<Hex>;
    grant(attribute: string, account: Address, expiresAt?: bigint | number): Promise<void>;
    revokeGrant(attribute: string, account: Address): Promise<void>;
    resolve(attribute: string): Promise<{ namespace: Hex; value: number }>;
  };
  audit: { query(query?: AuditQuery): Promise<AuditPage> };
  holders(cid: string): Promise<HoldersInfo>;
  /** Re-seeds the DEK of a content you published at `validator` (POST /v1/recover, docs/client.md). */
  recover(cid: string, validator: Address): Promise<void>;
  /** Opens your recovery envelope of `cid`: its DEK (checked against the registered header) and registration. */
  recoverDek(cid: string): Promise<{ dek: Uint8Array; registration: Registration }>;
  /** Deals your threshold content's key again to freshly drawn members (redealThreshold, docs/client.md): when fewer than m are left. */
  redeal(cid: string): Promise<RedealResult>;
  close(): Promise<void>;
}

async function openIpfs(option: IpfsOption | undefined): Promise<ContentStore | undefined> {
  if (option === undefined) return undefined;
  if ("add" in option && "cat" in option) return option;
  if (option.kind === "helia") return createHeliaContentStore({ dir: option.dir, bootstrap: option.bootstrap, listen: option.listen });
  if (option.kind === "kubo") return createKuboContentStore({ url: option.url });
  throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", 'ipfs must be { kind: "helia" | "kubo", … } or a ContentStore');
}

export async function createClient(options: CreateClientOptions): Promise<DekmeshClient> {
  const account = localAccount(options.account);
  const deployment = resolveDeployment(options.deployment);
  const chain = createChainClients({ rpcUrl: options.chain.rpcUrl, chainId: options.chain.chainId, deployment, account });
  const indexer = openIndexer(chain, options.indexerUrl);
  const ipfs = await openIpfs(options.ipfs);
  const attributes = new Attributes(chain);
  const policies = new Policies(chain, attributes, indexer);
  const signer = new RewrapSigner(account, { chainId: BigInt(deployment.chainId), verifyingContract: deployment.addresses.rewrapAuditLog }, options.rewrap);
  const spool = spoolDirectory();
  const ctx: ClientContext = {
    account,
    chain,
    indexer,
    ipfs,
    attributes,
    policies,
    signer,
    recoveryKey: lazyRecoveryKey(account, BigInt(deployment.chainId)),
    spoolDir: spool.dir,
    timeouts: withDefaultTimeouts(options.timeouts),
  };
  return clientApi(ctx, spool.remove);
}

function localAccount(option: LocalAccount | Hex): LocalAccount {
  const account = typeof option === "string" ? privateKeyToAccount(option) : option;
  if (account?.type !== "local") throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", "account must be a private key or a viem local account");
  return account;
}

function resolveDeployment(option: string | ChainDeployment): ChainDeployment {
  try {
    return typeof option === "string" ? loadDeployment(option) : option;
  } catch (error) {
    throw clientError("CLIENT_INVALID_ARGUMENT", "cannot load the deployment", error);
  }
}

function openIndexer(chain: ChainClients, url: string): IndexerClient {
  try {
    return createIndexerClient(
      { chain: chain.publicClient },
      // A client only picks validators and holders from the indexer; the chain refuses a registration to an inactive
      // validator and every validator checks access on fresh state itself, so a busy indexer a few blocks behind is
      // no reason to fail an upload or a decrypt (validators keep the strict bound of their config).
      { url, holdersCacheTtlMs: 0, validatorsCacheTtlMs: 1_000, maxStalenessBlocks: CLIENT_MAX_STALENESS_BLOCKS, timeoutMs: 15_000 },
    );
  } catch (error) {
    throw clientError("CLIENT_INVALID_ARGUMENT", "bad indexer url", error);
  }
}

/** The publisher's recovery key, derived from a signature on first use only (it asks the account to sign). */
function lazyRecoveryKey(account: LocalAccount, chainId: bigint): () => Promise<P256PrivateKey> {
  let recoveryKey: Promise<P256PrivateKey> | undefined;
  return () =>
    (recoveryKey ??= (async () => {
      const signature = await account.signMessage({ message: recoveryKeyMessage(account.address, chainId) });
      return deriveRecoveryKey({ publisher: account.address, chainId, signature: hexToBytes(signature) });
    })());
}

/** A temporary directory for upload spools, made on first use and removed on close. */
function spoolDirectory(): { dir: () => Promise<string>; remove: () => Promise<void> } {
  let spool: Promise<string> | undefined;
  return {
    dir: () => (spool ??= mkdtemp(join(tmpdir(), "dekmesh-client-"))),
    async remove() {
      if (spool !== undefined) await rm(await spool, { recursive: true, force: true }).catch(() => {});
    },
  };
}

function withDefaultTimeouts(timeouts: CreateClientOptions["timeouts"]): ClientContext["timeouts"] {
  return {
    validatorMs: timeouts?.validatorMs ?? 10_000,
    uploadMs: timeouts?.uploadMs ?? 60 * 60_000,
    ipfsFirstByteMs: timeouts?.ipfsFirstByteMs ?? 10_000,
  };
}

const byteSource = (input: ByteSource | ReadableStream<Uint8Array>): ByteSource =>
  typeof (input as ReadableStream<Uint8Array>).getReader === "function" ? fromReadableStream(input as ReadableStream<Uint8Array>) : (input as ByteSource);

/** The DekmeshClient over `ctx`: every operation refuses once the client is closed. */
function clientApi(ctx: ClientContext, removeSpool: () => Promise<void>): DekmeshClient {
  const { attributes, policies, indexer, ipfs } = ctx;
  let closed = false;
  const open = (): void => {
    if (closed) throw new DekmeshClientError("CLIENT_CLOSED", "the client is closed");
  };
  const client: DekmeshClient = {
    address: ctx.account.address,
    async publish(input, uploadOptions) {
      open();
      return uploadStream(ctx, byteSource(input), uploadOptions);
    },
    async uploadStream(input, uploadOptions) {
      return (await client.publish(input, uploadOptions)).cid;
    },
    async upload(bytes, uploadOptions) {
      if (!(bytes instanceof Uint8Array)) throw new DekmeshClientError("CLIENT_INVALID_ARGUMENT", "upload takes a Uint8Array; use uploadStream for streams");
      return client.uploadStream([bytes], uploadOptions);
    },
    decryptStream(cid, decryptOptions) {
      open();
      return decryptStream(ctx, cid, decryptOptions);
    },
    async decrypt(cid, decryptOptions) {
      const parts: Uint8Array[] = [];
      for await (const part of client.decryptStream(cid, decryptOptions)) parts.push(part);
      return new Uint8Array(Buffer.concat(parts));
    },
    policies: {
      create: (terms) => (open(), policies.create(terms)),
      update: (id, terms) => (open(), policies.update(id, terms)),
      revoke: (id) => (open(), policies.revoke(id)),
      get: (id) => (open(), policies.get(id)),
    },
    attributes: {
      createNamespace: async (name, rule, values) => (open(), (await attributes.createNamespace(name, rule, values)).namespace),
      grant: async (attribute, to, expiresAt) => void (open(), await attributes.grant(attribute, to, expiresAt)),
      revokeGrant: async (attribute, from) => void (open(), await attributes.revokeGrant(attribute, from)),
      resolve: async (attribute) => {
        open();
        const { namespace, value } = await attributes.resolve(attribute);
        return { namespace, value };
      },
    },
    audit: { query: (query = {}) => (open(), queryAudit(indexer.options.url, query, ctx.timeouts.validatorMs)) },
    holders: async (cid) => (open(), holdersOf(ctx, contentIdOf(cid).contentId)),
    recover: (cid, validator) => (open(), recover(ctx, cid, validator)),
    recoverDek: (cid) => (open(), recoverDek(ctx, cid)),
    redeal: (cid) => (open(), redeal(ctx, cid)),
    async close() {
      if (closed) return;
      closed = true;
      await ipfs?.stop();
      await removeSpool();
    },
  };
  return client;
}
