import fs from "node:fs";
import path from "node:path";
import { DevnetError } from "./errors.js";
import { freePort, LOOPBACK } from "./ports.js";
import { loggedSince, logOffset, startProcess, waitFor, type ManagedProcess } from "./process.js";
import { HARDHAT_CLI, REPO_ROOT } from "./paths.js";
import { rpcRequest } from "./rpc.js";

export interface StartChainOptions {
  /** Run directory; the node's log goes to `<dir>/chain.log`. */
  dir: string;
  /** Loopback port; a free one by default. */
  port?: number;
  /**
   * Milliseconds between (possibly empty) blocks, on top of one block per transaction.
   * Default 1000. 0 = a block per transaction only. Ponder and confirmation counters need
   * blocks to keep coming, so only tests that control every block should pass 0.
   */
  blockIntervalMs?: number;
  /** How long the node may take to answer JSON-RPC. Default 60 s. */
  timeoutMs?: number;
}

export interface ChainHandle {
  /** JSON-RPC over HTTP. */
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  readonly logFile: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

const HARDHAT_CHAIN_ID = 31337;
const PORT_ATTEMPTS = 3;

/** Starts `hardhat node` on a loopback port and waits until it answers JSON-RPC. */
export async function startChain(options: StartChainOptions): Promise<ChainHandle> {
  fs.mkdirSync(options.dir, { recursive: true });
  const logFile = path.join(options.dir, "chain.log");
  const blockIntervalMs = options.blockIntervalMs ?? 1000;
  let lastError: unknown;
  // Another process may take a free port between our probe and the node's bind; retry then.
  for (let attempt = 0; attempt < (options.port ? 1 : PORT_ATTEMPTS); attempt++) {
    const port = options.port ?? (await freePort());
    const url = `http://${LOOPBACK}:${port}`;
    const logStart = logOffset(logFile);
    const child = startProcess({
      name: "hardhat node",
      command: process.execPath,
      args: [HARDHAT_CLI, "node", "--hostname", LOOPBACK, "--port", String(port)],
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        HARDHAT_DISABLE_TELEMETRY_PROMPT: "true",
        // hardhat.config.ts turns this into interval mining next to automining.
        DEKMESH_BLOCK_INTERVAL_MS: blockIntervalMs > 0 ? String(blockIntervalMs) : "",
      },
      logFile,
    });
    try {
      const chainId = await waitFor(
        async () => (loggedSince(logFile, logStart, `JSON-RPC server at ${url}/`) ? Number(await rpcRequest<string>(url, "eth_chainId", [])) : undefined),
        { timeoutMs: options.timeoutMs ?? 60_000, process: child, what: `hardhat node on ${url}` },
      );
      if (chainId !== HARDHAT_CHAIN_ID) {
        await child.stop();
        throw new DevnetError("REQUEST_FAILED", `expected chain id ${HARDHAT_CHAIN_ID}, got ${chainId}`, { logFile });
      }
      await alignClock(url);
      return {
        url,
        port,
        chainId,
        logFile,
        process: child,
        stop: async () => {
          await child.stop();
        },
      };
    } catch (error) {
      lastError = error;
      await child.stop();
      if (!(error instanceof DevnetError) || error.code !== "PROCESS_EXITED") throw error;
    }
  }
  throw lastError;
}

/**
 * Hardhat fixes its clock's offset while it starts, so on a busy machine the chain began seconds
 * behind the wall clock. One block stamped with the current second sets the offset to zero; the
 * blocks after it follow the wall clock (hardhat.config.ts lets blocks share a second).
 */
async function alignClock(url: string): Promise<void> {
  const latest = await rpcRequest<{ timestamp: string }>(url, "eth_getBlockByNumber", ["latest", false]);
  const now = Math.floor(Date.now() / 1000);
  if (Number(latest.timestamp) >= now) return;
  await rpcRequest(url, "evm_setNextBlockTimestamp", [now]);
  await rpcRequest(url, "evm_mine", []);
}
