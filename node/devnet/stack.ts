import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startChain, type ChainHandle, type StartChainOptions } from "./chain.js";
import { deployContracts, type DeployContractsOptions, type DevnetDeployment } from "./deploy.js";
import { startIndexer, type IndexerHandle, type StartIndexerOptions } from "./indexer.js";

export interface StartStackOptions {
  /** Run directory for logs, deployment and databases; a fresh temp dir by default. */
  dir?: string;
  chain?: Omit<StartChainOptions, "dir">;
  deploy?: Omit<DeployContractsOptions, "dir">;
  /** Indexer options, or false for chain + contracts only. */
  indexer?: Omit<StartIndexerOptions, "dir"> | false;
  /**
   * Remove `dir` on stop. Default: only a temp dir created here, and not when
   * DEKMESH_KEEP_RUN_DIRS=1 (keep logs and databases to investigate a failed test).
   */
  removeDir?: boolean;
}

/** A chain with every contract deployed and (optionally) an indexer following it. */
export interface Stack {
  readonly dir: string;
  readonly chain: ChainHandle;
  readonly deployment: DevnetDeployment;
  /** Undefined when started with `indexer: false`. */
  readonly indexer: IndexerHandle | undefined;
  /** Stops the indexer, then the chain. Idempotent. */
  stop(): Promise<void>;
}

/**
 * chain → deploy → indexer, each waited for. On failure everything already started is stopped
 * and the error names the log to read.
 */
export async function startStack(options: StartStackOptions = {}): Promise<Stack> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-devnet-"));
  const removeDir = options.removeDir ?? (options.dir === undefined && process.env.DEKMESH_KEEP_RUN_DIRS !== "1");
  const chain = await startChain({ dir, ...options.chain });
  let indexer: IndexerHandle | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await indexer?.stop();
      await chain.stop();
      if (removeDir) fs.rmSync(dir, { recursive: true, force: true });
    })());
  try {
    const deployment = await deployContracts(chain, { dir, ...options.deploy });
    if (options.indexer !== false) indexer = await startIndexer(chain, deployment, { dir, ...options.indexer });
    return { dir, chain, deployment, indexer, stop };
  } catch (error) {
    // Keep the directory: its logs explain the failure.
    await indexer?.stop();
    await chain.stop();
    throw error;
  }
}
