// Ponder reads its config from the project root (`indexer/`); the config itself lives at the
// repository's top level next to hardhat.config.ts. That file is CommonJS (the root package
// is, for Hardhat), and this one is an ES module: a named import keeps the config's type
// exact, where a default import would see CommonJS's `module.exports` wrapper.
import { config } from "../ponder.config.js";

export default config;
