// The devnet harness: real processes for a local dekmesh network, for tests, benchmarks and
// `npm start`. Typical use:
//
//   const stack = await startStack();             // hardhat node + deploy + ponder
//   … drive stack.chain.url with viem, read stack.indexer!.url …
//   await stack.stop();
//
// or piece by piece: startChain → deployContracts → startIndexer. Child output goes to log
// files in the run directory; errors (DevnetError) name the log to read.
export { devAccount, HARDHAT_ACCOUNT_COUNT, HARDHAT_MNEMONIC } from "./accounts.js";
export { startChain, type ChainHandle, type StartChainOptions } from "./chain.js";
export { deployContracts, type DeployContractsOptions, type DevnetDeployment } from "./deploy.js";
export { readDeploymentFile } from "./deployment.js";
export { DEMO_NAMESPACE, seedDemoAttribute } from "./demo.js";
export { fundAccount, type FundAccountParameters, type FundAccountReturnType } from "./fund.js";
export { DevnetError, type DevnetErrorCode } from "./errors.js";
export { startIndexer, type IndexedHead, type IndexerHandle, type StartIndexerOptions } from "./indexer.js";
export { freePort, LOOPBACK, stablePort } from "./ports.js";
export { startProcess, waitFor, type ManagedProcess } from "./process.js";
export { rpcRequest } from "./rpc.js";
export { startStack, type Stack, type StartStackOptions } from "./stack.js";
export { findPostgresBinaries, startPostgres, type PostgresHandle, type StartPostgresOptions } from "./postgres.js";
export { releaseStalePonderLock } from "./pglite.js";
export { startDevIpfs, DEFAULT_FIND_TIMEOUT_MS, MAX_ADD_BYTES, type DevIpfs, type StartDevIpfsOptions } from "./ipfs.js";
export {
  DEV_VALIDATOR_STAKE,
  devValidatorAddress,
  startDevValidators,
  stopValidators,
  type StartDevValidatorsOptions,
} from "./validators.js";
export {
  DEMO_ACCOUNT_INDEX,
  OUTSIDER_ACCOUNT_INDEX,
  startDevnet,
  writeEndpoints,
  type Devnet,
  type DevnetAccount,
  type DevnetEndpoints,
  type StartDevnetOptions,
} from "./network.js";
