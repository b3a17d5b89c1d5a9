import path from "node:path";
import { createPublicClient, createWalletClient, http, numberToHex, parseEther, type Address } from "viem";
import { hardhat } from "viem/chains";
import { stakeTokenAbi } from "../chain/abis.js";
import { deriveNodeKeys } from "../crypto/keys/index.js";
import { loadValidatorConfig, startValidator, type Logger, type PartialConfig, type Validator } from "../validator/index.js";
import { devAccount, HARDHAT_MNEMONIC } from "./accounts.js";
import { rpcRequest } from "./rpc.js";
import type { Stack } from "./stack.js";

/** The stake each devnet validator deposits: the deployment's default minimum (scripts/lib/deployment.ts). */
export const DEV_VALIDATOR_STAKE = 1_000n * 10n ** 18n;

export interface StartDevValidatorsOptions {
  count: number;
  /** Each validator's data directory is `<dir>/validator-<i>`. */
  dir: string;
  /** Per-validator config on top of the devnet defaults (ports, intervals, log level…). */
  config?: (index: number) => PartialConfig;
  logger?: (index: number) => Logger;
}

/** The node account of devnet validator `index` (operator mnemonic = Hardhat's, docs/crypto.md paths). */
export function devValidatorAddress(index: number): Address {
  return deriveNodeKeys(HARDHAT_MNEMONIC, index).account.address as Address;
}

/**
 * Starts `count` validators on a stack, the way an operator would on a devnet: one operator
 * (Hardhat's mnemonic, whose account 0 deployed the contracts and may mint stake), node `i`'s
 * keys derived from it, gas set with `hardhat_setBalance`, the stake minted to the operator,
 * and each daemon registering and staking itself at start (`register`, `stake` in its config).
 * They start one after another — the operator's stake transactions share one nonce sequence —
 * and every validator after the first bootstraps its libp2p node from the first.
 */
export async function startDevValidators(stack: Stack, options: StartDevValidatorsOptions): Promise<Validator[]> {
  if (stack.indexer === undefined) throw new RangeError("dev validators need a stack with an indexer");
  const operator = devAccount(0);
  const wallet = createWalletClient({ chain: hardhat, transport: http(stack.chain.url), account: operator });
  const reader = createPublicClient({ chain: hardhat, transport: http(stack.chain.url), pollingInterval: 50 });
  const mint = await wallet.writeContract({
    address: stack.deployment.deployment.contracts.StakeToken.address,
    abi: stakeTokenAbi,
    functionName: "mint",
    args: [operator.address, DEV_VALIDATOR_STAKE * BigInt(options.count)],
  });
  await reader.waitForTransactionReceipt({ hash: mint, pollingInterval: 50 });

  const validators: Validator[] = [];
  try {
    for (let index = 0; index < options.count; index++) {
      await rpcRequest(stack.chain.url, "hardhat_setBalance", [devValidatorAddress(index), numberToHex(parseEther("1000"))]);
      const first = validators[0];
      const config = loadValidatorConfig({
        overrides: {
          rpcUrl: stack.chain.url,
          deployment: stack.deployment.file,
          indexerUrl: stack.indexer.url,
          dataDir: path.join(options.dir, `validator-${index}`),
          mnemonic: HARDHAT_MNEMONIC,
          nodeIndex: index,
          stake: DEV_VALIDATOR_STAKE.toString(),
          ...(first ? { p2p: { bootstrap: [first.multiaddrs[0]!] } } : {}),
          ...options.config?.(index),
        },
      });
      // One process, one set of process metrics: validator 0's /metrics has them.
      validators.push(await startValidator(config, { processMetrics: index === 0, ...(options.logger ? { logger: options.logger(index) } : {}) }));
    }
    return validators;
  } catch (error) {
    await stopValidators(validators);
    throw error;
  }
}

/** Stops validators in reverse start order (the first is everyone's bootstrap peer). */
export async function stopValidators(validators: readonly Validator[]): Promise<void> {
  for (const validator of [...validators].reverse()) await validator.stop();
}
