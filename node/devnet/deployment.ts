import fs from "node:fs";
import { parseDeploymentText, type DeploymentFile } from "../protocol/deployment.js";
import { DevnetError } from "./errors.js";

/** Reads and checks a deployment file (schema: node/protocol/deployment.ts); BAD_DEPLOYMENT names what is wrong. */
export function readDeploymentFile(file: string): DeploymentFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (cause) {
    throw new DevnetError("BAD_DEPLOYMENT", `cannot read deployment file ${file}`, { cause });
  }
  try {
    return parseDeploymentText(text, file);
  } catch (cause) {
    throw new DevnetError("BAD_DEPLOYMENT", (cause as Error).message, { cause });
  }
}
