/**
 * Rewrap (SPEC §6): readers ask a validator for a content's DEK wrapped to their own key.
 * Request formats, checks, reason codes, forwarding and caching: docs/rewrap.md.
 */
export { createRewrapService, RewrapService, type RewrapCallOptions, type RewrapServiceStats } from "./service.js";
export type {
  RewrapIndexer,
  RewrapLogger,
  RewrapP2p,
  RewrapServiceComponents,
  RewrapServiceOptions,
  RewrapStore,
  ResolvedRewrapServiceOptions,
} from "./options.js";
export { InlineRewrapCrypto, type RewrapCrypto, type SignatureCheck, type WrapInput, type WrapOutcome } from "./crypto.js";
export { WorkerRewrapCrypto } from "./crypto-pool.js";
export { isRewrapErrorCode, REWRAP_ERROR_CODES, REWRAP_ERROR_MESSAGES, RewrapError, type RewrapErrorCode } from "./errors.js";
export {
  bulkItemDigest,
  bytesToHex,
  eip712Domain,
  hexToBytes,
  REWRAP_EIP712_TYPES,
  RewrapHasher,
  rewrapBulkRequestTypedData,
  rewrapRequestTypedData,
  sessionGrantTypedData,
  type RewrapDomain,
} from "./eip712.js";
export {
  bulkAnswerFromJson,
  bulkRequestFromJson,
  bulkRequestToJson,
  rewrapAnswerFromJson,
  rewrapRequestFromJson,
  rewrapRequestToJson,
  sessionGrantFromJson,
  sessionGrantToJson,
  decodeBulkAnswer,
  decodeBulkRequest,
  decodeRefusal,
  decodeRewrapAnswer,
  decodeRewrapRequest,
  decodeSessionGrant,
  decodeSessionInfo,
  encodeBulkAnswer,
  encodeBulkRequest,
  encodeRefusal,
  encodeRewrapAnswer,
  encodeRewrapRequest,
  encodeSessionGrant,
  encodeSessionInfo,
} from "./wire.js";
export * from "./constants.js";
export type {
  Address,
  BulkItem,
  BulkRefusal,
  Hex,
  RequestAuth,
  RewrapAnswer,
  RewrapBulkAnswer,
  RewrapBulkRequest,
  RewrapRequest,
  SessionGrant,
  SessionInfo,
  SignedRewrapBulkRequest,
  SignedRewrapRequest,
  SignedSessionGrant,
} from "./types.js";
