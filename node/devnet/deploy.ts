import fs from "node:fs";
import path from "node:path";
import { DevnetError } from "./errors.js";
import { readDeploymentFile } from "./deployment.js";
import { DEPLOYED_CONTRACTS, type DeploymentFile } from "../protocol/deployment.js";
import { ABI_DIR, HARDHAT_CLI, REPO_ROOT } from "./paths.js";
import { startProcess } from "./process.js";
import type { ChainHandle } from "./chain.js";

export interface DeployContractsOptions {
  /** Run directory; the deployment goes to `<dir>/deployments/<chainId>.json`, the log to `<dir>/deploy.log`. */
  dir: string;
  /** Extra DEKMESH_* deployment parameters (see scripts/lib/deployment.ts), e.g. a short unbonding period. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface DevnetDeployment {
  /** Path of the deployment file the indexer reads. */
  file: string;
  deployment: DeploymentFile;
}

/**
 * Deploys every contract with the project's deploy script (the same path a testnet deployment
 * takes), then makes sure the exported ABIs the indexer imports match the compiled contracts.
 */
export async function deployContracts(
  chain: Pick<ChainHandle, "url" | "chainId">,
  options: DeployContractsOptions,
): Promise<DevnetDeployment> {
  const deploymentsDir = path.join(options.dir, "deployments");
  fs.mkdirSync(deploymentsDir, { recursive: true });
  const logFile = path.join(options.dir, "deploy.log");
  const child = startProcess({
    name: "deploy",
    command: process.execPath,
    args: [HARDHAT_CLI, "run", ...(compileNeeded() ? [] : ["--no-compile"]), "scripts/deploy.ts", "--network", "localhost"],
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...options.env,
      HARDHAT_DISABLE_TELEMETRY_PROMPT: "true",
      DEKMESH_LOCAL_RPC_URL: chain.url,
      DEKMESH_DEPLOYMENTS_DIR: deploymentsDir,
    },
    logFile,
  });
  const timer = setTimeout(() => void child.stop({ timeoutMs: 1000 }), options.timeoutMs ?? 180_000);
  const exit = await child.exited.finally(() => clearTimeout(timer));
  if (exit.code !== 0) {
    throw new DevnetError("DEPLOY_FAILED", `deploy script failed (code ${exit.code}, signal ${exit.signal})`, {
      logFile,
    });
  }
  const file = path.join(deploymentsDir, `${chain.chainId}.json`);
  if (!fs.existsSync(file)) throw new DevnetError("DEPLOY_FAILED", `deploy script wrote no ${file}`, { logFile });
  await ensureAbis(options.dir);
  return { file, deployment: readDeploymentFile(file) };
}

const ARTIFACTS_DIR = path.join(REPO_ROOT, "build", "artifacts", "contracts");
const SOURCES_DIR = path.join(REPO_ROOT, "contracts");
/** Hardhat rewrites this file at the end of every compile, even one that found nothing to do. */
const COMPILE_CACHE = path.join(REPO_ROOT, "build", "cache", "solidity-files-cache.json");

/**
 * Whether `hardhat run` must compile first: some Solidity source is newer than the last
 * compile. Otherwise the deploy skips it (`--no-compile`): compiling rewrites Hardhat's cache
 * file in place even when nothing changed, and another devnet deploying at the same moment
 * (test files run two at a time) could read it half-written, take it for invalid, delete it
 * and recompile everything under the other's feet. `npm test` and `npm start` build first.
 */
export function compileNeeded(sourcesDir: string = SOURCES_DIR, compileCache: string = COMPILE_CACHE): boolean {
  let built: number;
  try {
    built = fs.statSync(compileCache).mtimeMs;
  } catch {
    return true;
  }
  return fs
    .readdirSync(sourcesDir, { recursive: true, encoding: "utf8" })
    .some((file) => file.endsWith(".sol") && fs.statSync(path.join(sourcesDir, file)).mtimeMs > built);
}

/**
 * `hardhat run` recompiles changed contracts but does not re-export the viem ABIs, so a
 * contract edited since the last `npm run build` would leave the indexer decoding with a
 * stale ABI. Re-export whenever any artifact is newer than its exported module.
 */
async function ensureAbis(dir: string): Promise<void> {
  const stale = DEPLOYED_CONTRACTS.some((name) => {
    const artifact = path.join(ARTIFACTS_DIR, `${name}.sol`, `${name}.json`);
    const exported = path.join(ABI_DIR, `${name}.ts`);
    if (!fs.existsSync(artifact)) return false;
    return !fs.existsSync(exported) || fs.statSync(exported).mtimeMs < fs.statSync(artifact).mtimeMs;
  });
  if (!stale && fs.existsSync(path.join(ABI_DIR, "index.ts"))) return;
  const logFile = path.join(dir, "export-abis.log");
  const child = startProcess({
    name: "export-abis",
    command: process.execPath,
    args: ["--import", "tsx", "scripts/export-abis.ts"],
    cwd: REPO_ROOT,
    logFile,
  });
  const exit = await child.exited;
  if (exit.code !== 0) throw new DevnetError("BUILD_MISSING", "could not export the contract ABIs", { logFile });
}
