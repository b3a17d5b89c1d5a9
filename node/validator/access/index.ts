/**
 * Access decisions for the rewrap path (docs/architecture.md#rewrap-and-forwarding step 4): per the indexer with bounded
 * staleness, cached per (policy, account), or per the chain when the indexer lags. See
 * docs/rewrap.md ("What is cached").
 */
export { AccessDecider, createAccessDecider, type AccessDeciderStats, type AccessResult } from "./decider.js";
export type {
  AccessDeciderComponents,
  AccessDeciderOptions,
  AccessIndexer,
  ChainAccessReader,
  ResolvedAccessDeciderOptions,
} from "./options.js";
