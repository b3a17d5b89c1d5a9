/**
 * Checking bytes against a CID while they stream past, in constant memory: the bytes go on to
 * their consumer unchanged while the content definition's importer hashes them on the side
 * (storing nothing). Used where bytes come from someone who could lie — a validator's
 * `GET /v1/content/:cid`, a Kubo daemon — and to check that a Kubo daemon computed the CID
 * dekmesh would (its max-links setting is daemon configuration, not an RPC parameter).
 */
import { DISCARD_BLOCKS, importContent, parseContentCid, type ByteSource } from "./cid.js";
import { IpfsError } from "./errors.js";

/** A one-slot hand-over from the reader side to the importer, with backpressure. */
class Handover {
  #waiting: ((result: IteratorResult<Uint8Array>) => void) | undefined;
  #pending: { chunk: Uint8Array; taken: () => void } | undefined;
  #done = false;
  #failure: unknown;

  /** Resolves once the importer has taken the chunk. */
  give(chunk: Uint8Array): Promise<void> {
    return new Promise((taken) => {
      if (this.#waiting !== undefined) {
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting({ done: false, value: chunk });
        taken();
      } else {
        this.#pending = { chunk, taken };
      }
    });
  }

  end(failure?: unknown): void {
    this.#done = true;
    this.#failure = failure;
    this.#pending?.taken();
    this.#pending = undefined;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ done: true, value: undefined });
  }

  async *drain(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.#pending !== undefined) {
        const { chunk, taken } = this.#pending;
        this.#pending = undefined;
        taken();
        yield chunk;
        continue;
      }
      if (this.#done) {
        if (this.#failure !== undefined) throw this.#failure;
        return;
      }
      const next = await new Promise<IteratorResult<Uint8Array>>((resolve) => (this.#waiting = resolve));
      if (next.done === true) {
        if (this.#failure !== undefined) throw this.#failure;
        return;
      }
      yield next.value;
    }
  }
}

export interface CidTap {
  /** The bytes, unchanged; consume once. */
  stream: AsyncGenerator<Uint8Array>;
  /** The content CID of everything `stream` yielded; settles after `stream` ends. */
  result: Promise<{ cid: string; bytes: number }>;
}

/** Computes the content CID of `source` as a side effect of reading it through `stream`. */
export function tapCid(source: ByteSource): CidTap {
  const handover = new Handover();
  const result = importContent(handover.drain(), DISCARD_BLOCKS).then(({ cid, bytes }) => ({ cid: cid.toString(), bytes }));
  // A consumer that stops early makes the result reject; nobody may be listening then.
  result.catch(() => {});
  const stream = (async function* () {
    let completed = false;
    try {
      for await (const chunk of source) {
        await handover.give(chunk);
        yield chunk;
      }
      completed = true;
    } finally {
      handover.end(completed ? undefined : new IpfsError("IPFS_ABORTED", "the stream was not read to its end"));
    }
  })();
  return { stream, result };
}

/**
 * Passes `source` through and, at its end, throws IPFS_CID_MISMATCH unless the bytes were
 * exactly the content `cid` names. Bytes before the end are released unchecked: consumers
 * that must not act on unverified bytes buffer them or (as NanoTDF does) authenticate them
 * themselves.
 */
export async function* verifyCid(cid: string, source: ByteSource): AsyncGenerator<Uint8Array> {
  const expected = parseContentCid(cid).toString();
  const tap = tapCid(source);
  yield* tap.stream;
  const { cid: actual } = await tap.result;
  if (actual !== expected) throw new IpfsError("IPFS_CID_MISMATCH", "the bytes are not the content the CID names", { details: { cid: expected } });
}
