/**
 * The replication envelope: a holder sends a DEK to another validator (docs/architecture.md#replication).
 *
 * The DEK is ECIES-encrypted to the recipient's KAS key, and the whole envelope is signed by
 * the holder's node chain account (secp256k1, EIP-191 personal_sign over a 32-byte digest),
 * so the recipient — or a contract — recovers the holder's address and checks it against
 * the ValidatorRegistry; viem's recoverMessageAddress({ message: { raw: digest } }) and
 * OpenZeppelin's ECDSA.recover(toEthSignedMessageHash(digest)) agree with it. Content id,
 * recipient address, recipient KID, expiry and a random nonce are in the signed bytes and in
 * the ECIES context, so the envelope cannot be redirected to another content or recipient,
 * used after expiry, or (with a ReplayGuard) delivered twice.
 *
 * Layout (251 bytes, big endian):
 *   version        1   0x01
 *   contentId     32   keccak256(CID bytes)
 *   holder        20   sender's node address
 *   recipient     20   recipient's node address
 *   recipientKid   8   KID of the recipient KAS key the DEK is encrypted to
 *   expiresAt      8   unix seconds
 *   nonce         16   random
 *   ephemeralKey  33   ECIES ephemeral P-256 key
 *   wrappedDek    48   AES-256-GCM(DEK) ‖ tag
 *   signature     65   r‖s‖v by holder over keccak256("dekmesh/replication/v1" ‖ all bytes above)
 */
import { bytesToHex } from "viem";
import { randomBytes } from "node:crypto";
import { bytesEqual, concatBytes, readU64, u64be, utf8 } from "../keys/bytes.js";
import {
  addressToBytes,
  hashPersonalMessage,
  keccak256,
  recoverAddress,
  sameAddress,
  signHash,
  toChecksumAddress,
  type Address,
} from "../keys/ethereum.js";
import type { ChainAccount } from "../keys/hierarchy.js";
import { KasKeyRing } from "../keys/keyring.js";
import { kasKeyId } from "../keys/kid.js";
import type { P256PrivateKey } from "../keys/p256.js";
import { eciesOpen, eciesSeal } from "./ecies.js";
import { EnvelopeError } from "./errors.js";
import type { ReplayGuard } from "./replayGuard.js";

export const REPLICATION_ENVELOPE_VERSION = 1;
const METADATA_LENGTH = 1 + 32 + 20 + 20 + 8 + 8 + 16;
const SIGNED_LENGTH = METADATA_LENGTH + 33 + 48;
export const REPLICATION_ENVELOPE_LENGTH = SIGNED_LENGTH + 65;
const DOMAIN = utf8("dekmesh/replication/v1");
/** Receivers refuse envelopes valid for longer than this unless told otherwise (bounds the replay cache). */
export const DEFAULT_MAX_REPLICATION_LIFETIME = 3600n;

export interface ReplicationEnvelope {
  contentId: Uint8Array;
  holder: Address;
  recipient: Address;
  recipientKid: Uint8Array;
  expiresAt: bigint;
  nonce: Uint8Array;
}

/** The digest the holder signs (as an EIP-191 personal message of 32 raw bytes). */
export function replicationDigest(signedBytes: Uint8Array): Uint8Array {
  return keccak256(concatBytes(DOMAIN, signedBytes));
}

export function sealReplication(params: {
  dek: Uint8Array;
  contentId: Uint8Array;
  holder: ChainAccount;
  recipient: { address: Address; kasPublicKey: Uint8Array };
  expiresAt: bigint;
}): Uint8Array {
  if (params.dek.length !== 32 || params.contentId.length !== 32) {
    throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "DEK and content id must be 32 bytes");
  }
  if (params.expiresAt < 0n || params.expiresAt >= 1n << 64n) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "expiresAt must be a uint64");
  const metadata = concatBytes(
    new Uint8Array([REPLICATION_ENVELOPE_VERSION]),
    params.contentId,
    addressToBytes(params.holder.address),
    addressToBytes(params.recipient.address),
    kasKeyId(params.recipient.kasPublicKey),
    u64be(params.expiresAt),
    randomBytes(16),
  );
  const { ephemeralPublicKey, ciphertext } = eciesSeal({
    recipientPublicKey: params.recipient.kasPublicKey,
    plaintext: params.dek,
    salt: DOMAIN,
    context: metadata,
  });
  const signed = concatBytes(metadata, ephemeralPublicKey, ciphertext);
  return concatBytes(signed, signHash(params.holder.privateKey, hashPersonalMessage(replicationDigest(signed))));
}

/** Reads the public fields of an envelope without checking anything (for routing and logs). */
export function decodeReplication(envelope: Uint8Array): ReplicationEnvelope {
  if (envelope.length !== REPLICATION_ENVELOPE_LENGTH) {
    throw new EnvelopeError("ENVELOPE_MALFORMED", "replication envelope has the wrong length", { details: { length: envelope.length } });
  }
  if (envelope[0] !== REPLICATION_ENVELOPE_VERSION) {
    throw new EnvelopeError("ENVELOPE_UNSUPPORTED_VERSION", "unknown replication envelope version", { details: { version: envelope[0] } });
  }
  return {
    contentId: envelope.slice(1, 33),
    holder: toChecksumAddress(envelope.subarray(33, 53)),
    recipient: toChecksumAddress(envelope.subarray(53, 73)),
    recipientKid: envelope.slice(73, 81),
    expiresAt: readU64(envelope, 81),
    nonce: envelope.slice(89, 105),
  };
}

export interface OpenReplicationParams {
  envelope: Uint8Array;
  /** This node's address: the envelope must name it. */
  recipient: Address;
  /** This node's KAS key, or its keyring (looked up by the envelope's KID). */
  recipientKasKey: P256PrivateKey | KasKeyRing;
  /** The content this node asked for. */
  expectedContentId: Uint8Array;
  /** Current time, unix seconds. */
  now: bigint;
  /** Accept only these holders (e.g. active members of the replica set, from the indexer). */
  isAcceptedHolder?: (holder: Address) => boolean;
  replayGuard?: ReplayGuard;
  maxLifetime?: bigint;
}

export function openReplication(params: OpenReplicationParams): ReplicationEnvelope & { dek: Uint8Array } {
  const fields = decodeReplication(params.envelope);
  if (!sameAddress(fields.recipient, params.recipient)) {
    throw new EnvelopeError("ENVELOPE_WRONG_RECIPIENT", "envelope is addressed to another node", { details: { recipient: fields.recipient } });
  }
  if (!bytesEqual(fields.contentId, params.expectedContentId)) {
    throw new EnvelopeError("ENVELOPE_WRONG_CONTENT", "envelope carries another content's DEK", { details: { contentId: bytesToHex(fields.contentId) } });
  }
  if (fields.expiresAt <= params.now) throw new EnvelopeError("ENVELOPE_EXPIRED", "envelope expired", { details: { expiresAt: fields.expiresAt.toString() } });
  if (fields.expiresAt - params.now > (params.maxLifetime ?? DEFAULT_MAX_REPLICATION_LIFETIME)) {
    throw new EnvelopeError("ENVELOPE_EXPIRED", "envelope lifetime exceeds the accepted maximum", { details: { expiresAt: fields.expiresAt.toString() } });
  }
  const signed = params.envelope.subarray(0, SIGNED_LENGTH);
  const signer = recoverAddress(hashPersonalMessage(replicationDigest(signed)), params.envelope.subarray(SIGNED_LENGTH));
  if (signer === undefined || !sameAddress(signer, fields.holder)) {
    throw new EnvelopeError("ENVELOPE_BAD_SIGNATURE", "envelope is not signed by its holder");
  }
  if (params.isAcceptedHolder !== undefined && !params.isAcceptedHolder(fields.holder)) {
    throw new EnvelopeError("ENVELOPE_WRONG_SENDER", "holder is not accepted for this content", { details: { holder: fields.holder } });
  }
  if (params.replayGuard?.has(fields.nonce, params.now) === true) throw new EnvelopeError("ENVELOPE_REPLAYED", "envelope was already delivered");
  const kasKey = params.recipientKasKey instanceof KasKeyRing ? params.recipientKasKey.get(fields.recipientKid) : params.recipientKasKey;
  if (kasKey === undefined || !bytesEqual(kasKey.kid, fields.recipientKid)) {
    throw new EnvelopeError("ENVELOPE_UNKNOWN_KID", "envelope is encrypted to a KAS key this node does not hold", { details: { kid: bytesToHex(fields.recipientKid) } });
  }
  const dek = eciesOpen({
    recipientKey: kasKey,
    ephemeralPublicKey: signed.subarray(METADATA_LENGTH, METADATA_LENGTH + 33),
    ciphertext: signed.subarray(METADATA_LENGTH + 33),
    salt: DOMAIN,
    context: signed.subarray(0, METADATA_LENGTH),
  });
  params.replayGuard?.record(fields.nonce, fields.expiresAt, params.now);
  return { ...fields, dek };
}
