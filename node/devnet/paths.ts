import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the directory with hardhat.config.ts and ponder.config.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

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
