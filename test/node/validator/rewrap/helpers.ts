/**
 * A real dekmesh network for the rewrap tests: a Hardhat chain with the contracts and a Ponder
 * indexer (startStack), driven with viem from the funded dev accounts; validators with a real
 * store in a temp dir, a real indexer client and (optionally) a real libp2p node on loopback;
 * and readers that sign requests the way the client SDK will.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  toHex,
  type Address,
  type Hex,
  type HDAccount,
  type PublicClient,
  hexToBytes,
} from "viem";
import { hardhat } from "viem/chains";
import { CONTRACT_ABIS } from "../../../../node/chain/abis.js";
import { createPeerIdProof } from "../../../../node/chain/index.js";
import { devAccount, rpcRequest, startStack, type Stack } from "../../../../node/devnet/index.js";
import { unwrapRewrap } from "../../../../node/crypto/envelopes/index.js";
import { createIndexerClient, type IndexerClient, type IndexerClientOptions } from "../../../../node/indexer-client/index.js";
import { createAccessDecider, type AccessDecider, type AccessDeciderOptions } from "../../../../node/validator/access/index.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { createP2pNode, type P2pNode } from "../../../../node/validator/p2p/index.js";
import { createRewrapService, type RewrapService, type RewrapServiceOptions } from "../../../../node/validator/rewrap/index.js";
import {
  RewrapError,
  rewrapBulkRequestTypedData,
  rewrapRequestTypedData,
  sessionGrantTypedData,
  type RewrapDomain,
  type SignedRewrapBulkRequest,
  type SignedRewrapRequest,
  type SignedSessionGrant,
} from "../../../../node/protocol/rewrap/index.js";
import { bulkItemDigest, RewrapHasher } from "../../../../node/crypto/keys/eip712.js";
import { DekStore } from "../../../../node/validator/store/index.js";

const ABIS = CONTRACT_ABIS;
type ContractName = keyof typeof ABIS;

export const MODE = { all: 0, stake: 1, xor: 2, explicit: 3 } as const;
export const RULE = { allOf: 0, anyOf: 1, hierarchy: 2 } as const;
const MIN_STAKE = 1_000n * 10n ** 18n;

export interface PolicyInput {
  requirements?: { namespace: Hex; value: number }[];
  allowlist?: Address[];
  notBefore?: bigint;
  notAfter?: bigint;
  mode?: keyof typeof MODE;
  explicitMembers?: Address[];
}

const tempDirs: string[] = [];
export function tempDir(prefix = "dekmesh-rewrap-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The chain + contracts + indexer, and the transactions the tests send. */
export class TestNet {
  readonly public: PublicClient;
  readonly addresses: Record<ContractName, Address>;
  readonly domain: RewrapDomain;

  private constructor(readonly stack: Stack) {
    this.public = createPublicClient({ chain: hardhat, transport: http(stack.chain.url), pollingInterval: 20 });
    const c = stack.deployment.deployment.contracts;
    this.addresses = Object.fromEntries(Object.keys(ABIS).map((n) => [n, c[n as ContractName].address])) as Record<ContractName, Address>;
    this.domain = { chainId: BigInt(stack.chain.chainId), verifyingContract: this.addresses.RewrapAuditLog };
  }

  static async start(): Promise<TestNet> {
    return new TestNet(await startStack());
  }

  get indexerUrl(): string {
    return this.stack.indexer!.url;
  }

  async send(from: HDAccount, contract: ContractName, functionName: string, args: readonly unknown[]) {
    const wallet = createWalletClient({ chain: hardhat, transport: http(this.stack.chain.url), account: from });
    const hash = await wallet.writeContract({ address: this.addresses[contract], abi: ABIS[contract] as never, functionName, args } as never);
    const receipt = await this.public.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error(`${contract}.${functionName} reverted`);
    return receipt;
  }

  async read<T>(contract: ContractName, functionName: string, args: readonly unknown[]): Promise<T> {
    return (await this.public.readContract({ address: this.addresses[contract], abi: ABIS[contract] as never, functionName, args } as never)) as T;
  }

  /** Registers and stakes `node` (with its real libp2p identity when it has one). */
  async activateValidator(node: HDAccount, operator: HDAccount, network: { libp2pPrivateKey?: PrivateKey; multiaddrs?: string[] } = {}) {
    const { peerId, peerIdProof } = await createPeerIdProof({
      chainId: this.domain.chainId,
      registry: this.addresses.ValidatorRegistry,
      node: node.address,
      libp2pPrivateKey: network.libp2pPrivateKey ?? (await generateKeyPair("secp256k1")),
    });
    const kasKey = toHex(P256PrivateKey.generate().publicKey);
    const multiaddrs = network.multiaddrs ?? ["/ip4/127.0.0.1/tcp/1"];
    await this.send(node, "ValidatorRegistry", "register", [operator.address, kasKey, peerId, peerIdProof, multiaddrs, "http://127.0.0.1:1"]);
    await this.send(devAccount(0), "StakeToken", "mint", [operator.address, MIN_STAKE]);
    await this.send(operator, "StakeToken", "approve", [this.addresses.ValidatorRegistry, MIN_STAKE]);
    await this.send(operator, "ValidatorRegistry", "stake", [node.address, MIN_STAKE]);
  }

  async createNamespace(authority: HDAccount, name: string, rule: keyof typeof RULE, values: string[]): Promise<Hex> {
    await this.send(authority, "AttributeRegistry", "createNamespace", [name, RULE[rule], values]);
    return keccak256(toHex(name));
  }

  grant(authority: HDAccount, namespace: Hex, account: Address, value: number, expiresAt = 0n) {
    return this.send(authority, "AttributeRegistry", "grant", [namespace, account, value, expiresAt]);
  }

  revokeGrant(authority: HDAccount, namespace: Hex, account: Address, value: number) {
    return this.send(authority, "AttributeRegistry", "revokeGrant", [namespace, account, value]);
  }

  async createPolicy(publisher: HDAccount, input: PolicyInput): Promise<bigint> {
    const requirements = [...(input.requirements ?? [])].sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.value - b.value));
    await this.send(publisher, "PolicyRegistry", "createPolicy", [
      {
        requirements,
        allowlist: input.allowlist ?? [],
        notBefore: input.notBefore ?? 0n,
        notAfter: input.notAfter ?? 0n,
        mode: MODE[input.mode ?? "all"],
        k: 0,
        explicitMembers: input.explicitMembers ?? [],
      },
    ]);
    return this.read<bigint>("PolicyRegistry", "policyCount", []);
  }

  revokePolicy(publisher: HDAccount, policyId: bigint) {
    return this.send(publisher, "PolicyRegistry", "revokePolicy", [policyId]);
  }

  /** Registers a random CID under `policyId` with `initialValidator`; returns its content id. */
  async registerContent(publisher: HDAccount, policyId: bigint, initialValidator: Address): Promise<Hex> {
    const cid = CID.create(1, 0x55, await sha256.digest(randomBytes(64)));
    await this.send(publisher, "ContentRegistry", "register", [toHex(cid.bytes), policyId, initialValidator, toHex(randomBytes(96)), "0x"]);
    return keccak256(cid.bytes);
  }

  confirmHoldings(validator: HDAccount, contentIds: Hex[]) {
    return this.send(validator, "ContentRegistry", "confirmHoldings", [contentIds]);
  }

  async chainTime(): Promise<bigint> {
    return (await this.public.getBlock({ blockTag: "latest" })).timestamp;
  }

  async increaseTime(seconds: number): Promise<void> {
    await rpcRequest(this.stack.chain.url, "evm_increaseTime", [seconds]);
    await rpcRequest(this.stack.chain.url, "evm_mine", []);
  }

  /** Waits until the indexer has indexed the chain's current head. */
  async synced(): Promise<void> {
    await this.stack.indexer!.waitForBlock(await this.public.getBlockNumber({ cacheTime: 0 }));
  }

  indexerClient(options: Partial<IndexerClientOptions> = {}, chain: { getBlockNumber(args?: { cacheTime?: number }): Promise<bigint> } = this.public): IndexerClient {
    return createIndexerClient({ chain }, { url: this.indexerUrl, ...options });
  }

  async stop(): Promise<void> {
    await this.stack.stop();
  }
}

/** A validator's rewrap side: store, indexer client, access decider, optional p2p node, the service. */
export interface TestValidator {
  account: HDAccount;
  store: DekStore;
  indexer: IndexerClient;
  access: AccessDecider;
  p2p: P2pNode | undefined;
  service: RewrapService;
  missing: Hex[];
  stop(): Promise<void>;
}

export async function startValidator(
  net: TestNet,
  account: HDAccount,
  operator: HDAccount,
  options: { p2p?: boolean; service?: RewrapServiceOptions; indexer?: Partial<IndexerClientOptions>; access?: AccessDeciderOptions } = {},
): Promise<TestValidator> {
  const store = DekStore.open({ directory: join(tempDir(), "store"), storageKey: randomBytes(32) });
  const indexer = net.indexerClient(options.indexer);
  const access = createAccessDecider({ indexer }, options.access);
  let p2p: P2pNode | undefined;
  const libp2pPrivateKey = await generateKeyPair("secp256k1");
  if (options.p2p) {
    p2p = await createP2pNode(
      { privateKey: libp2pPrivateKey, isAllowedPeer: (peer) => indexer.isActiveValidatorPeer(peer) },
      { revalidateIntervalMs: 0, inboundConnectionsPerHostPerSecond: 100 },
    );
    await p2p.start();
  }
  await net.activateValidator(account, operator, { libp2pPrivateKey, ...(p2p ? { multiaddrs: p2p.getMultiaddrs().map((m) => m.toString()) } : {}) });
  const missing: Hex[] = [];
  const service = createRewrapService(
    { store, access, indexer, p2p, chainId: net.domain.chainId, auditLog: net.domain.verifyingContract, onMissingDek: (id) => missing.push(id) },
    options.service,
  );
  await service.start();
  return {
    account,
    store,
    indexer,
    access,
    p2p,
    service,
    missing,
    async stop() {
      await service.stop();
      await p2p?.stop();
      store.close();
    },
  };
}

const nowS = () => Math.floor(Date.now() / 1000);
let nonceCounter = BigInt(Date.now()) * 1_000_000n;

/** A reader as the client SDK will be: an account, an ephemeral P-256 key, optional session. */
export class Reader {
  readonly clientKey = P256PrivateKey.generate();
  readonly hasher: RewrapHasher;
  session: { key: P256PrivateKey; grant: SignedSessionGrant } | undefined;

  constructor(
    readonly account: HDAccount,
    readonly domain: RewrapDomain,
  ) {
    this.hasher = new RewrapHasher(domain);
  }

  get address(): Address {
    return this.account.address.toLowerCase() as Address;
  }

  static nonce(): bigint {
    return nonceCounter++;
  }

  /** A per-request EIP-712-signed request (by this account unless `signer` says otherwise). */
  async request(contentId: Hex, options: { nonce?: bigint; expiry?: number; signer?: HDAccount; clientPublicKey?: Uint8Array } = {}): Promise<SignedRewrapRequest> {
    const request = { contentId, clientPublicKey: options.clientPublicKey ?? this.clientKey.publicKey, nonce: options.nonce ?? Reader.nonce(), expiry: options.expiry ?? nowS() + 60 };
    const signature = await (options.signer ?? this.account).signTypedData(rewrapRequestTypedData(this.domain, request) as never);
    return { request, auth: { kind: "account", account: this.address, signature: hexToBytes(signature) } };
  }

  /** Signs a session grant for a fresh P-256 key and keeps it as this reader's session. */
  async startSession(options: { expiry?: number; signer?: HDAccount } = {}): Promise<SignedSessionGrant> {
    const key = P256PrivateKey.generate();
    const grant = { account: this.address, sessionPublicKey: key.publicKey, expiry: options.expiry ?? nowS() + 3600, nonce: Reader.nonce() };
    const signature = await (options.signer ?? this.account).signTypedData(sessionGrantTypedData(this.domain, grant) as never);
    this.session = { key, grant: { ...grant, signature: hexToBytes(signature) } };
    return this.session.grant;
  }

  /** A request signed by the session key over its EIP-712 digest. */
  sessionRequest(contentId: Hex, options: { nonce?: bigint; expiry?: number; key?: P256PrivateKey; clientPublicKey?: Uint8Array } = {}): SignedRewrapRequest {
    assert.ok(this.session, "no session");
    const request = { contentId, clientPublicKey: options.clientPublicKey ?? this.clientKey.publicKey, nonce: options.nonce ?? Reader.nonce(), expiry: options.expiry ?? nowS() + 60 };
    const signature = (options.key ?? this.session.key).sign(this.hasher.request(request));
    return { request, auth: { kind: "session", grant: this.session.grant, signature } };
  }

  async bulk(contentIds: Hex[], options: { session?: boolean; nonce?: bigint; expiry?: number } = {}): Promise<SignedRewrapBulkRequest> {
    const request = { contentIds, clientPublicKey: this.clientKey.publicKey, nonce: options.nonce ?? Reader.nonce(), expiry: options.expiry ?? nowS() + 60 };
    if (options.session) {
      assert.ok(this.session, "no session");
      return { request, auth: { kind: "session", grant: this.session.grant, signature: this.session.key.sign(this.hasher.bulk(request)) } };
    }
    const signature = await this.account.signTypedData(rewrapBulkRequestTypedData(this.domain, request) as never);
    return { request, auth: { kind: "account", account: this.address, signature: hexToBytes(signature) } };
  }

  /** The DEK from a single answer. */
  open(envelope: Uint8Array, requestDigest: Uint8Array): Uint8Array {
    return unwrapRewrap({ envelope, clientPrivateKey: this.clientKey, requestDigest });
  }

  /** The DEK from one item of a bulk answer. */
  openBulkItem(envelope: Uint8Array, bulkDigest: Uint8Array, contentId: Hex): Uint8Array {
    return this.open(envelope, bulkItemDigest(bulkDigest, contentId));
  }
}

/** Asserts that `promise` is refused with `code` (and `reason`, if given); returns the error. */
export async function refused(promise: Promise<unknown>, code: string, reason?: string): Promise<RewrapError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RewrapError, `expected a RewrapError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code} (cause: ${String((error.cause as Error | undefined)?.message ?? "")})`);
    if (reason !== undefined) assert.equal(error.reason, reason);
    return error;
  }
  assert.fail(`expected ${code}, but the request was served`);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export { devAccount };
