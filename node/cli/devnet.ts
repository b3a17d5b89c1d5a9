/**
 * `npm start` / `dekmesh devnet`: the whole dekmesh network on this machine, for trying it out.
 *
 * Starts a Hardhat node (1-second blocks), deploys every contract, starts the Ponder indexer,
 * the shared IPFS node and 4 validators (registered, staked, each with its own data directory),
 * seeds a demo attribute (`clearance`, granted `secret` to the demo account), writes
 * `.devnet/endpoints.json` for scripts and the CLI, the key files of the demo and outsider
 * accounts and the validators' operator mnemonic, and runs until Ctrl-C, which stops
 * everything in reverse order. Each start begins from a fresh chain: the Hardhat node keeps its
 * state in memory, so `.devnet/` (logs, deployment, databases, validator stores) is recreated.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { LOOPBACK, seedDemoAttribute, startDevnet, writeEndpoints } from "../devnet/index.js";
import { REPO_ROOT } from "../devnet/paths.js";

const DEVNET_DIR = path.join(REPO_ROOT, ".devnet");
const VALIDATORS = 4;

/** The port if it is free on loopback now, else 0 (any free port). */
async function preferredPort(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().unref();
    server.once("error", () => resolve(0));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(port)));
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  fs.rmSync(DEVNET_DIR, { recursive: true, force: true });
  fs.mkdirSync(DEVNET_DIR, { recursive: true });
  console.log(`starting the dekmesh devnet (logs in ${path.relative(process.cwd(), DEVNET_DIR) || "."})…`);

  const httpPorts = await Promise.all(Array.from({ length: VALIDATORS }, (_, i) => preferredPort(7001 + i)));
  const devnet = await startDevnet({
    dir: DEVNET_DIR,
    removeDir: false,
    chain: { port: (await preferredPort(8545)) || undefined, blockIntervalMs: 1000 },
    indexer: { port: (await preferredPort(42069)) || undefined },
    validators: VALIDATORS,
    validatorConfig: (index) => ({ http: { port: httpPorts[index] } }),
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the validators, IPFS, the indexer, then the chain…`);
    await devnet.stop();
    console.log("devnet stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  await seedDemoAttribute(devnet);
  const endpointsFile = writeEndpoints(DEVNET_DIR, devnet.endpoints);
  const { endpoints } = devnet;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const rel = (file: string) => path.relative(process.cwd(), file);
  console.log(`
dekmesh devnet ready in ${seconds} s
  chain       ${endpoints.rpcUrl}  (chain id ${endpoints.chainId}, 1-second blocks)
  contracts   ${rel(endpoints.deploymentFile)}
  indexer     ${endpoints.indexerUrl}  (GraphQL at /graphql, SQL at /sql, REST e.g. /validators/active)
  ipfs        ${endpoints.ipfs?.rpcUrl}  (Kubo RPC: add, cat)
${endpoints.validators.map((v, i) => `  validator ${i} ${v.endpoint}  ${v.address}`).join("\n")}
  endpoints   ${rel(endpointsFile)}

Accounts (funded; keys in the format --key-file reads):
  demo        ${endpoints.demoAccount.address}  holds clearance/secret, the CLI's default  ${rel(endpoints.demoAccount.keyFile)}
  outsider    ${endpoints.outsiderAccount.address}  no attributes                             ${rel(endpoints.outsiderAccount.keyFile)}
  operator    ${endpoints.operator.address}  runs the validators (mnemonic)            ${rel(endpoints.operator.mnemonicFile)}

Try (in another terminal, from the checkout; README.md has the tour):
  echo "hello dekmesh" > hello.txt
  cid=$(bin/dekmesh upload hello.txt --attr clearance/secret --replication stake:3)
  bin/dekmesh holders "$cid"
  bin/dekmesh decrypt "$cid" -o hello.out
  bin/dekmesh decrypt "$cid" -o denied.out --key-file ${rel(endpoints.outsiderAccount.keyFile)}   # refused: exit 2
  bin/dekmesh audit --cid "$cid"

Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `devnet failed: ${error.message}` : error);
  process.exit(1);
});
