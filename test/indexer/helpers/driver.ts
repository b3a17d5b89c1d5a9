// Drives a devnet's contracts with viem wallet clients on Hardhat's unlocked default
// accounts: the transactions a publisher, an authority, operators and validators would send.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  http,
  keccak256,
  toHex,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { CONTRACT_ABIS } from "../../../node/chain/abis.js";
import { encodeAuditRecords } from "../../../node/protocol/auditRecords.js";
import { devAccount, rpcRequest, type Stack } from "../../../node/devnet/index.js";

export const ABIS = CONTRACT_ABIS;

/** contracts/test/SelfCallDelegate.sol (test-only, not among the deployed contracts' ABIs). */
const SELF_CALL_DELEGATE_ABI = [
  {
    type: "function",
    name: "execute",
    stateMutability: "nonpayable",
    inputs: [
      { name: "target", type: "address" },
      { name: "data", type: "bytes" },
    ],
    outputs: [{ name: "result", type: "bytes" }],
  },
] as const;
export type ContractName = keyof typeof ABIS;

export const MODE = { all: 0, stake: 1, xor: 2, explicit: 3 } as const;
export const RULE = { allOf: 0, anyOf: 1, hierarchy: 2 } as const;
export const TOKEN = 10n ** 18n;
/** deployParametersFromEnv's dev default. */
export const MIN_STAKE = 1_000n * TOKEN;

export interface PolicyInput {
  requirements?: { namespace: Hex; value: number }[];
  allowlist?: Address[];
  notBefore?: bigint;
  notAfter?: bigint;
  mode: keyof typeof MODE;
  k?: number;
  explicitMembers?: Address[];
}

export interface AuditRecordInput {
  contentId: Hex;
  requester: Address;
  requestDigest?: Hex;
  servedAt?: bigint;
}

/** A random, well-formed CIDv1 (raw codec, sha2-256) standing in for an encrypted file. */
export async function randomCid(): Promise<CID> {
  return CID.create(1, 0x55, await sha256.digest(randomBytes(64)));
}

/** A compressed-point-shaped KAS key (the registry checks length and prefix only). */
export const randomKasKey = (): Hex => toHex(Buffer.concat([Buffer.from([2 + (randomBytes(1)[0]! & 1)]), randomBytes(32)]));
/** A libp2p secp256k1 identity: the key and its peer id, as ValidatorRegistry requires them. */
export interface PeerIdentity {
  key: PrivateKeyAccount;
  /** The identity multihash of the protobuf-encoded compressed public key (39 bytes). */
  peerId: Hex;
}

export function randomPeerIdentity(): PeerIdentity {
  const key = privateKeyToAccount(generatePrivateKey());
  const point = Buffer.from(key.publicKey.slice(2), "hex"); // 0x04 ‖ x ‖ y
  const compressed = Buffer.concat([Buffer.from([2 + (point[64]! & 1)]), point.subarray(1, 33)]);
  return { key, peerId: toHex(Buffer.concat([Buffer.from("002508021221", "hex"), compressed])) };
}
/** KID = first 8 bytes of SHA-256 of the key (ValidatorRegistry._kidOf). */
export const kidOf = async (kasKey: Hex): Promise<Hex> =>
  toHex((await sha256.digest(Buffer.from(kasKey.slice(2), "hex"))).digest.subarray(0, 8));

export class Driver {
  readonly public: PublicClient;
  readonly accounts: Address[];
  readonly addresses: Record<ContractName, Address>;

  private constructor(
    readonly stack: Stack,
    accounts: Address[],
  ) {
    this.public = createPublicClient({ chain: hardhat, transport: http(stack.chain.url), pollingInterval: 20 });
    this.accounts = accounts;
    const c = stack.deployment.deployment.contracts;
    this.addresses = Object.fromEntries(
      Object.keys(ABIS).map((name) => [name, c[name as ContractName].address]),
    ) as Record<ContractName, Address>;
  }

  static async connect(stack: Stack): Promise<Driver> {
    const accounts = await rpcRequest<Address[]>(stack.chain.url, "eth_accounts", []);
    // Lowercase throughout, like the indexer's output, so addresses compare with ===.
    return new Driver(stack, accounts.map((a) => a.toLowerCase() as Address));
  }

  account(index: number): Address {
    const a = this.accounts[index];
    if (!a) throw new RangeError(`no dev account ${index}`);
    return a;
  }

  /** Sends a transaction from `from` (an unlocked node account) and returns its mined receipt. */
  async send(from: Address, contract: ContractName, functionName: string, args: readonly unknown[]): Promise<TransactionReceipt> {
    const wallet = createWalletClient({ chain: hardhat, transport: http(this.stack.chain.url), account: from });
    const hash = await wallet.writeContract({
      address: this.addresses[contract],
      abi: ABIS[contract] as never,
      functionName: functionName as never,
      args: args as never,
    } as never);
    const receipt = await this.public.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${contract}.${functionName} reverted`);
    return receipt;
  }

  async read<T>(contract: ContractName, functionName: string, args: readonly unknown[], blockNumber?: bigint): Promise<T> {
    return (await this.public.readContract({
      address: this.addresses[contract],
      abi: ABIS[contract] as never,
      functionName: functionName as never,
      args: args as never,
      blockNumber,
    } as never)) as T;
  }

  // ---------------------------------------------------------------- validators
  /** The libp2p key's EIP-712 signature that lets `node` claim its peer id (ValidatorRegistry.peerIdProofDigest). */
  peerIdProof(node: Address, identity: PeerIdentity): Promise<Hex> {
    return identity.key.signTypedData({
      domain: { name: "dekmesh", version: "1", chainId: this.stack.chain.chainId, verifyingContract: this.addresses.ValidatorRegistry },
      types: { PeerIdProof: [{ name: "node", type: "address" }, { name: "peerId", type: "bytes" }] },
      primaryType: "PeerIdProof",
      message: { node, peerId: identity.peerId },
    });
  }

  async registerValidator(node: Address, operator: Address, opts: { endpoint?: string; kasKey?: Hex } = {}) {
    const kasKey = opts.kasKey ?? randomKasKey();
    const identity = randomPeerIdentity();
    const { peerId } = identity;
    const multiaddrs = [`/ip4/127.0.0.1/tcp/${4000 + this.accounts.indexOf(node)}`];
    const endpoint = opts.endpoint ?? `http://127.0.0.1:${5000 + this.accounts.indexOf(node)}`;
    const proof = await this.peerIdProof(node, identity);
    await this.send(node, "ValidatorRegistry", "register", [operator, kasKey, peerId, proof, multiaddrs, endpoint]);
    return { kasKey, kid: await kidOf(kasKey), peerId, multiaddrs, endpoint };
  }

  /** Mints stake tokens to the operator (deployer owns the dev token), approves and stakes. */
  async stake(node: Address, operator: Address, amount: bigint = MIN_STAKE) {
    await this.send(this.account(0), "StakeToken", "mint", [operator, amount]);
    await this.send(operator, "StakeToken", "approve", [this.addresses.ValidatorRegistry, amount]);
    return this.send(operator, "ValidatorRegistry", "stake", [node, amount]);
  }

  async activeValidator(node: Address, operator: Address, stake: bigint = MIN_STAKE) {
    const registered = await this.registerValidator(node, operator);
    await this.stake(node, operator, stake);
    return registered;
  }

  // ---------------------------------------------------------------- attributes and policies
  async createNamespace(authority: Address, name: string, rule: keyof typeof RULE, values: string[]): Promise<Hex> {
    await this.send(authority, "AttributeRegistry", "createNamespace", [name, RULE[rule], values]);
    return keccak256(toHex(name));
  }

  grant(authority: Address, ns: Hex, account: Address, value: number, expiresAt = 0n) {
    return this.send(authority, "AttributeRegistry", "grant", [ns, account, value, expiresAt]);
  }

  revokeGrant(authority: Address, ns: Hex, account: Address, value: number) {
    return this.send(authority, "AttributeRegistry", "revokeGrant", [ns, account, value]);
  }

  static policyArgs(input: PolicyInput) {
    const requirements = [...(input.requirements ?? [])].sort((a, b) =>
      a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.value - b.value,
    );
    return {
      requirements,
      allowlist: input.allowlist ?? [],
      notBefore: input.notBefore ?? 0n,
      notAfter: input.notAfter ?? 0n,
      mode: MODE[input.mode],
      k: input.k ?? 0,
      explicitMembers: input.explicitMembers ?? [],
    };
  }

  /** Creates a policy and returns its id (policies are numbered from 1). */
  async createPolicy(publisher: Address, input: PolicyInput): Promise<bigint> {
    await this.send(publisher, "PolicyRegistry", "createPolicy", [Driver.policyArgs(input)]);
    return this.read<bigint>("PolicyRegistry", "policyCount", []);
  }

  updatePolicy(publisher: Address, id: bigint, input: PolicyInput) {
    return this.send(publisher, "PolicyRegistry", "updatePolicy", [id, Driver.policyArgs(input)]);
  }

  // ---------------------------------------------------------------- contents, holders, audit
  async registerContent(publisher: Address, policyId: bigint, initialValidator: Address, recovery: Hex = "0x") {
    const cid = await randomCid();
    const header = toHex(randomBytes(96));
    await this.send(publisher, "ContentRegistry", "register", [toHex(cid.bytes), policyId, initialValidator, header, recovery]);
    return { cid, contentId: keccak256(cid.bytes), header };
  }

  confirmHoldings(validator: Address, contentIds: Hex[]) {
    return this.send(validator, "ContentRegistry", "confirmHoldings", [contentIds]);
  }

  /** The current stake(k) replica set (lowercase), read back from the registration and repair events. */
  async replicaSet(contentId: Hex): Promise<Address[]> {
    const assigned = await this.public.getContractEvents({
      address: this.addresses.ContentRegistry,
      abi: ABIS.ContentRegistry,
      eventName: "ReplicaSetAssigned",
      args: { contentId },
      fromBlock: 0n,
    });
    const members = (assigned[0]!.args.members as Address[]).map((m) => m.toLowerCase() as Address);
    const repairs = await this.public.getContractEvents({
      address: this.addresses.ContentRegistry,
      abi: ABIS.ContentRegistry,
      eventName: "ReplicaRepaired",
      args: { contentId },
      fromBlock: 0n,
    });
    for (const r of repairs) members[Number(r.args.slot)] = r.args.replacement!.toLowerCase() as Address;
    return members;
  }

  async recordRewraps(validator: Address, records: AuditRecordInput[]) {
    return this.send(validator, "RewrapAuditLog", "recordRewraps", await this.#auditBatch(validator, records));
  }

  /**
   * recordRewraps sent the way a smart account would: validator `index` (a dev account, whose key
   * signs an EIP-7702 authorization) delegates to SelfCallDelegate and sends a transaction to
   * itself that calls the audit log. The records are then not in a direct call's calldata.
   */
  async recordRewrapsAsSmartAccount(index: number, records: AuditRecordInput[]): Promise<TransactionReceipt> {
    const account = devAccount(index);
    const delegate = await this.#selfCallDelegate();
    const wallet = createWalletClient({ chain: hardhat, transport: http(this.stack.chain.url), account });
    const call = encodeFunctionData({
      abi: ABIS.RewrapAuditLog,
      functionName: "recordRewraps",
      args: (await this.#auditBatch(account.address.toLowerCase() as Address, records)) as never,
    });
    const hash = await wallet.sendTransaction({
      to: account.address,
      data: encodeFunctionData({ abi: SELF_CALL_DELEGATE_ABI, functionName: "execute", args: [this.addresses.RewrapAuditLog, call] }),
      authorizationList: [await wallet.signAuthorization({ contractAddress: delegate, executor: "self" })],
    });
    const receipt = await this.public.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error("recordRewraps through the delegate reverted");
    return receipt;
  }

  async #auditBatch(validator: Address, records: AuditRecordInput[]) {
    const batchId = await this.read<bigint>("RewrapAuditLog", "nextBatchId", [validator]);
    const now = BigInt(Math.floor(Date.now() / 1000));
    const full = records.map((r) => ({
      contentId: r.contentId,
      requester: r.requester,
      requestDigest: r.requestDigest ?? keccak256(randomBytes(32)),
      servedAt: r.servedAt ?? now,
    }));
    return [batchId, encodeAuditRecords(full)] as const;
  }

  #delegate: Address | undefined;
  /** SelfCallDelegate, deployed on first use. */
  async #selfCallDelegate(): Promise<Address> {
    if (this.#delegate === undefined) {
      const artifact = JSON.parse(
        readFileSync(new URL("../../../build/artifacts/contracts/test/SelfCallDelegate.sol/SelfCallDelegate.json", import.meta.url), "utf8"),
      ) as { bytecode: Hex };
      const wallet = createWalletClient({ chain: hardhat, transport: http(this.stack.chain.url), account: this.account(0) });
      const hash = await wallet.deployContract({ abi: SELF_CALL_DELEGATE_ABI, bytecode: artifact.bytecode });
      const { contractAddress } = await this.public.waitForTransactionReceipt({ hash });
      this.#delegate = contractAddress!;
    }
    return this.#delegate;
  }

  // ---------------------------------------------------------------- chain control
  async increaseTime(seconds: number): Promise<void> {
    await rpcRequest(this.stack.chain.url, "evm_increaseTime", [seconds]);
    await rpcRequest(this.stack.chain.url, "evm_mine", []);
  }

  async blockNumber(): Promise<bigint> {
    return this.public.getBlockNumber({ cacheTime: 0 });
  }
}
