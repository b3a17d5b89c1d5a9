/**
 * The network handles commands open from the settings: read-only indexer access (no key
 * needed), chain clients for an account, and the client SDK. Each is closed by the caller.
 */
// The SDK, chain and indexer modules load on first use: `dekmesh --help` and usage errors
// should not pay for libp2p, Helia and friends.
import type { LocalAccount } from "viem";
import type { ChainClients } from "../chain/index.js";
import type { DekmeshClient } from "../sdk/index.js";
import type { ChainHeadReader, IndexerClient } from "../indexer-client/index.js";
import { CliError, EXIT } from "./exitCodes.js";
import type { Settings } from "./settings.js";

/**
 * The chain head by one eth_blockNumber call: all the indexer client's freshness check asks of
 * the chain. Not a viem client: loading viem takes 0.2-1 s here, which read-only commands
 * (holders, policy show) would pay at every start for this one request.
 */
function chainHeadReader(rpcUrl: string): ChainHeadReader {
  return {
    async getBlockNumber() {
      let body: { result?: unknown; error?: { message?: unknown } };
      try {
        const response = await fetch(rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
          signal: AbortSignal.timeout(10_000),
        });
        body = (await response.json()) as typeof body;
      } catch (cause) {
        throw new CliError(EXIT.UNAVAILABLE, "CLI_CHAIN_UNREACHABLE", `cannot reach the chain at ${rpcUrl}: is it running (npm start), or is --rpc-url wrong?`, { cause });
      }
      if (typeof body.result !== "string" || !/^0x[0-9a-f]+$/i.test(body.result)) {
        throw new CliError(EXIT.UNAVAILABLE, "CLI_CHAIN_UNREACHABLE", `the chain at ${rpcUrl} did not answer eth_blockNumber`, { details: { rpcUrl } });
      }
      return BigInt(body.result);
    },
  };
}

/** Indexer reads, checked for freshness against the chain head (a stale indexer is an error, not an answer). */
export async function openIndexer(settings: Settings): Promise<IndexerClient> {
  const { createIndexerClient } = await import("../indexer-client/index.js");
  return createIndexerClient({ chain: chainHeadReader(settings.rpcUrl()) }, { url: settings.indexerUrl(), holdersCacheTtlMs: 0 });
}

async function loadDeploymentFile(settings: Settings) {
  const { loadDeployment } = await import("../chain/index.js");
  const file = settings.deployment();
  try {
    return loadDeployment(file);
  } catch (cause) {
    throw new CliError(EXIT.NOT_FOUND, "CLI_DEPLOYMENT", `cannot load the deployment file ${file}`, { cause });
  }
}

/** Chain clients acting as `account` (an operator's or a node's); read-only without one. */
export async function openChain(settings: Settings, account?: LocalAccount): Promise<ChainClients> {
  const { createChainClients } = await import("../chain/index.js");
  return createChainClients({
    rpcUrl: settings.rpcUrl(),
    chainId: settings.chainId(),
    deployment: await loadDeploymentFile(settings),
    ...(account !== undefined ? { account } : {}),
    pollingIntervalMs: 100,
  });
}

/** The SDK as the configured account, with the configured IPFS (Kubo RPC) when there is one. */
export async function openClient(settings: Settings): Promise<DekmeshClient> {
  const ipfsUrl = settings.ipfsUrl();
  const { createClient } = await import("../sdk/index.js");
  return createClient({
    chain: { rpcUrl: settings.rpcUrl(), chainId: settings.chainId() },
    deployment: settings.deployment(),
    indexerUrl: settings.indexerUrl(),
    account: settings.privateKey(),
    ...(ipfsUrl ? { ipfs: { kind: "kubo" as const, url: ipfsUrl } } : {}),
  });
}

/** Runs `use` with an SDK client and always closes it. */
export async function withClient<T>(settings: Settings, use: (client: DekmeshClient) => Promise<T>): Promise<T> {
  const client = await openClient(settings);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}
