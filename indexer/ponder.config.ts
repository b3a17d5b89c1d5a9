// Ponder reads its config from the project root (`indexer/`); the config itself lives at the
// repository's top level next to hardhat.config.ts.
export { default } from "../ponder.config.js";
