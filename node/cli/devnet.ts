/**
 * `npm start`: the whole dekmesh network on this machine, for trying it out.
 *
 * Starts a Hardhat node (1-second blocks), deploys every contract, starts the Ponder indexer,
 * writes `.devnet/endpoints.json` for scripts and the CLI, and runs until Ctrl-C, which stops
 * everything in reverse order. Each start begins from a fresh chain: the Hardhat node keeps its
 * state in memory, so `.devnet/` (logs, deployment, indexer database) is recreated each time.
 *
 * The validators and the embedded IPFS node join this devnet as their parts land.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { bytesToHex } from "viem";
import { devAccount, LOOPBACK, startStack, type Stack } from "../devnet/index.js";
import { REPO_ROOT } from "../devnet/paths.js";

const DEVNET_DIR = path.join(REPO_ROOT, ".devnet");
/** The funded account the printed examples use (account 0 deployed the contracts). */
const DEMO_ACCOUNT_INDEX = 1;

/** The port if it is free on loopback now, else undefined (the harness then picks one). */
async function preferredPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer().unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(port)));
  });
}

function writeEndpoints(stack: Stack): string {
  const demo = devAccount(DEMO_ACCOUNT_INDEX);
  const endpoints = {
    rpcUrl: stack.chain.url,
    chainId: stack.chain.chainId,
    deploymentFile: stack.deployment.file,
    indexerUrl: stack.indexer?.url,
    validators: [] as { address: string; endpoint: string; peerId: string }[],
    demoAccount: { address: demo.address, privateKey: bytesToHex(demo.getHdKey().privateKey!) },
  };
  const file = path.join(DEVNET_DIR, "endpoints.json");
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(endpoints, null, 2) + "\n");
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

async function main(): Promise<void> {
  const started = performance.now();
  fs.rmSync(DEVNET_DIR, { recursive: true, force: true });
  fs.mkdirSync(DEVNET_DIR, { recursive: true });
  console.log(`starting the dekmesh devnet (logs in ${path.relative(process.cwd(), DEVNET_DIR) || "."})…`);

  const stack = await startStack({
    dir: DEVNET_DIR,
    removeDir: false,
    chain: { port: await preferredPort(8545), blockIntervalMs: 1000 },
    indexer: { port: await preferredPort(42069) },
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the indexer, then the chain…`);
    await stack.stop();
    console.log("devnet stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const endpointsFile = writeEndpoints(stack);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`
dekmesh devnet ready in ${seconds} s
  chain      ${stack.chain.url}  (chain id ${stack.chain.chainId}, 1-second blocks)
  contracts  ${path.relative(process.cwd(), stack.deployment.file)}
  indexer    ${stack.indexer?.url}  (GraphQL at /graphql, SQL at /sql, REST e.g. /validators/active)
  endpoints  ${path.relative(process.cwd(), endpointsFile)}

Try:
  curl ${stack.indexer?.url}/validators/active
  curl -s ${stack.indexer?.url}/graphql -H 'content-type: application/json' \\
       -d '{"query":"{ policys { items { id publisher } } }"}'

Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `devnet failed: ${error.message}` : error);
  process.exit(1);
});
