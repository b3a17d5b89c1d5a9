/**
 * Streaming encryption and decryption in constant memory: at most one segment (default
 * 1 MiB) plus a small lookahead is buffered in either direction, whatever the file size.
 * The format is exactly encryptNanoTdf's for the same segment size.
 */
import { asBuffer, plainBytes } from "../keys/bytes.js";
import type { P256PrivateKey } from "../keys/p256.js";
import { ChunkQueue, type ByteSource } from "./chunkQueue.js";
import { PAYLOAD_IV_LENGTH } from "./constants.js";
import { createNanoTdfHeader, type NanoTdfHeaderOptions } from "./create.js";
import { checkDek, type KasPrivateKeyInput } from "./dek.js";
import { TdfError, type TdfErrorCode } from "./errors.js";
import { decodeHeader, type NanoTdfHeader } from "./header.js";
import { checkHeader, resolveDek, resolveSegmentSize } from "./nanotdf.js";
import {
  checkSegmentIv,
  createSegmentCipher,
  decryptSegment,
  segmentAad,
  segmentedLayout,
  segmentIv,
  segmentPrefix,
  type SegmentLayout,
} from "./segments.js";
import {
  createCreatorSignature,
  signatureSectionLength,
  signedContentHasher,
  splitSignature,
  verifyCreatorSignature,
} from "./signature.js";

/** Largest possible header: locator 289, policy with key access 65,895, ECDSA-P521 binding, P-521 key. */
const MAX_HEADER_LENGTH = 3 + 289 + 2 + 65_895 + 132 + 67;

export interface EncryptStreamOptions extends Omit<NanoTdfHeaderOptions, "hasSignature"> {
  segmentSize?: number;
  signer?: P256PrivateKey;
}

export interface EncryptedStream {
  header: NanoTdfHeader;
  dek: Uint8Array;
  /** The encrypted file, chunk by chunk; consume it once. */
  ciphertext: AsyncIterable<Uint8Array>;
  /** The same bytes as a Web ReadableStream. */
  readable(): ReadableStream<Uint8Array>;
}

export function toReadableStream(iterable: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

export function encryptStream(source: ByteSource, options: EncryptStreamOptions): EncryptedStream {
  const { header, dek } = createNanoTdfHeader({ ...options, hasSignature: options.signer !== undefined });
  const segmentSize = resolveSegmentSize(options.segmentSize, header.tagLength);
  const ciphertext = encryptSegments(source, header, dek, segmentSize, options.signer);
  return { header, dek, ciphertext, readable: () => toReadableStream(ciphertext) };
}

async function* encryptSegments(
  source: ByteSource,
  header: NanoTdfHeader,
  dek: Uint8Array,
  segmentSize: number,
  signer: P256PrivateKey | undefined,
): AsyncGenerator<Uint8Array> {
  const hasher = signer === undefined ? undefined : signedContentHasher();
  const emit = (bytes: Uint8Array): Uint8Array => {
    hasher?.update(bytes);
    return bytes;
  };
  const queue = new ChunkQueue(source);
  try {
    yield emit(header.bytes);
    let layout: SegmentLayout | undefined;
    for (let index = 0; ; index++) {
      // More than a segment's worth left means this segment is not the last one.
      const final = !(await queue.fill(segmentSize + 1));
      layout ??= final ? { kind: "single" } : segmentedLayout(header.bytes);
      const length = final ? queue.buffered : segmentSize;
      const iv = segmentIv(index);
      const cipher = createSegmentCipher(dek, iv, header.tagLength, segmentAad(layout, index, final));
      yield emit(segmentPrefix(length, iv, header.tagLength));
      for (const piece of queue.take(length)) yield emit(plainBytes(cipher.update(asBuffer(piece))));
      cipher.final();
      yield emit(plainBytes(cipher.getAuthTag()));
      if (final) break;
    }
    if (signer !== undefined) yield createCreatorSignature(signer, { digest: hasher!.digest() });
  } finally {
    await queue.cancel();
  }
}

export interface DecryptStreamOptions {
  dek?: Uint8Array;
  kasPrivateKey?: KasPrivateKeyInput;
  /** Called once the header is read; returns its DEK (the client asks a validator to rewrap). */
  getDek?: (header: NanoTdfHeader) => Uint8Array | Promise<Uint8Array>;
  expectedPolicyId?: bigint;
  /** See DecryptNanoTdfOptions.checkPolicyBinding (default true). */
  checkPolicyBinding?: boolean;
  expectedSigner?: Uint8Array;
}

function truncated(field: string, needed: number, available: number): TdfError {
  return new TdfError("TDF_TRUNCATED", `input ends inside ${field}`, { details: { field, needed, available } });
}

async function readStreamHeader(queue: ChunkQueue): Promise<NanoTdfHeader> {
  let want = 1024;
  for (;;) {
    const complete = await queue.fill(want);
    try {
      const header = decodeHeader(queue.peek(queue.buffered));
      queue.take(header.bytes.length);
      return header;
    } catch (error) {
      const code: TdfErrorCode | undefined = error instanceof TdfError ? error.code : undefined;
      if (code !== "TDF_TRUNCATED" || !complete || want >= MAX_HEADER_LENGTH) throw error;
      // Grow geometrically so a source of tiny chunks costs O(n log n), not O(n²).
      want = Math.min(want * 4, MAX_HEADER_LENGTH);
    }
  }
}

/**
 * Decrypts a NanoTDF stream, releasing each segment's plaintext only after its tag
 * verified. A creator signature, if present, can only be checked at the end: by then the
 * (individually authenticated) plaintext has been released, and a bad signature ends the
 * stream with TDF_SIGNATURE_INVALID.
 */
export async function* decryptStream(source: ByteSource, options: DecryptStreamOptions): AsyncGenerator<Uint8Array> {
  const queue = new ChunkQueue(source);
  try {
    const header = await readStreamHeader(queue);
    const dek =
      options.getDek !== undefined && options.dek === undefined ? checkDek(await options.getDek(header)) : resolveDek(header, options);
    checkHeader(header, dek, options);
    const signatureLength = signatureSectionLength(header);
    const hasher = signatureLength > 0 ? signedContentHasher().update(header.bytes) : undefined;
    const tagLength = header.tagLength;
    let layout: SegmentLayout | undefined;
    for (let index = 0; ; index++) {
      if (!(await queue.fill(3))) throw truncated("payload length", 3, queue.buffered);
      const lengthBytes = queue.peek(3);
      const length = (lengthBytes[0]! << 16) | (lengthBytes[1]! << 8) | lengthBytes[2]!;
      if (length < PAYLOAD_IV_LENGTH + tagLength) {
        throw new TdfError("TDF_INVALID_PAYLOAD", "payload shorter than IV and tag", { details: { length, segment: index } });
      }
      // The segment plus a lookahead that tells whether another segment follows it.
      await queue.fill(3 + length + signatureLength + 1);
      if (queue.buffered < 3 + length) throw truncated("payload", 3 + length, queue.buffered);
      const rest = queue.buffered - 3 - length;
      if (rest < signatureLength) throw truncated("signature", signatureLength, rest);
      const final = rest === signatureLength;
      layout ??= final ? { kind: "single" } : segmentedLayout(header.bytes);

      const framing = queue.takeContiguous(3 + PAYLOAD_IV_LENGTH);
      const iv = (framing[3]! << 16) | (framing[4]! << 8) | framing[5]!;
      checkSegmentIv(layout, index, iv);
      const ciphertext = queue.take(length - PAYLOAD_IV_LENGTH - tagLength);
      const tag = queue.takeContiguous(tagLength);
      if (hasher !== undefined) {
        hasher.update(framing);
        for (const piece of ciphertext) hasher.update(piece);
        hasher.update(tag);
      }
      const plaintext = decryptSegment(dek, { iv, ciphertext, tag }, segmentAad(layout, index, final), index);
      for (const piece of plaintext) if (piece.length > 0) yield plainBytes(piece);
      if (final) break;
    }
    if (hasher !== undefined) {
      const signature = splitSignature(queue.takeContiguous(signatureLength), header.signatureCurve);
      verifyCreatorSignature(header.signatureCurve, signature, { digest: hasher.digest() }, options.expectedSigner);
    } else if (options.expectedSigner !== undefined) {
      throw new TdfError("TDF_SIGNATURE_INVALID", "file carries no creator signature");
    }
  } finally {
    await queue.cancel();
  }
}
