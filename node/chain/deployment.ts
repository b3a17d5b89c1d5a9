import fs from "node:fs";
import { parseDeploymentText, toChainDeployment, type ChainDeployment } from "../protocol/deployment.js";
import { ChainError } from "./errors.js";

/**
 * Reads and checks a deployment file written by `scripts/deploy.ts` (schema:
 * node/protocol/deployment.ts); CHAIN_BAD_DEPLOYMENT names what is wrong.
 */
export function loadDeployment(file: string): ChainDeployment {
  try {
    return toChainDeployment(parseDeploymentText(fs.readFileSync(file, "utf8"), file));
  } catch (error) {
    throw new ChainError("CHAIN_BAD_DEPLOYMENT", error instanceof Error ? error.message : `cannot read ${file}`, {
      details: { file },
      cause: error,
    });
  }
}
