// Crash tests run a worker script as a real child process, SIGKILL it at a chosen moment and
// read what it acknowledged before dying: each complete stdout line after "ready" is one
// acknowledged write. A line cut off by the kill was never acknowledged.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

export { prng } from "./prng.js";

/**
 * Runs `worker` (a TypeScript file) with `args`, SIGKILLs it `killAfterMs` after it printed
 * "ready", and resolves with its complete output lines after "ready". Rejects if the worker
 * exits on its own or never gets ready within `guardMs`.
 */
export function runAndKill(worker: string, args: string[], killAfterMs: number, guardMs = 30_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", worker, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killTimer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill("SIGKILL"), guardMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (killTimer === undefined && stdout.startsWith("ready\n")) {
        killTimer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      if (signal !== "SIGKILL" || killTimer === undefined) {
        return reject(new Error(`worker exited on its own or never got ready (${code}, ${signal}): ${stderr}`));
      }
      const lines = stdout.split("\n");
      lines.pop();
      assert.equal(lines.shift(), "ready", stderr);
      resolve(lines);
    });
  });
}
