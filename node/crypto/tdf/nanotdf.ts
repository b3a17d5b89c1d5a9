/**
 * Whole-file NanoTDF: encrypt a buffer, parse a file's structure, decrypt it. For files
 * that do not fit comfortably in memory use stream.ts, which writes the same bytes.
 */
import { asBuffer, concatByteArrays, concatBytes, plainBytes } from "../keys/bytes.js";
import type { P256PrivateKey } from "../keys/p256.js";
import { DEFAULT_SEGMENT_SIZE, MAX_SEGMENTS, maxSegmentPlaintext } from "./constants.js";
import { createNanoTdfHeader, type NanoTdfHeaderOptions } from "./create.js";
import { checkDek, deriveDekForKas, type KasPrivateKeyInput } from "./dek.js";
import { readHeaderPolicy, verifyHeaderPolicy } from "./dekmeshPolicy.js";
import { TdfError } from "./errors.js";
import { readHeader, type NanoTdfHeader } from "./header.js";
import { ByteReader } from "./reader.js";
import {
  checkSegmentIv,
  createSegmentCipher,
  decryptSegment,
  readSegment,
  segmentAad,
  segmentedLayout,
  segmentIv,
  segmentPrefix,
  type NanoTdfSegment,
  type SegmentLayout,
} from "./segments.js";
import {
  createCreatorSignature,
  signatureSectionLength,
  splitSignature,
  verifyCreatorSignature,
  type CreatorSignature,
} from "./signature.js";

export interface EncryptNanoTdfOptions extends Omit<NanoTdfHeaderOptions, "hasSignature"> {
  plaintext: Uint8Array;
  /** Plaintext bytes per segment; files up to this size are single standard NanoTDFs. */
  segmentSize?: number;
  /** Adds the optional creator signature with this key. */
  signer?: P256PrivateKey;
}

export interface EncryptedNanoTdf {
  bytes: Uint8Array;
  /** The payload key. Validators derive it from the header; the publisher needs it only for the recovery envelope. */
  dek: Uint8Array;
  header: NanoTdfHeader;
}

export function resolveSegmentSize(segmentSize: number | undefined, tagLength: number): number {
  const size = segmentSize ?? Math.min(DEFAULT_SEGMENT_SIZE, maxSegmentPlaintext(tagLength));
  if (!Number.isInteger(size) || size < 1 || size > maxSegmentPlaintext(tagLength)) {
    throw new TdfError("TDF_INVALID_ARGUMENT", "segment size must be 1 … 2^24 − 4 − tag length", { details: { segmentSize: size } });
  }
  return size;
}

export function encryptNanoTdf(options: EncryptNanoTdfOptions): EncryptedNanoTdf {
  const { header, dek } = createNanoTdfHeader({ ...options, hasSignature: options.signer !== undefined });
  const segmentSize = resolveSegmentSize(options.segmentSize, header.tagLength);
  const plaintext = options.plaintext;
  const count = Math.max(1, Math.ceil(plaintext.length / segmentSize));
  const layout: SegmentLayout = count === 1 ? { kind: "single" } : segmentedLayout(header.bytes);
  const parts: Uint8Array[] = [header.bytes];
  for (let index = 0; index < count; index++) {
    const piece = plaintext.subarray(index * segmentSize, Math.min(plaintext.length, (index + 1) * segmentSize));
    const iv = segmentIv(index);
    const cipher = createSegmentCipher(dek, iv, header.tagLength, segmentAad(layout, index, index === count - 1));
    parts.push(segmentPrefix(piece.length, iv, header.tagLength), cipher.update(asBuffer(piece)));
    cipher.final();
    parts.push(cipher.getAuthTag());
  }
  if (options.signer === undefined) return { bytes: concatByteArrays(parts), dek, header };
  const signed = concatByteArrays(parts);
  return { bytes: concatBytes(signed, createCreatorSignature(options.signer, { data: signed })), dek, header };
}

export interface NanoTdfFile {
  header: NanoTdfHeader;
  layout: SegmentLayout;
  segments: NanoTdfSegment[];
  signature?: CreatorSignature;
  /** Length of everything the creator signature covers (header and segments). */
  signedLength: number;
}

/** Parses a file's structure (no keys needed, nothing decrypted). */
export function decodeNanoTdf(bytes: Uint8Array): NanoTdfFile {
  const reader = new ByteReader(bytes);
  const header = readHeader(reader);
  const signatureLength = signatureSectionLength(header);
  const segments: NanoTdfSegment[] = [];
  do {
    if (segments.length === MAX_SEGMENTS) throw new TdfError("TDF_INVALID_SEGMENT", "more segments than 3-byte IVs");
    segments.push(readSegment(reader, header.tagLength));
    if (reader.remaining < signatureLength) {
      throw new TdfError("TDF_TRUNCATED", "input ends inside the signature", {
        details: { field: "signature", needed: signatureLength, available: reader.remaining },
      });
    }
  } while (reader.remaining > signatureLength);
  const layout: SegmentLayout = segments.length === 1 ? { kind: "single" } : segmentedLayout(header.bytes);
  segments.forEach((segment, index) => checkSegmentIv(layout, index, segment.iv));
  const signedLength = reader.offset;
  const file: NanoTdfFile = { header, layout, segments, signedLength };
  if (signatureLength > 0) file.signature = splitSignature(reader.bytes(signatureLength, "signature"), header.signatureCurve);
  return file;
}

export interface DecryptNanoTdfOptions {
  bytes: Uint8Array;
  /** The DEK (from a rewrap), or a KAS private key/keyring to derive it (validator side). */
  dek?: Uint8Array;
  kasPrivateKey?: KasPrivateKeyInput;
  /** Refuse unless the header is bound to this policy id. */
  expectedPolicyId?: bigint;
  /**
   * Check the dekmesh policy binding even without an expected id (default true). That check
   * is what authenticates the header bytes a single-segment payload does not cover; turn it
   * off only for foreign NanoTDFs (e.g. remote policies) whose headers you trust otherwise.
   */
  checkPolicyBinding?: boolean;
  /** Require a creator signature by this compressed P-256 key. */
  expectedSigner?: Uint8Array;
}

export function resolveDek(header: NanoTdfHeader, options: { dek?: Uint8Array; kasPrivateKey?: KasPrivateKeyInput }): Uint8Array {
  if (options.dek !== undefined) return checkDek(options.dek);
  if (options.kasPrivateKey !== undefined) return deriveDekForKas(header, options.kasPrivateKey);
  throw new TdfError("TDF_INVALID_ARGUMENT", "need a DEK or a KAS private key");
}

export function checkHeader(header: NanoTdfHeader, dek: Uint8Array, options: { expectedPolicyId?: bigint; checkPolicyBinding?: boolean }): void {
  if (options.expectedPolicyId !== undefined) verifyHeaderPolicy(header, dek, options.expectedPolicyId);
  else if (options.checkPolicyBinding !== false) readHeaderPolicy(header, dek);
}

function checkSignature(file: NanoTdfFile, bytes: Uint8Array, expectedSigner: Uint8Array | undefined): void {
  if (file.signature !== undefined) {
    verifyCreatorSignature(file.header.signatureCurve, file.signature, { data: bytes.subarray(0, file.signedLength) }, expectedSigner);
  } else if (expectedSigner !== undefined) {
    throw new TdfError("TDF_SIGNATURE_INVALID", "file carries no creator signature");
  }
}

/**
 * Checks a file's creator signature (ECDSA-P256-SHA256 over everything before it) without
 * decrypting; throws TDF_SIGNATURE_INVALID if it is missing or wrong.
 */
export function verifyNanoTdfSignature(bytes: Uint8Array, expectedSigner?: Uint8Array): CreatorSignature {
  const file = decodeNanoTdf(bytes);
  if (file.signature === undefined) throw new TdfError("TDF_SIGNATURE_INVALID", "file carries no creator signature");
  checkSignature(file, bytes, expectedSigner);
  return file.signature;
}

export function decryptNanoTdf(options: DecryptNanoTdfOptions): Uint8Array {
  const file = decodeNanoTdf(options.bytes);
  const dek = resolveDek(file.header, options);
  checkHeader(file.header, dek, options);
  checkSignature(file, options.bytes, options.expectedSigner);
  const last = file.segments.length - 1;
  const pieces = file.segments.flatMap((segment, index) =>
    decryptSegment(dek, segment, segmentAad(file.layout, index, index === last), index),
  );
  return pieces.length === 1 ? plainBytes(pieces[0]!) : concatByteArrays(pieces);
}
