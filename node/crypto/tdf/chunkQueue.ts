/**
 * A pull-based byte queue over an async source, for the streaming codec. It buffers only
 * what the caller asks to look at (one segment plus a small lookahead), hands out views of
 * the source's chunks rather than copies, and reports the end of input explicitly.
 */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

/** A web ReadableStream as an async generator (Node 20 has no async iteration on web streams). */
export async function* fromReadableStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export function toAsyncIterator(source: ByteSource): AsyncIterator<Uint8Array> | Iterator<Uint8Array> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader === "function") {
    return fromReadableStream(source as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
  }
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return (source as Iterable<Uint8Array>)[Symbol.iterator]();
}

const CONSUMED = new Uint8Array(0);

export class ChunkQueue {
  readonly #source: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  #chunks: Uint8Array[] = [];
  /** Index of the first live chunk (shifting an array per chunk would be quadratic). */
  #first = 0;
  /** Offset of the first live byte inside chunk #first. */
  #head = 0;
  #buffered = 0;
  #ended = false;

  constructor(source: ByteSource) {
    this.#source = toAsyncIterator(source);
  }

  get buffered(): number {
    return this.#buffered;
  }

  /** Pulls until at least `length` bytes are buffered or the source ends; true if satisfied. */
  async fill(length: number): Promise<boolean> {
    while (this.#buffered < length && !this.#ended) {
      const next = await this.#source.next();
      if (next.done === true) {
        this.#ended = true;
        break;
      }
      const chunk = next.value;
      if (!(chunk instanceof Uint8Array)) throw new TypeError("byte sources must yield Uint8Array chunks");
      if (chunk.length > 0) {
        this.#chunks.push(chunk);
        this.#buffered += chunk.length;
      }
    }
    return this.#buffered >= length;
  }

  /** Removes `length` buffered bytes and returns them as views, in order. */
  take(length: number): Uint8Array[] {
    if (length > this.#buffered) throw new RangeError("take beyond buffered bytes");
    const out: Uint8Array[] = [];
    let left = length;
    while (left > 0) {
      const chunk = this.#chunks[this.#first]!;
      const available = chunk.length - this.#head;
      const n = Math.min(available, left);
      out.push(chunk.subarray(this.#head, this.#head + n));
      left -= n;
      if (n === available) {
        // Drop the consumed chunk now: left in place until the next compaction, up to 64
        // chunks stayed reachable (64 MiB of a source yielding 1 MiB chunks).
        this.#chunks[this.#first] = CONSUMED;
        this.#first++;
        this.#head = 0;
      } else {
        this.#head += n;
      }
    }
    this.#buffered -= length;
    if (this.#first > 64 && this.#first * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
    return out;
  }

  /** Removes `length` bytes as one contiguous array (copies only if they span chunks). */
  takeContiguous(length: number): Uint8Array {
    const pieces = this.take(length);
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  }

  /** The first `length` buffered bytes without consuming them. */
  peek(length: number): Uint8Array {
    const n = Math.min(length, this.#buffered);
    const first = this.#chunks[this.#first];
    if (first !== undefined && first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    const out = new Uint8Array(n);
    let offset = 0;
    let head = this.#head;
    for (let i = this.#first; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i]!;
      if (offset === n) break;
      const piece = chunk.subarray(head, head + (n - offset));
      out.set(piece, offset);
      offset += piece.length;
      head = 0;
    }
    return out;
  }

  /** Ends the source early (an error or a consumer that stopped reading). */
  async cancel(): Promise<void> {
    this.#ended = true;
    await this.#source.return?.();
  }
}
