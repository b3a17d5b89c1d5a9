// Closed-loop HTTP load for the benchmarks: `concurrency` keep-alive connections, each sending
// its next GET (or POST of `postJson`) as soon as the previous answer is complete, for
// `durationMs`; latency = request written → last byte of the answer read.
//
// The client runs on its own worker thread (own event loop, own heap) and speaks minimal
// HTTP/1.1 over raw sockets: request bytes are prebuilt and answers are framed by
// content-length or chunked encoding without building header objects. The server shares this
// 2-core machine with its load generator, and whatever the client spends per request (and its
// garbage collections, and the bench's own chain writer on the main thread) shows up in every
// measured latency without saying anything about the server; node:http cost about as much CPU
// per request as the server itself.
import net from "node:net";
import { extname } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

export interface LoadOptions {
  /** http://host:port */
  base: string;
  /** Request paths, used in turn (request i asks for paths[i % paths.length]). */
  paths: readonly string[];
  durationMs: number;
  concurrency: number;
  /** POST this JSON body to the paths instead of a GET. */
  postJson?: string;
}

export interface LoadResult {
  /** Latencies of completed requests in ms, ascending. */
  latencies: Float64Array;
  /** Share of the run the client's event loop was busy (near 1 = the client was the bottleneck). */
  clientUtilization: number;
}

const SELF = new URL(`./http-load${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** Runs the load on a fresh worker thread; rejects on a non-2xx answer or a broken connection. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SELF, { workerData: options });
    let settled = false;
    worker.once("message", (message: { result?: LoadResult; error?: string }) => {
      settled = true;
      if (message.result) resolve(message.result);
      else reject(new Error(message.error));
    });
    worker.once("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`load worker exited with code ${code}`));
    });
  });
}

/** One keep-alive connection: sends a request, resolves with the status once its answer is complete. */
class Connection {
  readonly #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: { resolve(status: number): void; reject(error: Error): void } | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    const fail = (error: Error) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed by the server")));
  }

  static open(host: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new Connection(socket));
      });
      socket.once("error", reject);
    });
  }

  request(bytes: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(bytes);
    });
  }

  /** Completes the waiting request once a whole answer is buffered. */
  #parse(): void {
    const buffer = this.#buffer;
    const headerEnd = buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0) return;
    const head = buffer.toString("latin1", 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let end: number;
    if (length) {
      end = headerEnd + 4 + Number(length[1]);
      if (buffer.length < end) return;
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      let at = headerEnd + 4;
      for (;;) {
        const lineEnd = buffer.indexOf("\r\n", at);
        if (lineEnd < 0) return;
        const size = parseInt(buffer.toString("latin1", at, lineEnd), 16);
        at = lineEnd + 2 + size + 2;
        if (buffer.length < at) return;
        if (size === 0) break;
      }
      end = at;
    } else {
      end = headerEnd + 4; // no body (e.g. 204)
    }
    this.#buffer = buffer.subarray(end);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve(status);
  }

  close(): void {
    this.#socket.destroy();
  }
}

async function load({ base, paths, durationMs, concurrency, postJson }: LoadOptions): Promise<LoadResult> {
  const url = new URL(base);
  const method = postJson === undefined ? "GET" : "POST";
  const body = postJson === undefined ? "" : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(postJson)}\r\n\r\n${postJson}`;
  const requests = paths.map((path) => Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${url.host}\r\n${body || "\r\n"}`, "utf8"));
  const connections = await Promise.all(
    Array.from({ length: concurrency }, () => Connection.open(url.hostname, Number(url.port))),
  );
  const latencies: number[] = [];
  const startUtilization = performance.eventLoopUtilization();
  const deadline = performance.now() + durationMs;
  let next = 0;
  try {
    await Promise.all(
      connections.map(async (connection) => {
        while (performance.now() < deadline) {
          const i = next++ % requests.length;
          const t0 = performance.now();
          const status = await connection.request(requests[i]!);
          latencies.push(performance.now() - t0);
          if (status < 200 || status > 299) throw new Error(`${method} ${paths[i]}: HTTP ${status}`);
        }
      }),
    );
  } finally {
    for (const connection of connections) connection.close();
  }
  const clientUtilization = performance.eventLoopUtilization(startUtilization).utilization;
  return { latencies: Float64Array.from(latencies).sort(), clientUtilization };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  load(workerData as LoadOptions).then(
    (result) => port.postMessage({ result }, [result.latencies.buffer as ArrayBuffer]),
    (error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
}
