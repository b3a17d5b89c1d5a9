import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";

const SOLC_VERSION = "0.8.28";

// Hardhat cannot download compilers on machines without internet access, so we use the
// solc-js build shipped in the `solc` npm package (pinned to SOLC_VERSION in package.json).
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  const solcPackage = path.dirname(require.resolve("solc/package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version: longVersion } = require("solc/package.json") as { version: string };
  return {
    compilerPath: path.join(solcPackage, "soljson.js"),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion,
  };
});

// Any testnet: DEKMESH_RPC_URL + DEKMESH_DEPLOYER_KEY (see README "Deploying to a testnet").
const testnet = process.env.DEKMESH_RPC_URL
  ? {
      testnet: {
        url: process.env.DEKMESH_RPC_URL,
        accounts: process.env.DEKMESH_DEPLOYER_KEY ? [process.env.DEKMESH_DEPLOYER_KEY] : [],
      },
    }
  : {};

const config: HardhatUserConfig = {
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" },
      },
    ],
    overrides: {
      // register() emits three calldata byte strings plus five words; the legacy pipeline
      // runs out of stack slots, the IR pipeline does not.
      "contracts/ContentRegistry.sol": {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun", viaIR: true },
      },
    },
  },
  networks: {
    hardhat: {
      // Enough accounts for the validator-set benchmarks and tests.
      accounts: { count: 40 },
      allowUnlimitedContractSize: false,
      // `hardhat node` for the devnet and the test stack: every transaction is mined at once
      // and an (empty) block is mined every DEKMESH_BLOCK_INTERVAL_MS, so indexers and
      // confirmation counters see time pass (Ponder waits for blocks, not transactions).
      mining: process.env.DEKMESH_BLOCK_INTERVAL_MS
        ? { auto: true, interval: Number(process.env.DEKMESH_BLOCK_INTERVAL_MS) }
        : undefined,
    },
    localhost: { url: process.env.DEKMESH_LOCAL_RPC_URL ?? "http://127.0.0.1:8545" },
    ...testnet,
  },
  paths: {
    sources: "contracts",
    tests: "test/contracts",
    artifacts: "build/artifacts",
    cache: "build/cache",
  },
  typechain: { outDir: "build/typechain", target: "ethers-v6" },
  gasReporter: { enabled: process.env.REPORT_GAS === "1" },
  mocha: { timeout: 120_000 },
};

export default config;
