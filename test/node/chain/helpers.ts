/** Shared set-up of the chain tests: a real Hardhat node with every contract, validators, policies, contents. */
import { createECDH, createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { bytesToHex, keccak256, parseEventLogs, type Address, type Hex, type LocalAccount } from "viem";
import {
  contentRegistryAbi,
  createChainClients,
  decodeAuditRecords,
  policyRegistryAbi,
  registerValidator,
  REPLICATION_MODES,
  rewrapAuditLogAbi,
  sendContractWrite,
  signPeerIdProof,
  stake,
  stakeTokenAbi,
  type ChainClients,
  type CreateChainClientsOptions,
  type ReplicationModeName,
} from "../../../node/chain/index.js";
import { toChainDeployment, type ChainDeployment } from "../../../node/protocol/deployment.js";
import { devAccount, rpcRequest, startStack, type Stack } from "../../../node/devnet/index.js";
import { DekStore } from "../../../node/validator/store/index.js";

export const MIN_STAKE = 1000n * 10n ** 18n;

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

export function tempDir(prefix = "dekmesh-chain-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  roots.push(dir);
  return dir;
}

export function openStore(directory = join(tempDir(), "store"), storageKey: Uint8Array = randomBytes(32)): { store: DekStore; directory: string; storageKey: Uint8Array } {
  return { store: DekStore.open({ directory, storageKey }), directory, storageKey };
}

export interface TestChain {
  stack: Stack;
  deployment: ChainDeployment;
  /** The deployment file on disk (for loadDeployment and child processes). */
  deploymentFile: string;
  rpcUrl: string;
  clients(account: LocalAccount | number, options?: Partial<CreateChainClientsOptions>): ChainClients;
  stop(): Promise<void>;
}

/** One chain per test file: a Hardhat node with automining plus a block every `blockIntervalMs`, all contracts deployed. */
export async function startTestChain(blockIntervalMs = 500): Promise<TestChain> {
  const stack = await startStack({ indexer: false, chain: { blockIntervalMs } });
  const deployment = toChainDeployment(stack.deployment.deployment);
  return {
    stack,
    deployment,
    deploymentFile: stack.deployment.file,
    rpcUrl: stack.chain.url,
    clients: (account, options = {}) =>
      createChainClients({
        rpcUrl: stack.chain.url,
        deployment,
        account: typeof account === "number" ? devAccount(account) : account,
        pollingIntervalMs: 50,
        ...options,
      }),
    stop: () => stack.stop(),
  };
}

/** A fresh compressed P-256 key, as a validator's KAS key. */
export function kasPublicKey(): Hex {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return bytesToHex(ecdh.getPublicKey(null, "compressed"));
}

export interface TestValidator {
  address: Address;
  /** Clients of the node account (signs confirmations and audit batches). */
  node: ChainClients;
  /** Clients of the operator (stakes, exits). */
  operator: ChainClients;
}

/** Registers dev account `nodeIndex` as a validator of dev account `operatorIndex`, mints and stakes the minimum. */
export async function setupValidator(chain: TestChain, nodeIndex: number, operatorIndex: number): Promise<TestValidator> {
  const node = chain.clients(nodeIndex);
  const operator = chain.clients(operatorIndex);
  await registerValidator(node, {
    operator: operator.account!.address,
    kasPublicKey: kasPublicKey(),
    ...(await signPeerIdProof(node, { node: node.account!.address, libp2pPrivateKey: await generateKeyPair("secp256k1") })),
    multiaddrs: ["/ip4/127.0.0.1/tcp/4001"],
    endpoint: `http://127.0.0.1:${9000 + nodeIndex}`,
  });
  await mint(chain, operator.account!.address, MIN_STAKE);
  await stake(operator, { node: node.account!.address, amount: MIN_STAKE });
  return { address: node.account!.address, node, operator };
}

export async function mint(chain: TestChain, to: Address, amount: bigint): Promise<void> {
  await sendContractWrite(chain.clients(0), { address: chain.deployment.addresses.stakeToken, abi: stakeTokenAbi, functionName: "mint", args: [to, amount] });
}

/** Creates a policy with no requirements for `publisher`; returns its id. */
export async function createPolicy(publisher: ChainClients, mode: ReplicationModeName, k = 0, explicitMembers: Address[] = []): Promise<bigint> {
  const { receipt } = await sendContractWrite(publisher, {
    address: publisher.deployment.addresses.policyRegistry,
    abi: policyRegistryAbi,
    functionName: "createPolicy",
    args: [{ requirements: [], allowlist: [], notBefore: 0n, notAfter: 0n, mode: REPLICATION_MODES.indexOf(mode), k, explicitMembers }],
  });
  const [event] = parseEventLogs({ abi: policyRegistryAbi, eventName: "PolicyCreated", logs: receipt.logs });
  return event!.args.policyId;
}

/** Registers a content (random CID and header bytes) under `policyId`; returns its content id. */
export async function registerContent(publisher: ChainClients, policyId: bigint, initialValidator: Address): Promise<Hex> {
  const cid = bytesToHex(randomBytes(36));
  await sendContractWrite(publisher, {
    address: publisher.deployment.addresses.contentRegistry,
    abi: contentRegistryAbi,
    functionName: "register",
    args: [cid, policyId, initialValidator, bytesToHex(randomBytes(120)), "0x"],
  });
  return keccak256(cid);
}

const hash = (text: string): Hex => `0x${createHash("sha256").update(text).digest("hex")}`;

/** An audit record whose request digest identifies it (`label` must be unique). */
export function auditRecord(label: string, servedAt = 1_800_000_000) {
  return {
    contentId: hash(`content:${label}`),
    requester: hash(`reader:${label}`).slice(0, 42) as Address,
    requestDigest: hash(`digest:${label}`),
    servedAt,
  };
}

export interface OnChainAudit {
  /** Request digests in chain order, one per record. */
  digests: Hex[];
  /** RewrapBatchRecorded (batch id, record count) in chain order. */
  batches: { batchId: bigint; count: number }[];
}

/** Everything RewrapAuditLog recorded for `validator`. */
export async function onChainAudit(clients: ChainClients, validator: Address): Promise<OnChainAudit> {
  const { publicClient, deployment } = clients;
  const batches = await publicClient.getContractEvents({
    address: deployment.addresses.rewrapAuditLog,
    abi: rewrapAuditLogAbi,
    eventName: "RewrapBatchRecorded",
    args: { validator },
    fromBlock: deployment.startBlock,
  });
  return {
    digests: batches.flatMap((log) => decodeAuditRecords(log.args.records!).map((r) => r.requestDigest)),
    batches: batches.map((log) => ({ batchId: log.args.batchId!, count: decodeAuditRecords(log.args.records!).length })),
  };
}

/** HoldingConfirmed events of `validator`, as content ids in chain order. */
export async function onChainHoldings(clients: ChainClients, validator: Address): Promise<Hex[]> {
  const logs = await clients.publicClient.getContractEvents({
    address: clients.deployment.addresses.contentRegistry,
    abi: contentRegistryAbi,
    eventName: "HoldingConfirmed",
    args: { validator },
    fromBlock: clients.deployment.startBlock,
  });
  return logs.map((log) => log.args.contentId!);
}

/** Moves the chain's clock forward and mines a block. */
export async function increaseTime(chain: TestChain, seconds: number): Promise<void> {
  await rpcRequest(chain.rpcUrl, "evm_increaseTime", [seconds]);
  await rpcRequest(chain.rpcUrl, "evm_mine", []);
}

/** Asserts every digest appears exactly once and batches are 1..n with the right counts; returns the count per digest. */
export function countDigests(audit: OnChainAudit): Map<Hex, number> {
  const counts = new Map<Hex, number>();
  for (const digest of audit.digests) counts.set(digest, (counts.get(digest) ?? 0) + 1);
  return counts;
}

export { devAccount };
