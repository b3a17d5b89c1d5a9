import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package root: the nearest directory above this file whose package.json is dekmesh's. From
 * the sources that is two levels up (node/devnet/), compiled three (dist/node/devnet/); in a
 * checkout it is the repository (with hardhat.config.ts and ponder.config.ts).
 */
function packageRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === "dekmesh") return dir;
  }
  throw new Error(`no dekmesh package.json above ${from}`);
}

export const REPO_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * CLI entry points, run with this process's Node binary rather than through `npx`/PATH:
 * the machine's default `node` is 20, and Hardhat and Ponder must run on the repository's 22.
 */
export const HARDHAT_CLI = path.join(REPO_ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");
export const PONDER_CLI = path.join(REPO_ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");

/** The Ponder project root: schema, indexing functions and API live here (see docs/indexer.md). */
export const INDEXER_ROOT = path.join(REPO_ROOT, "indexer");

/** Exported viem ABIs the indexer imports (written by `npm run build`). */
export const ABI_DIR = path.join(REPO_ROOT, "build", "abi");
