import path from "node:path";
import { subtask, task, type HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
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

// `hardhat coverage` (npm run coverage; instrumentation settings in .solcover.js). It compiles
// through the solc-js build above like any compile, with two changes for that run only:
// - Every file goes through the IR pipeline (as ContentRegistry always does). solidity-coverage
//   turns the optimizer off for legacy-pipeline files, and StakeTree's assembly then needs more
//   stack slots than the legacy code generator has ("Stack too deep"). Its `configureYulOptimizer`
//   option compiles, but on legacy code it loses hits (register()'s first statements and whole
//   private functions reported unexecuted); `irMinimum` deploys unoptimized IR bytecode that
//   exceeds the 2^24 per-transaction gas cap. The IR pipeline with the optimizer on has neither
//   problem. Production builds are unchanged.
// - The tests below are left out: their gas bounds do not hold for instrumented bytecode, and the
//   χ² test's 20,000 draws make Hardhat hand every EVM step to the coverage collector (the heap
//   runs out). Instrumented code also runs slower, hence the longer timeout.
const SKIPPED_UNDER_COVERAGE = [
  "registrationInfo_readsOneStorageSlot",
  "register_aFreshDrawCostsAtMost22100GasMoreThanARepeatDraw",
  "repairMany_gasPerContentStaysModest",
  "gas_setIsLogarithmic",
  "gas_drawAtHundredMembers",
  "draw_frequenciesProportionalToWeight",
];
task("coverage").setAction(async (args, hre, runSuper) => {
  const { solidity, mocha } = hre.config;
  for (const compiler of [...solidity.compilers, ...Object.values(solidity.overrides)]) compiler.settings.viaIR = true;
  mocha.grep = new RegExp(`\\b(${SKIPPED_UNDER_COVERAGE.join("|")})$`);
  mocha.invert = true;
  mocha.timeout = 900_000;
  return runSuper(args);
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
      // The P-256 precompile (RIP-7212) at 0x100, as on the rollups that have it: audit
      // evidence signed by a session key verifies through it (OpenZeppelin's P256 falls back
      // to Solidity where it is absent).
      enableRip7212: true,
      // `hardhat node` for the devnet and the test stack: every transaction is mined at once
      // and an (empty) block is mined every DEKMESH_BLOCK_INTERVAL_MS, so indexers and
      // confirmation counters see time pass (Ponder waits for blocks, not transactions).
      mining: process.env.DEKMESH_BLOCK_INTERVAL_MS
        ? { auto: true, interval: Number(process.env.DEKMESH_BLOCK_INTERVAL_MS) }
        : undefined,
      // Several blocks in one second share its timestamp, as on a real chain, instead of each
      // taking its parent's + 1 s, which ran the devnet's clock minutes ahead of the wall clock.
      allowBlocksWithSameTimestamp: Boolean(process.env.DEKMESH_BLOCK_INTERVAL_MS),
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
