// Where the indexer reads the chain and the contract addresses from, and where it stores its
// database. Everything comes from environment variables (documented in docs/indexer.md) so
// the same config serves the devnet, the tests and any testnet.
import fs from "node:fs";
import path from "node:path";
import { parseDeploymentText, type DeploymentFile } from "../node/protocol/deployment.js";

/** Hardhat's chain id: the local devnet. */
export const LOCAL_CHAIN_ID = 31337;

export interface IndexerSettings {
  chainId: number;
  rpcUrl: string;
  /** How many of Ponder's per-endpoint rate-limit buckets the RPC URL gets (see loadIndexerSettings). */
  rpcFanOut: number;
  wsUrl: string | undefined;
  deploymentFile: string;
  deployment: DeploymentFile;
  /** Local chains restart from scratch, so an RPC cache would serve blocks of a dead chain. */
  disableCache: boolean;
  pollingIntervalMs: number;
  database: { kind: "postgres"; connectionString: string } | { kind: "pglite"; directory: string | undefined };
}

export class IndexerSettingsError extends Error {
  override readonly name = "IndexerSettingsError";
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!/^[1-9]\d*$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new IndexerSettingsError(`${name} must be a positive integer, got "${raw}"`);
  }
  return Number(raw);
}

function readDeployment(file: string): DeploymentFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new IndexerSettingsError(`cannot read deployment file ${file}`);
  }
  return parseDeploymentText(text, file);
}

/**
 * Reads the settings. The deployment file is `DEKMESH_DEPLOYMENT` if set, else
 * `deployments/<DEKMESH_CHAIN_ID or 31337>.json`; its chain id must match DEKMESH_CHAIN_ID.
 */
export function loadIndexerSettings(env: NodeJS.ProcessEnv, cwd = process.cwd()): IndexerSettings {
  const requestedChainId = positiveInteger(env, "DEKMESH_CHAIN_ID");
  const deploymentFile = path.resolve(
    cwd,
    env.DEKMESH_DEPLOYMENT || path.join("deployments", `${requestedChainId ?? LOCAL_CHAIN_ID}.json`),
  );
  const deployment = readDeployment(deploymentFile);
  if (requestedChainId !== undefined && requestedChainId !== deployment.chainId) {
    throw new IndexerSettingsError(
      `DEKMESH_CHAIN_ID is ${requestedChainId} but ${deploymentFile} is for chain ${deployment.chainId}`,
    );
  }
  const chainId = deployment.chainId;
  const local = chainId === LOCAL_CHAIN_ID;
  const rpcUrl = env.DEKMESH_RPC_URL || (local ? env.DEKMESH_LOCAL_RPC_URL || "http://127.0.0.1:8545" : undefined);
  if (!rpcUrl) throw new IndexerSettingsError(`DEKMESH_RPC_URL is required for chain ${chainId}`);
  const databaseUrl = env.DATABASE_URL || env.DATABASE_PRIVATE_URL;
  return {
    chainId,
    rpcUrl,
    wsUrl: env.DEKMESH_WS_URL || undefined,
    deploymentFile,
    deployment,
    disableCache: local,
    // A local chain answers in microseconds; polling it often (Ponder allows 100 ms at most) keeps the API's lag
    // behind a new block low. Public RPCs are billed per request, so poll them at Ponder's pace.
    pollingIntervalMs: positiveInteger(env, "DEKMESH_POLLING_INTERVAL_MS") ?? (local ? 100 : 1000),
    // Ponder starts every RPC endpoint at 20 requests/s and raises the limit by 5% per busy
    // second, which makes a backfill from a local node crawl (a node on loopback serves
    // hundreds). Listing the URL n times gives it n buckets; public RPCs keep one.
    rpcFanOut: positiveInteger(env, "DEKMESH_RPC_FANOUT") ?? (local ? 16 : 1),
    database: databaseUrl
      ? { kind: "postgres", connectionString: databaseUrl }
      : { kind: "pglite", directory: env.DEKMESH_PGLITE_DIR ? path.resolve(cwd, env.DEKMESH_PGLITE_DIR) : undefined },
  };
}
