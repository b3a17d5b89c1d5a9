export { createP2pNode, P2pNode } from "./node.js";
export type {
  FindProvidersOptions,
  HandleOptions,
  P2pNodeComponents,
  P2pNodeOptions,
  RequestOptions,
} from "./options.js";
export type { RequestContext, RequestHandler } from "./request-response.js";
export { validatorDialTarget, type PeerTarget } from "./peers.js";
export type { ProviderInfo } from "./dht.js";
export { contentIdToCid } from "./dht.js";
export { encodeJson, decodeJson } from "./codec.js";
export { P2pError, P2pRemoteError, type P2pErrorCode } from "./errors.js";
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DHT_PROTOCOL,
  MAX_MESSAGE_BYTES,
  PROTOCOL_HAS,
  PROTOCOL_REPLICATE,
  PROTOCOL_REWRAP,
  protocolId,
} from "./constants.js";
