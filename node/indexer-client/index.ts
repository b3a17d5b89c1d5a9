/**
 * Typed reads of the indexer's HTTP API for the validator node, the SDK and the CLI, with small
 * caches and the bounded staleness check (docs/architecture.md#the-validator-node: refuse to decide on state older than a
 * configurable number of blocks). See docs/rewrap.md ("What is cached") and docs/indexer.md.
 */
export {
  createIndexerClient,
  IndexerClient,
  type AccessRead,
  type IndexerClientStats,
  type ReadAccessOptions,
  type ReadOptions,
} from "./client.js";
export type {
  ReplicationContent,
  ReplicationParameters,
  ReplicationPeer,
  ReplicationUnchanged,
  ReplicationWork,
} from "./replication.js";
export type { PolicyLookup } from "./policy-lookup.js";
export type { ThresholdWork, ThresholdWorkContent, ThresholdWorkParameters } from "./threshold.js";
export { IndexerClientError, type IndexerClientErrorCode } from "./errors.js";
export { abortedError, raceAbort } from "./abort.js";
export { normalizeAddress, normalizeContentId } from "./arguments.js";
export { BoundedTtlMap, SingleFlight } from "./cache.js";
export type {
  ChainHeadReader,
  IndexerClientComponents,
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
  type ThresholdDealing,
  type ThresholdSlot,
  type IndexedBlock,
  type PolicyInfo,
  type PolicyRequirement,
} from "./types.js";
