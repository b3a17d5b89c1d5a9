/**
 * KAS key rotation (docs/architecture.md#identities-and-keys "Rekey"). A node moves to a fresh random P-256 key that nobody
 * can predict from the root; the operator account signs an EIP-712 authorization
 * {node, kasPublicKey, kid, sequence} so any peer can check, offline and against the
 * operator address in the ValidatorRegistry, that the new key came from the same operator.
 * The sequence is strictly increasing per node, so an old authorization cannot be replayed
 * to roll a node back to a retired key. Old keys stay in the node's keyring (sealed at rest)
 * for headers that still name them.
 */
import { bytesEqual, concatBytes, u64be, utf8 } from "./bytes.js";
import { KeyError } from "./errors.js";
import {
  addressToBytes,
  addressWord,
  ETH_SIGNATURE_LENGTH,
  keccak256,
  recoverAddress,
  sameAddress,
  signHash,
  toChecksumAddress,
  typedDataHash,
  uint256Word,
  type Address,
  type Eip712Domain,
} from "./ethereum.js";
import { kasKeyId, KID_LENGTH } from "./kid.js";
import { assertValidP256PublicKey, P256_PUBLIC_KEY_LENGTH, P256PrivateKey } from "./p256.js";

export const KAS_KEY_ROTATION_TYPE = "KasKeyRotation(address node,bytes kasPublicKey,bytes8 kid,uint64 sequence)";
const TYPEHASH = keccak256(utf8(KAS_KEY_ROTATION_TYPE));
const ENCODING_VERSION = 1;
/** version ‖ node ‖ kasPublicKey ‖ kid ‖ sequence ‖ signature */
export const KAS_KEY_ROTATION_LENGTH = 1 + 20 + P256_PUBLIC_KEY_LENGTH + KID_LENGTH + 8 + ETH_SIGNATURE_LENGTH;

export interface KasKeyRotation {
  node: Address;
  kasPublicKey: Uint8Array;
  kid: Uint8Array;
  sequence: bigint;
}

export interface SignedKasKeyRotation extends KasKeyRotation {
  /** The operator's EIP-712 signature, r‖s‖v. */
  signature: Uint8Array;
}

/** The EIP-712 digest the operator signs; identical to viem's hashTypedData for the same input. */
export function kasKeyRotationDigest(rotation: KasKeyRotation, domain: Eip712Domain): Uint8Array {
  const kidWord = concatBytes(rotation.kid, new Uint8Array(32 - rotation.kid.length));
  const structHash = keccak256(
    concatBytes(TYPEHASH, addressWord(rotation.node), keccak256(rotation.kasPublicKey), kidWord, uint256Word(rotation.sequence)),
  );
  return typedDataHash(domain, structHash);
}

function assertRotationShape(rotation: KasKeyRotation): void {
  if (rotation.sequence < 0n || rotation.sequence >= 1n << 64n) {
    throw new KeyError("KEY_ROTATION_MALFORMED", "sequence must be a uint64", { details: { sequence: rotation.sequence.toString() } });
  }
  assertValidP256PublicKey(rotation.kasPublicKey);
  if (!bytesEqual(rotation.kid, kasKeyId(rotation.kasPublicKey))) {
    throw new KeyError("KEY_ROTATION_KID_MISMATCH", "kid is not the KID of the new key");
  }
}

/** Signs a rotation with the operator's account key. */
export function authorizeKasKeyRotation(
  operatorPrivateKey: Uint8Array,
  rotation: KasKeyRotation,
  domain: Eip712Domain,
): SignedKasKeyRotation {
  assertRotationShape(rotation);
  return { ...rotation, signature: signHash(operatorPrivateKey, kasKeyRotationDigest(rotation, domain)) };
}

/** Generates a fresh (non-derivable) KAS key for `node` and the operator's authorization for it. */
export function rotateKasKey(params: {
  operatorPrivateKey: Uint8Array;
  node: Address;
  sequence: bigint;
  domain: Eip712Domain;
}): { kasKey: P256PrivateKey; authorization: SignedKasKeyRotation } {
  const kasKey = P256PrivateKey.generate();
  const authorization = authorizeKasKeyRotation(
    params.operatorPrivateKey,
    { node: params.node, kasPublicKey: kasKey.publicKey, kid: kasKey.kid, sequence: params.sequence },
    params.domain,
  );
  return { kasKey, authorization };
}

/**
 * Accepts an authorization only if it is well formed, its kid matches its key, it was signed
 * by `expectedOperator` (read from the registry, never from the peer), and — when the caller
 * knows the last accepted sequence for this node — it is newer than that.
 */
export function verifyKasKeyRotation(
  authorization: SignedKasKeyRotation,
  expected: { operator: Address; domain: Eip712Domain; node?: Address; afterSequence?: bigint },
): void {
  assertRotationShape(authorization);
  if (expected.node !== undefined && !sameAddress(expected.node, authorization.node)) {
    throw new KeyError("KEY_ROTATION_MALFORMED", "authorization is for another node");
  }
  if (expected.afterSequence !== undefined && authorization.sequence <= expected.afterSequence) {
    throw new KeyError("KEY_ROTATION_MALFORMED", "sequence is not newer than the last accepted one", {
      details: { sequence: authorization.sequence.toString(), afterSequence: expected.afterSequence.toString() },
    });
  }
  const signer = recoverAddress(kasKeyRotationDigest(authorization, expected.domain), authorization.signature);
  if (signer === undefined) throw new KeyError("KEY_INVALID_SIGNATURE", "rotation signature is not valid");
  if (!sameAddress(signer, expected.operator)) {
    throw new KeyError("KEY_ROTATION_WRONG_OPERATOR", "rotation was not signed by the node's operator", {
      details: { signer, operator: expected.operator },
    });
  }
}

/** Fixed-length wire encoding for gossiping an authorization between peers. */
export function encodeKasKeyRotation(authorization: SignedKasKeyRotation): Uint8Array {
  return concatBytes(
    new Uint8Array([ENCODING_VERSION]),
    addressToBytes(authorization.node),
    authorization.kasPublicKey,
    authorization.kid,
    u64be(authorization.sequence),
    authorization.signature,
  );
}

export function decodeKasKeyRotation(bytes: Uint8Array): SignedKasKeyRotation {
  if (bytes.length !== KAS_KEY_ROTATION_LENGTH || bytes[0] !== ENCODING_VERSION) {
    throw new KeyError("KEY_ROTATION_MALFORMED", "not a version-1 KAS key rotation", { details: { length: bytes.length } });
  }
  let offset = 1;
  const take = (n: number): Uint8Array => bytes.slice(offset, (offset += n));
  const node = toChecksumAddress(take(20));
  const kasPublicKey = take(P256_PUBLIC_KEY_LENGTH);
  const kid = take(KID_LENGTH);
  const sequence = new DataView(take(8).buffer).getBigUint64(0);
  return { node, kasPublicKey, kid, sequence, signature: take(ETH_SIGNATURE_LENGTH) };
}
