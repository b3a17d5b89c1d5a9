/**
 * The NanoTDF header (spec §3.3.1):
 *
 *   magic+version  3   "L1L"
 *   KAS            3…289  resource locator (dekmesh: validator URL + 8-byte KID)
 *   ECC mode       1   bit 7 ECDSA binding, bits 3–6 unused (must be 0), bits 0–2 curve
 *   symmetric cfg  1   bit 7 has signature, bits 4–6 signature curve, bits 0–3 cipher (tag size)
 *   policy         …   see policy.ts
 *   ephemeral key  33/49/67  compressed point on the ECC-mode curve
 */
import { concatBytes } from "../keys/bytes.js";
import { COMPRESSED_KEY_LENGTH, ECC_CURVES, GCM_TAG_LENGTHS, MAGIC_AND_VERSION, type EccCurve } from "./constants.js";
import { TdfError } from "./errors.js";
import { encodeLocator, readLocator, type ResourceLocator } from "./locator.js";
import { assertCompressedKey, encodePolicy, readPolicy, type NanoTdfPolicy } from "./policy.js";
import { ByteReader } from "./reader.js";

export interface NanoTdfHeaderFields {
  kas: ResourceLocator;
  curve: EccCurve;
  useEcdsaBinding: boolean;
  hasSignature: boolean;
  /** Curve of the optional creator signature (meaningful when hasSignature). */
  signatureCurve: EccCurve;
  /** AES-256-GCM tag length in bytes: 8, 12, 13, 14, 15 or 16. */
  tagLength: number;
  policy: NanoTdfPolicy;
  ephemeralPublicKey: Uint8Array;
}

export interface NanoTdfHeader extends Readonly<NanoTdfHeaderFields> {
  /** The exact encoded header. */
  readonly bytes: Uint8Array;
  /**
   * Offset in `bytes` where the embedded policy content starts (after its u16 length);
   * the bytes before it are what dekmesh's policy binding authenticates besides the policy.
   */
  readonly policyContentOffset: number;
}

function eccModeByte(fields: NanoTdfHeaderFields): number {
  return (fields.useEcdsaBinding ? 0x80 : 0) | ECC_CURVES.indexOf(fields.curve);
}

function symmetricConfigByte(fields: NanoTdfHeaderFields): number {
  const cipher = (GCM_TAG_LENGTHS as readonly number[]).indexOf(fields.tagLength);
  if (cipher < 0) throw new TdfError("TDF_UNSUPPORTED_CIPHER", "tag length has no cipher enum value", { details: { tagLength: fields.tagLength } });
  return (fields.hasSignature ? 0x80 : 0) | (ECC_CURVES.indexOf(fields.signatureCurve) << 4) | cipher;
}

function curveAt(code: number, field: string, offset: number): EccCurve {
  const curve = ECC_CURVES[code];
  if (curve === undefined) throw new TdfError("TDF_UNSUPPORTED_CURVE", `${field} names an unknown curve`, { details: { code, offset } });
  return curve;
}

export function encodeHeader(fields: NanoTdfHeaderFields): NanoTdfHeader {
  if (!ECC_CURVES.includes(fields.curve) || !ECC_CURVES.includes(fields.signatureCurve)) {
    throw new TdfError("TDF_UNSUPPORTED_CURVE", "unknown curve");
  }
  assertCompressedKey(fields.ephemeralPublicKey, fields.curve, "ephemeral key");
  const bytes = concatBytes(
    MAGIC_AND_VERSION,
    encodeLocator(fields.kas),
    new Uint8Array([eccModeByte(fields), symmetricConfigByte(fields)]),
    encodePolicy(fields.policy, fields.curve, fields.useEcdsaBinding),
    fields.ephemeralPublicKey,
  );
  // Re-reading our own encoding gives the offsets and guarantees encode/decode agree.
  return decodeHeader(bytes, { exact: true });
}

/** Reads a header at the reader's position (the reader must start at the magic bytes). */
export function readHeader(reader: ByteReader): NanoTdfHeader {
  const start = reader.offset;
  const magic = reader.bytes(3, "magic and version");
  if (magic[0] !== MAGIC_AND_VERSION[0] || magic[1] !== MAGIC_AND_VERSION[1] || magic[2] !== MAGIC_AND_VERSION[2]) {
    throw new TdfError("TDF_BAD_MAGIC", "not a NanoTDF v1 (magic L1L)", { details: { offset: start } });
  }
  const kas = readLocator(reader, "KAS locator");

  const eccOffset = reader.offset;
  const ecc = reader.u8("ECC mode");
  if ((ecc & 0x78) !== 0) throw new TdfError("TDF_RESERVED_BITS", "unused ECC mode bits are set", { details: { ecc, offset: eccOffset } });
  const useEcdsaBinding = (ecc & 0x80) !== 0;
  const curve = curveAt(ecc & 0x07, "ECC mode", eccOffset);

  const symOffset = reader.offset;
  const sym = reader.u8("symmetric and payload config");
  const hasSignature = (sym & 0x80) !== 0;
  const signatureCurve = curveAt((sym >> 4) & 0x07, "signature ECC mode", symOffset);
  const tagLength = GCM_TAG_LENGTHS[sym & 0x0f];
  if (tagLength === undefined) {
    throw new TdfError("TDF_UNSUPPORTED_CIPHER", "unknown symmetric cipher", { details: { cipher: sym & 0x0f, offset: symOffset } });
  }

  const policyStart = reader.offset;
  const policy = readPolicy(reader, curve, useEcdsaBinding);
  // type byte + u16 length precede embedded content; a remote policy has no content.
  const policyContentOffset = policy.type === "remote" ? policyStart - start + 1 : policyStart - start + 3;

  const ephemeralPublicKey = reader.bytes(COMPRESSED_KEY_LENGTH[curve], "ephemeral key").slice();
  assertCompressedKey(ephemeralPublicKey, curve, "ephemeral key");
  return {
    kas,
    curve,
    useEcdsaBinding,
    hasSignature,
    signatureCurve,
    tagLength,
    policy,
    ephemeralPublicKey,
    bytes: reader.bytesBefore(start),
    policyContentOffset,
  };
}

/**
 * Decodes the header at the start of `bytes` (a whole file, or just a header). With
 * `exact`, anything after the header is an error — use it for header bytes registered on
 * chain, where trailing bytes would ride along unauthenticated.
 */
export function decodeHeader(bytes: Uint8Array, options: { exact?: boolean } = {}): NanoTdfHeader {
  const reader = new ByteReader(bytes);
  const header = readHeader(reader);
  if (options.exact === true && reader.remaining !== 0) {
    throw new TdfError("TDF_TRAILING_DATA", "bytes follow the header", { details: { headerLength: header.bytes.length, extra: reader.remaining } });
  }
  return header;
}

/** The KID the header's KAS locator names (its 8-byte identifier), if any. */
export function headerKid(header: NanoTdfHeader): Uint8Array | undefined {
  const id = header.kas.identifier;
  return id !== undefined && id.length === 8 ? id : undefined;
}
