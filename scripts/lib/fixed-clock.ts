import type { EthereumProvider, HardhatNetworkConfig, HardhatRuntimeEnvironment, RequestArguments } from "hardhat/types";

/** Genesis time of a pinned chain (any fixed value would do). */
export const PINNED_GENESIS_DATE = "2025-01-01T00:00:00.000Z";
/** Seconds between consecutive blocks of a pinned chain. */
export const PINNED_BLOCK_INTERVAL = 12;

// Methods that mine a block on the automining in-process chain.
const MINING_METHODS = new Set(["eth_sendTransaction", "eth_sendRawTransaction", "evm_mine"]);

/**
 * Takes the wall clock out of the in-process Hardhat chain: the genesis block gets
 * PINNED_GENESIS_DATE and block n gets genesis + n · PINNED_BLOCK_INTERVAL seconds, whenever it
 * is mined. Block hashes commit to timestamps and the contracts seed replica draws with
 * `blockhash(block.number - 1)`, so with wall-clock timestamps two runs of the same transactions
 * draw different validators, and their gas differs (first-time counter slots, repair sets, the
 * stake tree's leaf order). Prevrandao is already deterministic on Hardhat's chain.
 *
 * Must run before anything talks to `hre.network.provider`: the provider reads `initialDate`
 * when it is created, on first use. Throws if that already happened. Mining calls are
 * serialized (timestamp, then the call), so concurrent senders cannot interleave them.
 */
export async function pinChainClock(hre: HardhatRuntimeEnvironment): Promise<void> {
  if (hre.network.name !== "hardhat") throw new Error(`pinChainClock needs the in-process hardhat network, not ${hre.network.name}`);
  (hre.network.config as HardhatNetworkConfig).initialDate = PINNED_GENESIS_DATE;
  const provider = hre.network.provider;
  const request = provider.request.bind(provider);
  const genesisBlock = (await request({ method: "eth_getBlockByNumber", params: ["0x0", false] })) as { timestamp: string };
  const genesis = Math.floor(Date.parse(PINNED_GENESIS_DATE) / 1000);
  if (Number(genesisBlock.timestamp) !== genesis) {
    throw new Error("pinChainClock: the Hardhat provider was created before the clock could be pinned; call it first");
  }

  let queue: Promise<unknown> = Promise.resolve();
  const pinned = (args: RequestArguments): Promise<unknown> => {
    const explicitTime = args.method === "evm_mine" && Array.isArray(args.params) && args.params.length > 0;
    if (!MINING_METHODS.has(args.method) || explicitTime) return request(args);
    const result = queue.then(async () => {
      const latest = Number(await request({ method: "eth_blockNumber" }));
      await request({ method: "evm_setNextBlockTimestamp", params: [genesis + (latest + 1) * PINNED_BLOCK_INTERVAL] });
      return request(args);
    });
    queue = result.catch(() => undefined);
    return result;
  };
  // hardhat-ethers and the contract wrappers call `send` (an own, bound property) or `request`.
  const patched = provider as EthereumProvider & { request: typeof pinned; send: (method: string, params?: unknown[]) => Promise<unknown> };
  patched.request = pinned;
  patched.send = (method, params) => pinned({ method, params });
}
