/**
 * Rewrap (docs/architecture.md#rewrap-and-forwarding): readers ask a validator for a content's DEK wrapped to their own key.
 * Request formats, checks, reason codes, forwarding and caching: docs/rewrap.md.
 */
export { createRewrapService, RewrapService, type RewrapCallOptions, type RewrapServiceStats } from "./service.js";
export type {
  RewrapAccess,
  RewrapIndexer,
  RewrapP2p,
  RewrapServiceComponents,
  RewrapServiceOptions,
  RewrapStore,
  ResolvedRewrapServiceOptions,
} from "./options.js";
export { InlineRewrapCrypto, type RewrapCrypto, type SignatureCheck, type WrapInput, type WrapOutcome } from "./crypto.js";
export { WorkerRewrapCrypto } from "./crypto-pool.js";
export * from "./constants.js";
