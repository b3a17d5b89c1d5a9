/**
 * The rewrap bench's load generator: closed-loop HTTP/1.1 over raw sockets on a worker thread
 * (its own event loop on the second core), so what it spends per request does not land on the
 * validator's event loop. This file is also the worker's entry; it imports nothing heavy.
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker } from "node:worker_threads";

export interface LoadJob {
  url: string;
  /** Complete HTTP requests, back to back. */
  buffer: ArrayBuffer;
  /** offsets[i]..offsets[i+1] is request i. */
  offsets: Uint32Array;
  concurrency: number;
  /** Stop sending after this long (requests left over are not sent). */
  durationMs: number;
  /** Bodies of the first answers, returned for checking. */
  samples: number;
}

export interface LoadResult {
  /** ms, in completion order. */
  latencies: Float64Array;
  completed: number;
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  /** The load generator's event-loop utilization (near 1 = the client was the bottleneck). */
  clientBusy: number;
  exhausted: boolean;
  samples: string[];
}

/** Closed-loop load: each connection sends its next request as soon as the previous answer is in. */
async function runLoad(job: LoadJob): Promise<LoadResult> {
  const { hostname, port } = new URL(job.url);
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port), noDelay: true });
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
    });
  const sockets = await Promise.all(Array.from({ length: job.concurrency }, open));
  const tally = new Tally(job);

  return new Promise((resolve) => {
    let active = job.concurrency;
    const finish = (): void => {
      if (--active > 0) return;
      for (const s of sockets) s.destroy();
      resolve(tally.result());
    };
    sockets.forEach((first, c) => drive({ first, open, tally, finish, replaced: (fresh) => (sockets[c] = fresh) }));
  });
}

/** What the connections of one job share: the requests left to send and the figures so far. */
class Tally {
  readonly #job: LoadJob;
  readonly #requests: Uint8Array;
  readonly #count: number;
  readonly #latencies: Float64Array;
  readonly #statuses: Record<string, number> = {};
  readonly #samples: string[] = [];
  readonly #elu = performance.eventLoopUtilization();
  readonly #started = performance.now();
  #completed = 0;
  #errors = 0;
  #next = 0;
  #lastDone = 0;

  constructor(job: LoadJob) {
    this.#job = job;
    this.#requests = new Uint8Array(job.buffer);
    this.#count = job.offsets.length - 1;
    this.#latencies = new Float64Array(this.#count);
  }

  /** The next request's bytes, or undefined once all are sent or the job's time is up. */
  take(): Uint8Array | undefined {
    if (this.#next >= this.#count || performance.now() - this.#started >= this.#job.durationMs) return undefined;
    const i = this.#next++;
    return this.#requests.subarray(this.#job.offsets[i]!, this.#job.offsets[i + 1]!);
  }

  /** An answer is complete: `buffered[bodyStart, total)` is its body. */
  answered(status: string, buffered: Buffer, bodyStart: number, total: number, sentAt: number): void {
    const now = performance.now();
    this.#statuses[status] = (this.#statuses[status] ?? 0) + 1;
    if (status !== "200") this.#errors++;
    if (this.#samples.length < this.#job.samples) this.#samples.push(buffered.toString("utf8", bodyStart, total));
    this.#latencies[this.#completed++] = now - sentAt;
    this.#lastDone = now;
  }

  /** The server cut a connection mid-request. */
  cut(): void {
    this.#errors++;
  }

  result(): LoadResult {
    return {
      latencies: this.#latencies.slice(0, this.#completed),
      completed: this.#completed,
      errors: this.#errors,
      statuses: this.#statuses,
      elapsedMs: this.#lastDone - this.#started,
      clientBusy: performance.eventLoopUtilization(this.#elu).utilization,
      exhausted: this.#next >= this.#count,
      samples: this.#samples,
    };
  }
}

/** One connection's loop: send, read the whole answer, send the next; reconnect if the server cuts it. */
function drive(p: { first: Socket; open: () => Promise<Socket>; tally: Tally; finish: () => void; replaced: (fresh: Socket) => void }): void {
  let socket = p.first;
  let buffered: Buffer | undefined;
  let sentAt = 0;
  let done = false;
  const send = (): void => {
    const request = p.tally.take();
    if (request === undefined) {
      done = true;
      p.finish();
      return;
    }
    sentAt = performance.now();
    socket.write(request);
  };
  const onData = (chunk: Buffer): void => {
    buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk]);
    const headEnd = buffered.indexOf("\r\n\r\n");
    if (headEnd === -1) return;
    const head = buffered.toString("latin1", 0, headEnd);
    const length = /content-length: *([0-9]+)/i.exec(head);
    const total = headEnd + 4 + Number(length?.[1] ?? 0);
    if (buffered.length < total) return;
    p.tally.answered(head.slice(9, 12), buffered, headEnd + 4, total, sentAt);
    buffered = undefined;
    send();
  };
  const attach = (s: Socket): void => {
    s.on("data", onData);
    s.on("error", () => {});
    s.on("close", () => {
      if (done) return;
      // The server cut the connection mid-request: an error; carry on over a new one.
      p.tally.cut();
      buffered = undefined;
      p.open().then(
        (fresh) => {
          socket = fresh;
          p.replaced(fresh);
          attach(fresh);
          send();
        },
        () => {
          done = true;
          p.finish();
        },
      );
    });
  };
  attach(socket);
  send();
}

// No top-level await: a worker whose module is still evaluating reports a fully busy event loop.
if (!isMainThread) {
  parentPort!.on("message", (job: LoadJob) => {
    void runLoad(job).then((result) => parentPort!.postMessage(result, [result.latencies.buffer as ArrayBuffer]));
  });
}

/** Complete HTTP/1.1 requests back to back, as the load worker sends them. */
export function encodeRequests(path: string, bodies: string[]): { buffer: ArrayBuffer; offsets: Uint32Array } {
  const heads = bodies.map((body) => `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const offsets = new Uint32Array(heads.length + 1);
  let size = 0;
  heads.forEach((h, i) => {
    offsets[i] = size;
    size += Buffer.byteLength(h);
  });
  offsets[heads.length] = size;
  const bytes = new Uint8Array(size);
  heads.forEach((h, i) => bytes.set(Buffer.from(h, "latin1"), offsets[i]!));
  return { buffer: bytes.buffer, offsets };
}

/**
 * The main thread's side: runs one phase's load on the load generator's thread. One thread
 * serves every phase, so it is as warm (compiled code, heap sizes) when a phase's clock runs as
 * the validator is.
 */
export class LoadGenerator {
  #worker: Worker | undefined;

  run(url: string, requests: { buffer: ArrayBuffer; offsets: Uint32Array }, concurrency: number, durationMs: number, samples: number): Promise<LoadResult> {
    const { buffer, offsets } = requests;
    const job: LoadJob = { url, buffer, offsets, concurrency, durationMs, samples };
    const worker = (this.#worker ??= new Worker(new URL(import.meta.url)));
    return new Promise<LoadResult>((resolve, reject) => {
      const exited = (code: number): void => reject(new Error(`load worker exited with ${code}`));
      worker.once("message", (result: LoadResult) => {
        worker.off("error", reject);
        worker.off("exit", exited);
        resolve(result);
      });
      worker.once("error", reject);
      worker.once("exit", exited);
      worker.postMessage(job, [buffer, offsets.buffer as ArrayBuffer]);
    });
  }

  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }
}
