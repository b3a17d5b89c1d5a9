/**
 * Key material for dekmesh: the operator hierarchy, KAS keys and their KIDs, rotation
 * authorizations, the at-rest sealing format, and the primitives the NanoTDF codec and the
 * envelopes share (P-256 via OpenSSL, AES-256-GCM, HKDF, Ethereum signatures).
 */
export { KeyError, SealedRecordError, type KeyErrorCode, type SealedRecordErrorCode } from "./errors.js";
export {
  DEKMESH_PURPOSE,
  MAX_NODE_INDEX,
  OperatorRoot,
  derivationPaths,
  deriveNodeKeys,
  deriveOperatorAccount,
  mnemonicToSeed,
  type ChainAccount,
  type NodeKeys,
} from "./hierarchy.js";
export { KID_LENGTH, kasKeyId, kidToHex } from "./kid.js";
export {
  P256PrivateKey,
  P256_PUBLIC_KEY_LENGTH,
  assertValidP256PublicKey,
  isCompressedP256PublicKey,
  verifyP256Signature,
} from "./p256.js";
export { KasKeyRing } from "./keyring.js";
export {
  KAS_KEY_ROTATION_TYPE,
  authorizeKasKeyRotation,
  decodeKasKeyRotation,
  encodeKasKeyRotation,
  kasKeyRotationDigest,
  rotateKasKey,
  verifyKasKeyRotation,
  type KasKeyRotation,
  type SignedKasKeyRotation,
} from "./rotation.js";
export {
  SEALED_RECORD_TYPES,
  openDek,
  openKasKey,
  openRecord,
  sealDek,
  sealKasKey,
  sealRecord,
  SealingKey,
  type SealedRecordType,
  type StorageKey,
} from "./sealed.js";
export {
  addressFromPrivateKey,
  addressFromPublicKey,
  hashPersonalMessage,
  recoverAddress,
  sameAddress,
  signHash,
  toChecksumAddress,
  type Address,
  type Eip712Domain,
} from "./ethereum.js";
export { slip10Derive, type Slip10Curve } from "./slip10.js";
