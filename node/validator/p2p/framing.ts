import type { Stream } from "@libp2p/interface";
import { MAX_VARINT_BYTES } from "./constants.js";
import { abortError, P2pError } from "./errors.js";

/**
 * Frames on the wire: an unsigned LEB128 varint (minimal encoding, at most 5 bytes) holding the
 * body length, then the body. One frame per direction per stream.
 */

export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a varint: ${value}`);
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

export function encodeFrame(body: Uint8Array): Uint8Array {
  const prefix = encodeVarint(body.byteLength);
  const frame = new Uint8Array(prefix.byteLength + body.byteLength);
  frame.set(prefix, 0);
  frame.set(body, prefix.byteLength);
  return frame;
}

/**
 * Reads frames from a libp2p stream. It listens to the stream's events instead of iterating it:
 * the stream's iterator drops buffered bytes when the remote resets, and an error answer sent
 * just before a reset must still be read.
 *
 * It never buffers more than `maxBufferedBytes`: bytes beyond that are dropped, since no frame
 * this reader will accept can need them.
 */
export class FrameReader {
  readonly #chunks: Uint8Array[] = [];
  readonly #maxBufferedBytes: number;
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(stream: Stream, maxBufferedBytes: number) {
    this.#maxBufferedBytes = maxBufferedBytes;
    stream.addEventListener("message", (event) => {
      const data = event.data instanceof Uint8Array ? event.data : event.data.subarray();
      const room = this.#maxBufferedBytes - this.#buffered;
      if (room <= 0) return;
      const kept = data.byteLength > room ? data.subarray(0, room) : data;
      this.#chunks.push(kept);
      this.#buffered += kept.byteLength;
      this.#notify();
    });
    stream.addEventListener("remoteCloseWrite", () => this.#end(undefined));
    stream.addEventListener("close", (event) => this.#end(event.error));
    if (stream.status !== "open" || stream.remoteWriteStatus === "closed") this.#ended = true;
  }

  /**
   * Reads one frame whose body is at most `maxBytes` long. An oversized length prefix is refused
   * as soon as enough prefix bytes have arrived to prove it, before any body byte is read and
   * without allocating the body.
   */
  async readFrame(maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
    let length = 0;
    let scale = 1;
    for (let index = 0; ; index++) {
      const byte = await this.#readByte(signal, index);
      length += (byte & 0x7f) * scale;
      scale *= 0x80;
      const more = (byte & 0x80) !== 0;
      // With another prefix byte to come the length is at least `scale`.
      if ((more ? scale : length) > maxBytes) {
        throw new P2pError("P2P_MESSAGE_TOO_LARGE", "frame length above the protocol limit", {
          details: { limit: maxBytes, ...(more ? { atLeast: scale } : { length }) },
        });
      }
      if (!more) {
        if (byte === 0 && index > 0) {
          throw new P2pError("P2P_MALFORMED", "length prefix is not minimally encoded");
        }
        break;
      }
      if (index + 1 >= MAX_VARINT_BYTES) {
        throw new P2pError("P2P_MALFORMED", "length prefix too long");
      }
    }
    return this.#readExactly(length, signal);
  }

  /**
   * Resolves once the first request byte has arrived (or the stream ended). A responder that
   * refuses without reading must wait for it: the requester only writes after its protocol
   * negotiation has finished, and an answer that arrives before then is lost.
   */
  async waitForFirstByte(signal: AbortSignal): Promise<void> {
    if (this.#buffered > 0 || this.#ended) return;
    try {
      await this.#waitForData(signal, { prefixBytes: 0 });
    } catch {
      // Ended or aborted: either way there is nothing left to wait for.
    }
  }

  async #readByte(signal: AbortSignal, index: number): Promise<number> {
    while (this.#buffered === 0) await this.#waitForData(signal, { prefixBytes: index });
    const first = this.#chunks[0]!;
    const byte = first[0]!;
    if (first.byteLength === 1) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(1);
    this.#buffered -= 1;
    return byte;
  }

  async #readExactly(length: number, signal: AbortSignal): Promise<Uint8Array> {
    while (this.#buffered < length) await this.#waitForData(signal, { expected: length });
    const body = new Uint8Array(length);
    let offset = 0;
    while (offset < length) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.byteLength, length - offset);
      body.set(chunk.subarray(0, take), offset);
      offset += take;
      if (take === chunk.byteLength) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= length;
    return body;
  }

  async #waitForData(signal: AbortSignal, progress: Record<string, number>): Promise<void> {
    if (signal.aborted) throw abortError(signal, progress);
    if (this.#ended) {
      throw new P2pError("P2P_TRUNCATED", "stream ended before a whole frame arrived", {
        details: { ...progress, received: this.#buffered },
        cause: this.#error,
      });
    }
    let onAbort = (): void => {};
    try {
      await new Promise<void>((resolve) => {
        onAbort = resolve;
        this.#wake = resolve;
        signal.addEventListener("abort", onAbort, { once: true });
      });
    } finally {
      this.#wake = undefined;
      signal.removeEventListener("abort", onAbort);
    }
    if (signal.aborted) throw abortError(signal, progress);
  }

  #end(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#notify();
  }

  #notify(): void {
    this.#wake?.();
  }
}

/** Sends one frame and closes our writable end, waiting until the bytes reached the muxer. */
export async function writeFrameAndClose(stream: Stream, body: Uint8Array, signal: AbortSignal): Promise<void> {
  stream.send(encodeFrame(body));
  await stream.close({ signal });
}
