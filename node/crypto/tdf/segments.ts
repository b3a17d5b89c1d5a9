/**
 * Payload segments. A NanoTDF payload is `u24 length ‖ IV(3) ‖ ciphertext ‖ tag`, at most
 * 2^24 − 1 bytes after the length. dekmesh carries larger plaintexts as a sequence of such
 * payloads under the one header and DEK (docs/architecture.md#content-format):
 *
 *   header ‖ segment 0 ‖ segment 1 ‖ … ‖ segment n−1 [‖ creator signature]
 *
 * - n = 1 (plaintext ≤ segment size): a plain standard NanoTDF, no AAD, IV 000001.
 * - n ≥ 2: segment i uses IV i+1 (IV 0 stays reserved for the policy) and
 *   AAD = 0x01 ‖ SHA-256(header bytes) ‖ u32 i ‖ u8 final, final = 1 only for i = n−1.
 *   The index stops reordering and duplication, the final flag stops truncation at a
 *   segment boundary (the new last segment was sealed with final = 0), and the header
 *   digest stops splicing segments between files. Cutting a segmented file down to its
 *   first segment yields something that looks single-segment, but that segment was sealed
 *   with AAD and fails to open without it.
 * Every IV is used once per DEK, and the DEK is fresh per file, so no (key, nonce) repeats.
 */
import { createCipheriv, createDecipheriv, createHash, type CipherGCM } from "node:crypto";
import { asBuffer, concatBytes, u24be, u32be } from "../keys/bytes.js";
import { MAX_SEGMENTS, NONCE_PADDING_LENGTH, PAYLOAD_IV_LENGTH } from "./constants.js";
import { TdfError } from "./errors.js";
import type { ByteReader } from "./reader.js";

export interface NanoTdfSegment {
  iv: number;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

/** How segments are sealed: a lone standard payload, or a bound sequence. */
export type SegmentLayout = { kind: "single" } | { kind: "segmented"; headerDigest: Uint8Array };

const SEGMENT_AAD_VERSION = 1;

export function segmentedLayout(headerBytes: Uint8Array): SegmentLayout {
  return { kind: "segmented", headerDigest: new Uint8Array(createHash("sha256").update(headerBytes).digest()) };
}

export function segmentNonce(iv: number): Buffer {
  const nonce = Buffer.alloc(NONCE_PADDING_LENGTH + PAYLOAD_IV_LENGTH);
  nonce.writeUIntBE(iv, NONCE_PADDING_LENGTH, PAYLOAD_IV_LENGTH);
  return nonce;
}

export function segmentAad(layout: SegmentLayout, index: number, final: boolean): Uint8Array | undefined {
  if (layout.kind === "single") return undefined;
  return concatBytes(new Uint8Array([SEGMENT_AAD_VERSION]), layout.headerDigest, u32be(index), new Uint8Array([final ? 1 : 0]));
}

/** IV of segment `index`: counters from 1, so IV 0 (the policy's) is never reused. */
export function segmentIv(index: number): number {
  if (index + 1 > MAX_SEGMENTS) {
    throw new TdfError("TDF_INVALID_SEGMENT", "more segments than 3-byte IVs", { details: { index } });
  }
  return index + 1;
}

/** The 6 bytes before a segment's ciphertext: u24 length (IV + ciphertext + tag) ‖ u24 IV. */
export function segmentPrefix(plaintextLength: number, iv: number, tagLength: number): Uint8Array {
  return concatBytes(u24be(PAYLOAD_IV_LENGTH + plaintextLength + tagLength), u24be(iv));
}

export function createSegmentCipher(dek: Uint8Array, iv: number, tagLength: number, aad: Uint8Array | undefined): CipherGCM {
  const cipher = createCipheriv("aes-256-gcm", asBuffer(dek), segmentNonce(iv), { authTagLength: tagLength });
  if (aad !== undefined) cipher.setAAD(asBuffer(aad));
  return cipher;
}

/** Reads one segment's framing; lengths are checked before anything is sliced. */
export function readSegment(reader: ByteReader, tagLength: number): NanoTdfSegment {
  const lengthOffset = reader.offset;
  const length = reader.u24("payload length");
  if (length < PAYLOAD_IV_LENGTH + tagLength) {
    throw new TdfError("TDF_INVALID_PAYLOAD", "payload shorter than IV and tag", { details: { length, offset: lengthOffset } });
  }
  if (length > reader.remaining) {
    throw new TdfError("TDF_TRUNCATED", "input ends inside the payload", {
      details: { field: "payload", offset: reader.offset, needed: length, available: reader.remaining },
    });
  }
  const iv = reader.u24("payload IV");
  const ciphertext = reader.bytes(length - PAYLOAD_IV_LENGTH - tagLength, "payload ciphertext");
  const tag = reader.bytes(tagLength, "payload tag");
  return { iv, ciphertext, tag };
}

/** Checks a segment's IV against the layout before any decryption is attempted. */
export function checkSegmentIv(layout: SegmentLayout, index: number, iv: number): void {
  if (layout.kind === "single" ? iv === 0 : iv !== segmentIv(index)) {
    throw new TdfError("TDF_INVALID_SEGMENT", layout.kind === "single" ? "payload uses the reserved IV 000000" : "segment IV does not match its position", {
      details: { index, iv },
    });
  }
}

/**
 * Decrypts one segment; the plaintext is returned only after the tag verified. Ciphertext
 * may come in pieces (streams) so it never has to be copied into one buffer.
 */
export function decryptSegment(
  dek: Uint8Array,
  segment: { iv: number; ciphertext: Uint8Array | readonly Uint8Array[]; tag: Uint8Array },
  aad: Uint8Array | undefined,
  index: number,
): Buffer[] {
  const decipher = createDecipheriv("aes-256-gcm", asBuffer(dek), segmentNonce(segment.iv), { authTagLength: segment.tag.length });
  if (aad !== undefined) decipher.setAAD(asBuffer(aad));
  decipher.setAuthTag(asBuffer(segment.tag));
  const pieces = segment.ciphertext instanceof Uint8Array ? [segment.ciphertext] : segment.ciphertext;
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(decipher.update(asBuffer(piece)));
  try {
    const tail = decipher.final();
    if (tail.length > 0) out.push(tail);
  } catch (cause) {
    for (const piece of out) piece.fill(0);
    throw new TdfError("TDF_DECRYPT_FAILED", "payload failed authentication", { details: { segment: index }, cause });
  }
  return out;
}
