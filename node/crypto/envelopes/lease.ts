/**
 * The offline lease (docs/crypto.md#envelopes, "Offline lease"): a validator seals a DEK to a reader's
 * device key for playback without a connection, and signs the terms with its KAS key.
 *
 * The terms (content, reader, device key, notAfter, maxPlays, validator, KAS KID) are in the
 * ECIES context and under the signature, so a lease opens only with its device key and only
 * as issued. Expiry and the play count are checked by the opening client: they bind honest
 * clients only — a reader who patches its player can ignore them, exactly as with Widevine or
 * FairPlay leases, whose players enforce them. What the publisher gets instead is the audit
 * record of the issue (one audited rewrap per lease) and the policy's `maxLeaseSeconds`.
 *
 * Layout (271 bytes, big endian):
 *   version          1   0x01
 *   contentId       32   keccak256(CID bytes)
 *   reader          20   the reader's account
 *   deviceKey       33   the reader's device P-256 key, compressed
 *   notAfter         8   unix seconds
 *   maxPlays         4   uint32, 0 = unlimited
 *   validator       20   the issuing validator's node address
 *   kid              8   KID of the KAS key that signed
 *   ephemeralKey    33   ECIES ephemeral P-256 key
 *   sealedDek       48   AES-256-GCM(DEK) ‖ tag
 *   signature       64   ECDSA-P256-SHA256 r‖s by the validator's KAS key over
 *                        "dekmesh/lease/v1" ‖ all bytes above
 */
import { bytesEqual, concatBytes, readU64, u32be, u64be, utf8 } from "../keys/bytes.js";
import { addressToBytes, toChecksumAddress, type Address } from "../keys/ethereum.js";
import { kasKeyId } from "../keys/kid.js";
import { isCompressedP256PublicKey, verifyP256Signature, type P256PrivateKey } from "../keys/p256.js";
import { eciesOpen, eciesSeal } from "./ecies.js";
import { EnvelopeError } from "./errors.js";

export const LEASE_VERSION = 1;
const TERMS_LENGTH = 1 + 32 + 20 + 33 + 8 + 4 + 20 + 8;
const SIGNED_LENGTH = TERMS_LENGTH + 33 + 48;
export const LEASE_LENGTH = SIGNED_LENGTH + 64;
const DOMAIN = utf8("dekmesh/lease/v1");
const MAX_U32 = 0xffff_ffff;

export interface LeaseTerms {
  contentId: Uint8Array;
  reader: Address;
  devicePublicKey: Uint8Array;
  /** Unix seconds; the lease opens while now < notAfter. */
  notAfter: bigint;
  /** Plays allowed; 0 = unlimited. */
  maxPlays: number;
  validator: Address;
  kid: Uint8Array;
}

export interface IssueLeaseParameters extends Omit<LeaseTerms, "kid"> {
  dek: Uint8Array;
  /** The issuing validator's current KAS key: seals nothing, signs the lease. */
  kasKey: P256PrivateKey;
}

/** Validator side, after every rewrap check passed and the audit record is persisted. */
export function issueLease(params: IssueLeaseParameters): Uint8Array {
  if (params.dek.length !== 32 || params.contentId.length !== 32) {
    throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "DEK and content id must be 32 bytes");
  }
  if (!isCompressedP256PublicKey(params.devicePublicKey)) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "device key must be a compressed P-256 point");
  if (params.notAfter <= 0n || params.notAfter >= 1n << 64n) throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "notAfter must be a positive uint64");
  if (!Number.isInteger(params.maxPlays) || params.maxPlays < 0 || params.maxPlays > MAX_U32) {
    throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "maxPlays must be a uint32");
  }
  const terms = concatBytes(
    new Uint8Array([LEASE_VERSION]),
    params.contentId,
    addressToBytes(params.reader),
    params.devicePublicKey,
    u64be(params.notAfter),
    u32be(params.maxPlays),
    addressToBytes(params.validator),
    kasKeyId(params.kasKey.publicKey),
  );
  let sealed: ReturnType<typeof eciesSeal>;
  try {
    sealed = eciesSeal({ recipientPublicKey: params.devicePublicKey, plaintext: params.dek, salt: DOMAIN, context: terms });
  } catch (cause) {
    throw new EnvelopeError("ENVELOPE_INVALID_ARGUMENT", "device key is not a point on P-256", { cause });
  }
  const signed = concatBytes(terms, sealed.ephemeralPublicKey, sealed.ciphertext);
  return concatBytes(signed, params.kasKey.sign(concatBytes(DOMAIN, signed)));
}

/** Reads a lease's terms without checking anything (for listing a keystore). */
export function decodeLease(lease: Uint8Array): LeaseTerms {
  if (lease.length !== LEASE_LENGTH) throw new EnvelopeError("ENVELOPE_MALFORMED", "lease has the wrong length", { details: { length: lease.length } });
  if (lease[0] !== LEASE_VERSION) throw new EnvelopeError("ENVELOPE_UNSUPPORTED_VERSION", "unknown lease version", { details: { version: lease[0] } });
  const view = new DataView(lease.buffer, lease.byteOffset, lease.byteLength);
  return {
    contentId: lease.slice(1, 33),
    reader: toChecksumAddress(lease.subarray(33, 53)),
    devicePublicKey: lease.slice(53, 86),
    notAfter: readU64(lease, 86),
    maxPlays: view.getUint32(94),
    validator: toChecksumAddress(lease.subarray(98, 118)),
    kid: lease.slice(118, 126),
  };
}

export interface OpenLeaseParameters {
  lease: Uint8Array;
  /** The reader's device key. */
  deviceKey: P256PrivateKey;
  /** The KAS public key the chain lists for (lease.validator, lease.kid). */
  validatorKasPublicKey: Uint8Array;
  /** Current time, unix seconds. */
  now: bigint;
  /** Plays already counted for this lease by this client. */
  playsUsed: number;
}

/** Client side: checks signature, device, expiry and plays, then opens the DEK — all offline. */
export function openLease(params: OpenLeaseParameters): LeaseTerms & { dek: Uint8Array } {
  const terms = decodeLease(params.lease);
  if (!bytesEqual(kasKeyId(params.validatorKasPublicKey), terms.kid)) {
    throw new EnvelopeError("ENVELOPE_UNKNOWN_KID", "lease is signed by another KAS key", { details: { validator: terms.validator } });
  }
  const signed = params.lease.subarray(0, SIGNED_LENGTH);
  if (!verifyP256Signature(params.validatorKasPublicKey, concatBytes(DOMAIN, signed), params.lease.subarray(SIGNED_LENGTH))) {
    throw new EnvelopeError("ENVELOPE_BAD_SIGNATURE", "lease is not signed by its validator's KAS key");
  }
  if (!bytesEqual(terms.devicePublicKey, params.deviceKey.publicKey)) {
    throw new EnvelopeError("ENVELOPE_WRONG_RECIPIENT", "lease is sealed to another device key");
  }
  if (terms.notAfter <= params.now) throw new EnvelopeError("ENVELOPE_EXPIRED", "lease expired", { details: { notAfter: terms.notAfter.toString() } });
  if (terms.maxPlays !== 0 && params.playsUsed >= terms.maxPlays) {
    throw new EnvelopeError("ENVELOPE_PLAYS_EXHAUSTED", "lease has no plays left", { details: { maxPlays: terms.maxPlays } });
  }
  const dek = eciesOpen({
    recipientKey: params.deviceKey,
    ephemeralPublicKey: signed.subarray(TERMS_LENGTH, TERMS_LENGTH + 33),
    ciphertext: signed.subarray(TERMS_LENGTH + 33),
    salt: DOMAIN,
    context: signed.subarray(0, TERMS_LENGTH),
  });
  return { ...terms, dek };
}
