/**
 * The network handles commands open from the settings: read-only indexer access (no key
 * needed), chain clients for an account, and the client SDK. Each is closed by the caller.
 */
import { createPublicClient, http, type LocalAccount } from "viem";
import { createChainClients, loadDeployment, type ChainClients } from "../chain/index.js";
import { createClient, type DekmeshClient } from "../client/index.js";
import { createIndexerClient, type IndexerClient } from "../indexer-client/index.js";
import { CliError, EXIT } from "./exitCodes.js";
import type { Settings } from "./settings.js";

/** Indexer reads, checked for freshness against the chain head (a stale indexer is an error, not an answer). */
export function openIndexer(settings: Settings): IndexerClient {
  const chain = createPublicClient({ transport: http(settings.rpcUrl(), { retryCount: 0, timeout: 10_000 }) });
  return createIndexerClient({ chain }, { url: settings.indexerUrl(), holdersCacheTtlMs: 0 });
}

export function loadDeploymentFile(settings: Settings) {
  const file = settings.deployment();
  try {
    return loadDeployment(file);
  } catch (cause) {
    throw new CliError(EXIT.NOT_FOUND, "CLI_DEPLOYMENT", `cannot load the deployment file ${file}`, { cause });
  }
}

/** Chain clients acting as `account` (an operator's or a node's). */
export function openChain(settings: Settings, account: LocalAccount): ChainClients {
  return createChainClients({
    rpcUrl: settings.rpcUrl(),
    chainId: settings.chainId(),
    deployment: loadDeploymentFile(settings),
    account,
    pollingIntervalMs: 100,
  });
}

/** The SDK as the configured account, with the configured IPFS (Kubo RPC) when there is one. */
export async function openClient(settings: Settings): Promise<DekmeshClient> {
  const ipfsUrl = settings.ipfsUrl();
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
