/**
 * IPFS for dekmesh: the one content-CID definition, the validators' pin store, and the
 * client's content stores (embedded Helia, Kubo over its RPC API). See docs/client.md.
 */
export { IpfsError, type IpfsErrorCode } from "./errors.js";
export {
  BLOCK_READ_CONCURRENCY,
  CHUNK_SIZE,
  computeCid,
  importContent,
  KUBO_ADD_OPTIONS,
  MAX_CHILDREN_PER_NODE,
  parseContentCid,
  UNIXFS_IMPORT_OPTIONS,
  type ByteSource,
  type ImportOptions,
} from "./cid.js";
export { createLocalContentStore, createPinStore, type PinStore, type PinStoreInit } from "./pinStore.js";
export { counted, type ContentStore, type ContentStoreCallOptions } from "./contentStore.js";
export { tapCid, verifyCid, type CidTap } from "./verify.js";
export { createHeliaContentStore, type HeliaContentStore, type HeliaContentStoreInit } from "./helia.js";
export { createKuboContentStore, type KuboContentStoreInit } from "./kubo.js";
