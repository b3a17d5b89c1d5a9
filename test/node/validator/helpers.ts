/**
 * A real dekmesh network for the validator and replication tests: chain + contracts + Ponder
 * (startStack), validators started with `startValidator` from the Hardhat mnemonic (operator =
 * dev account 0, the deployer, which mints stake; node accounts funded from dev account 19),
 * publishers that create policies and register contents with real NanoTDF headers.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import {
  bytesToHex,
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  parseEther,
  parseEventLogs,
  type Address,
  type HDAccount,
  type Hex,
} from "viem";
import { hardhat } from "viem/chains";
import { CONTRACT_ABIS } from "../../../node/chain/abis.js";
import { devAccount, HARDHAT_MNEMONIC, startStack, type Stack, type StartStackOptions } from "../../../node/devnet/index.js";
import { deriveNodeKeys } from "../../../node/crypto/keys/index.js";
import { createNanoTdfHeader } from "../../../node/crypto/tdf/index.js";
import {
  loadValidatorConfig,
  silentLogger,
  startValidator,
  type PartialConfig,
  type Validator,
  type ValidatorConfig,
} from "../../../node/validator/index.js";

export const MIN_STAKE = 1_000n * 10n ** 18n;
export const MODE = { all: 0, stake: 1, xor: 2, explicit: 3 } as const;
type ContractName = keyof typeof CONTRACT_ABIS;

const dirs: string[] = [];
export function tempDir(prefix = "dekmesh-validator-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The node address of Hardhat-mnemonic node `index` (m/44'/60'/(index+1)'/0/0). */
export function nodeAddress(index: number): Address {
  return deriveNodeKeys(HARDHAT_MNEMONIC, index).account.address as Address;
}

export class Net {
  readonly public;
  readonly addresses: Record<ContractName, Address>;

  private constructor(readonly stack: Stack) {
    this.public = createPublicClient({ chain: hardhat, transport: http(stack.chain.url), pollingInterval: 20 });
    const c = stack.deployment.deployment.contracts;
    this.addresses = Object.fromEntries(Object.keys(CONTRACT_ABIS).map((n) => [n, c[n as ContractName].address])) as Record<ContractName, Address>;
  }

  static async start(options: StartStackOptions = {}): Promise<Net> {
    return new Net(await startStack(options));
  }

  get indexerUrl(): string {
    return this.stack.indexer!.url;
  }

  async send(from: HDAccount, contract: ContractName, functionName: string, args: readonly unknown[]) {
    const wallet = createWalletClient({ chain: hardhat, transport: http(this.stack.chain.url), account: from });
    const hash = await wallet.writeContract({ address: this.addresses[contract], abi: CONTRACT_ABIS[contract] as never, functionName, args } as never);
    const receipt = await this.public.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error(`${contract}.${functionName} reverted`);
    return receipt;
  }

  async read<T>(contract: ContractName, functionName: string, args: readonly unknown[]): Promise<T> {
    return (await this.public.readContract({ address: this.addresses[contract], abi: CONTRACT_ABIS[contract] as never, functionName, args } as never)) as T;
  }

  /** Gas for node `index`'s account and stake tokens for the operator (dev account 0). */
  async fundNode(index: number): Promise<void> {
    const wallet = createWalletClient({ chain: hardhat, transport: http(this.stack.chain.url), account: devAccount(19) });
    const hash = await wallet.sendTransaction({ to: nodeAddress(index), value: parseEther("10") });
    await this.public.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    await this.send(devAccount(0), "StakeToken", "mint", [devAccount(0).address, MIN_STAKE]);
  }

  config(index: number, overrides: PartialConfig = {}): ValidatorConfig {
    return loadValidatorConfig({
      overrides: {
        rpcUrl: this.stack.chain.url,
        deployment: this.stack.deployment.file,
        indexerUrl: this.indexerUrl,
        dataDir: join(tempDir(), `node-${index}`),
        mnemonic: HARDHAT_MNEMONIC,
        nodeIndex: index,
        stake: MIN_STAKE.toString(),
        logLevel: (process.env.DEKMESH_TEST_LOG_LEVEL as ValidatorConfig["logLevel"] | undefined) ?? "silent",
        replication: { intervalMs: 200 },
        holdings: { intervalMs: 50 },
        audit: { intervalMs: 200 },
        ...overrides,
      },
    });
  }

  /** Funds, starts (registers + stakes) validator `index`. */
  async startValidator(index: number, overrides: PartialConfig = {}): Promise<Validator> {
    await this.fundNode(index);
    // Several validators in this process: one set of process metrics, as on the devnet.
    return startValidator(this.config(index, overrides), { processMetrics: index === 0, ...(process.env.DEKMESH_TEST_LOG_LEVEL ? {} : { logger: silentLogger }) });
  }

  async createPolicy(publisher: HDAccount, mode: keyof typeof MODE, k = 0, explicitMembers: Address[] = []): Promise<bigint> {
    const receipt = await this.send(publisher, "PolicyRegistry", "createPolicy", [
      { requirements: [], allowlist: [], notBefore: 0n, notAfter: 0n, mode: MODE[mode], k, explicitMembers },
    ]);
    const [event] = parseEventLogs({ abi: CONTRACT_ABIS.PolicyRegistry as never, eventName: "PolicyCreated", logs: receipt.logs }) as unknown as { args: { policyId: bigint } }[];
    return event!.args.policyId;
  }

  /** A fresh CID and a header encrypted to `initial`'s KAS key under `policyId`, ready to register. */
  async prepareContent(policyId: bigint, initial: Validator): Promise<{ contentId: Hex; cid: Hex; header: Hex; dek: Uint8Array }> {
    return this.prepareContentFor(policyId, { kasPublicKey: initial.store.currentKasKey()!.publicKey, httpUrl: initial.httpUrl });
  }

  /** prepareContent for an initial validator known by its KAS public key and endpoint (one running in another process). */
  async prepareContentFor(policyId: bigint, initial: { kasPublicKey: Uint8Array; httpUrl: string }): Promise<{ contentId: Hex; cid: Hex; header: Hex; dek: Uint8Array }> {
    const { header, dek } = createNanoTdfHeader({ kasPublicKey: initial.kasPublicKey, locator: initial.httpUrl, policyId });
    const cid = CID.create(1, 0x55, await sha256.digest(randomBytes(64)));
    return { contentId: keccak256(cid.bytes), cid: bytesToHex(cid.bytes), header: bytesToHex(header.bytes), dek };
  }

  /** Registers a content whose header is encrypted to `initial`'s KAS key; returns its content id, DEK and block. */
  async registerContent(publisher: HDAccount, policyId: bigint, initial: Validator): Promise<{ contentId: Hex; dek: Uint8Array; block: bigint }> {
    const { contentId, cid, header, dek } = await this.prepareContent(policyId, initial);
    const receipt = await this.send(publisher, "ContentRegistry", "register", [cid, policyId, initial.address, header, "0x"]);
    return { contentId, dek, block: receipt.blockNumber };
  }

  async synced(): Promise<void> {
    await this.stack.indexer!.waitForBlock(await this.public.getBlockNumber({ cacheTime: 0 }));
  }

  async stop(): Promise<void> {
    await this.stack.stop();
  }
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export { devAccount, HARDHAT_MNEMONIC };
