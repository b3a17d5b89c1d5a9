// Ponder configuration of the dekmesh indexer. The Ponder project root is `indexer/`
// (schema, indexing functions, API); `indexer/ponder.config.ts` re-exports this file because
// Ponder looks for the config inside its root. Run with `ponder --root indexer …` (see
// docs/indexer.md and the `indexer:*` npm scripts).
import { createConfig } from "ponder";
import {
  adjudicatorAbi,
  attributeRegistryAbi,
  contentRegistryAbi,
  policyRegistryAbi,
  rewrapAuditLogAbi,
  validatorRegistryAbi,
} from "./build/abi/index.js";
import { loadIndexerSettings } from "./indexer/settings.js";

const settings = loadIndexerSettings(process.env);
const contracts = settings.deployment.contracts;

/** The one chain the indexer follows; its name keys Ponder's `/status` and `publicClients`. */
const chain = "dekmesh";

export const config = createConfig({
  database: settings.database,
  chains: {
    [chain]: {
      id: settings.chainId,
      rpc: settings.rpcFanOut > 1 ? Array<string>(settings.rpcFanOut).fill(settings.rpcUrl) : settings.rpcUrl,
      ws: settings.wsUrl,
      pollingInterval: settings.pollingIntervalMs,
      disableCache: settings.disableCache,
    },
  },
  contracts: {
    ValidatorRegistry: {
      chain,
      abi: validatorRegistryAbi,
      address: contracts.ValidatorRegistry.address,
      startBlock: contracts.ValidatorRegistry.block,
    },
    AttributeRegistry: {
      chain,
      abi: attributeRegistryAbi,
      address: contracts.AttributeRegistry.address,
      startBlock: contracts.AttributeRegistry.block,
    },
    PolicyRegistry: {
      chain,
      abi: policyRegistryAbi,
      address: contracts.PolicyRegistry.address,
      startBlock: contracts.PolicyRegistry.block,
    },
    ContentRegistry: {
      chain,
      abi: contentRegistryAbi,
      address: contracts.ContentRegistry.address,
      startBlock: contracts.ContentRegistry.block,
    },
    RewrapAuditLog: {
      chain,
      abi: rewrapAuditLogAbi,
      address: contracts.RewrapAuditLog.address,
      startBlock: contracts.RewrapAuditLog.block,
    },
    Adjudicator: {
      chain,
      abi: adjudicatorAbi,
      address: contracts.Adjudicator.address,
      startBlock: contracts.Adjudicator.block,
    },
  },
});

export default config;
