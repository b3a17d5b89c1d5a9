/**
 * Typed reads of the indexer's HTTP API for the validator node, with small caches and the
 * bounded staleness check (SPEC §7: refuse to decide on state older than a configurable
 * number of blocks). See docs/rewrap.md ("What is cached").
 */
export { createIndexerClient, IndexerClient, type AccessResult, type IndexerClientStats, type ReadOptions, type ReplicationContent, type ReplicationPeer, type ReplicationWork } from "./client.js";
export { IndexerClientError, type IndexerClientErrorCode } from "./errors.js";
export type {
  ChainAccessReader,
  ChainHeadReader,
  IndexerClientComponents,
  IndexerClientLogger,
  IndexerClientOptions,
  ResolvedIndexerClientOptions,
} from "./options.js";
export type { FetchLike } from "./http.js";
export {
  ACCESS_REASONS,
  type AccessDecision,
  type AccessReason,
  type ActiveValidator,
  type ActiveValidators,
  type Address,
  type Hex,
  type Holder,
  type HolderState,
  type HoldersInfo,
  type IndexedBlock,
  type PolicyInfo,
  type PolicyRequirement,
} from "./types.js";
