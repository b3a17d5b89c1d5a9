/**
 * NanoTDF v1 for dekmesh: byte-compatible with the OpenTDF spec, with the policy id bound
 * to the DEK and a segmented form for payloads beyond 2^24 − 1 bytes. See docs/crypto.md.
 */
export { TdfError, type TdfErrorCode } from "./errors.js";
export {
  COMPRESSED_KEY_LENGTH,
  DEFAULT_SEGMENT_SIZE,
  ECC_CURVES,
  GCM_TAG_LENGTHS,
  MAGIC_AND_VERSION,
  MAX_PAYLOAD_LENGTH,
  NANOTDF_SALT,
  maxSegmentPlaintext,
  type EccCurve,
  type WritableTagBits,
} from "./constants.js";
export { encodeLocator, locatorFromUrl, locatorToUrl, type LocatorProtocol, type ResourceLocator } from "./locator.js";
export { POLICY_TYPES, type NanoTdfPolicy, type PolicyKeyAccess, type PolicyType } from "./policy.js";
export { decodeHeader, encodeHeader, headerKid, type NanoTdfHeader, type NanoTdfHeaderFields } from "./header.js";
export { DEK_LENGTH, deriveDekForKas, dekFromSharedSecret, type KasPrivateKeyInput } from "./dek.js";
export {
  DEKMESH_POLICY_VERSION,
  policyBindingBytes,
  readHeaderPolicy,
  verifyEcdsaPolicyBinding,
  upstreamGmacBinding,
  verifyHeaderPolicy,
  type BoundPolicy,
  type PolicyBinding,
} from "./dekmeshPolicy.js";
export { createNanoTdfHeader, type NanoTdfHeaderOptions } from "./create.js";
export { verifyRegisteredHeader, type VerifiedRegistration } from "./registration.js";
export {
  decodeNanoTdf,
  decryptNanoTdf,
  encryptNanoTdf,
  verifyNanoTdfSignature,
  type DecryptNanoTdfOptions,
  type EncryptedNanoTdf,
  type EncryptNanoTdfOptions,
  type NanoTdfFile,
} from "./nanotdf.js";
export type { NanoTdfSegment, SegmentLayout } from "./segments.js";
export type { CreatorSignature } from "./signature.js";
export { fromReadableStream, type ByteSource } from "./chunkQueue.js";
export {
  decryptStream,
  encryptStream,
  toReadableStream,
  type DecryptStreamOptions,
  type EncryptedStream,
  type EncryptStreamOptions,
} from "./stream.js";
