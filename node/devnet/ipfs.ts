/**
 * The devnet's shared IPFS node: an embedded Helia node (persistent, TCP on loopback) with the
 * two calls of Kubo's RPC API the SDK's Kubo adapter uses, `POST /api/v0/add` and
 * `POST /api/v0/cat`, so every process on the devnet — CLI runs, tests, scripts — adds to and
 * reads from one store through `kubo-rpc-client`, and a client's own Helia can fetch from it
 * over bitswap (its multiaddrs are in `.devnet/endpoints.json`).
 *
 * Why not a Kubo daemon: none can be installed here (no Debian package; the `kubo` npm package
 * downloads a binary at install time). An add's multipart body is parsed as it arrives and its
 * `file` part streamed into Helia, counted on the way: an upload over `maxAddBytes` is refused
 * (413) as soon as that many bytes have arrived, declared length or not. (Reading the body
 * whole with the platform's `formData()` first let a 32 MiB chunked add grow the devnet
 * process by 96 MB before any limit applied.) Blocks already written for a refused add stay in
 * the blockstore unpinned, for Helia's garbage collection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createHeliaContentStore, IpfsError, KUBO_ADD_OPTIONS, type HeliaContentStore } from "../ipfs/index.js";
import { addAnswer, addedFileStream, catAnswer, kuboError, kuboRpcListener, MultipartError } from "./kuboRpcWire.js";
import { LOOPBACK } from "./ports.js";

export const MAX_ADD_BYTES = 512 * 1024 * 1024;

/**
 * How long `cat` looks for a content the node does not hold before it answers "not found".
 * Kubo itself would search the network until the client gives up; the devnet node is the shared
 * store, and a read that hangs helps nobody (a client's own Helia can still be asked directly).
 */
export const DEFAULT_FIND_TIMEOUT_MS = 10_000;

/** KUBO_ADD_OPTIONS as kubo-rpc-client puts them on the wire. */
const ADD_PARAMETERS: Record<string, string> = {
  "cid-version": String(KUBO_ADD_OPTIONS.cidVersion),
  "raw-leaves": String(KUBO_ADD_OPTIONS.rawLeaves),
  chunker: KUBO_ADD_OPTIONS.chunker,
  hash: KUBO_ADD_OPTIONS.hashAlg,
  trickle: String(KUBO_ADD_OPTIONS.trickle),
};

export interface DevIpfs {
  /** Kubo-compatible RPC base URL (give it to the SDK as `{ kind: "kubo", url }`). */
  readonly rpcUrl: string;
  readonly peerId: string;
  /** libp2p addresses with /p2p/<peer id> (give them to a client Helia as `bootstrap`). */
  readonly multiaddrs: string[];
  readonly store: HeliaContentStore;
  stop(): Promise<void>;
}

export interface StartDevIpfsOptions {
  /** Blocks and the node's key live in `<dir>/ipfs`. */
  dir: string;
  /** RPC port; 0 (default) picks a free one. */
  port?: number;
  /** DEFAULT_FIND_TIMEOUT_MS unless given. */
  findTimeoutMs?: number;
  /** Largest add, in bytes: MAX_ADD_BYTES unless given. */
  maxAddBytes?: number;
}

/** An add's content went over the limit. */
class AddTooLarge extends Error {}

/** `chunks`, failing with AddTooLarge as soon as more than `max` bytes have passed. */
async function* limited(chunks: AsyncIterable<Uint8Array>, max: number, counted: { bytes: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    counted.bytes += chunk.byteLength;
    if (counted.bytes > max) throw new AddTooLarge();
    yield chunk;
  }
}

export async function startDevIpfs(options: StartDevIpfsOptions): Promise<DevIpfs> {
  const store = await createHeliaContentStore({ dir: path.join(options.dir, "ipfs") });
  const maxAddBytes = options.maxAddBytes ?? MAX_ADD_BYTES;

  async function add(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    // Only the content definition's own parameters are accepted: another chunker or CID
    // version would publish under a CID nobody else computes.
    for (const [name, value] of Object.entries(ADD_PARAMETERS)) {
      const given = query.get(name);
      if (given !== null && given !== value) return kuboError(res, 400, `this node only adds with ${name}=${value}`);
    }
    const tooLarge = () => refuseUpload(req, res, 413, `adds are limited to ${maxAddBytes} bytes`);
    if (Number(req.headers["content-length"] ?? 0) > maxAddBytes) return tooLarge();
    const counted = { bytes: 0 };
    try {
      const file = await addedFileStream(req);
      if (file === undefined) return kuboError(res, 400, "file argument 'path' is required");
      addAnswer(res, await store.add(limited(file, maxAddBytes, counted)), counted.bytes);
    } catch (error) {
      // Thrown while Helia reads the upload, they reach here as the store's error's cause.
      const why = [error, (error as { cause?: unknown } | undefined)?.cause];
      if (why.some((e) => e instanceof AddTooLarge)) return tooLarge();
      if (why.some((e) => e instanceof MultipartError)) return refuseUpload(req, res, 400, "the body is not a multipart form with a file part");
      throw error;
    }
  }

  async function cat(res: ServerResponse, query: URLSearchParams): Promise<void> {
    // A client that hangs up stops the read; finding the first block has a deadline of its own.
    const stop = new AbortController();
    res.once("close", () => stop.abort());
    let timedOut = false;
    const deadline = setTimeout(() => ((timedOut = true), stop.abort()), options.findTimeoutMs ?? DEFAULT_FIND_TIMEOUT_MS);
    const chunks = store.cat(query.get("arg") ?? "", { signal: stop.signal })[Symbol.asyncIterator]();
    // The first chunk decides the status: a missing content is an error answer, not an empty 200.
    let first: IteratorResult<Uint8Array>;
    try {
      first = await chunks.next();
    } catch (error) {
      throw timedOut ? new IpfsError("IPFS_NOT_FOUND", "no peer had the content in time", { cause: error }) : error;
    } finally {
      clearTimeout(deadline);
    }
    await catAnswer(res, startingWith(first, chunks));
  }

  const server = createServer(
    kuboRpcListener({
      add,
      cat,
      failed: (res, error) => {
        if (error instanceof IpfsError && error.code === "IPFS_INVALID_CID") return kuboError(res, 400, `invalid path: ${error.message}`);
        const notFound = error instanceof IpfsError && (error.code === "IPFS_NOT_FOUND" || error.code === "IPFS_INVALID_ARGUMENT");
        kuboError(res, 500, notFound ? `${error.message}: not found` : "internal error");
      },
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, LOOPBACK, resolve);
    });
  } catch (error) {
    await store.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    rpcUrl: `http://${LOOPBACK}:${port}`,
    peerId: store.peerId,
    multiaddrs: store.multiaddrs(),
    store,
    stop: () =>
      (stopped ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await store.stop();
      })()),
  };
}

/** How long a refused upload's connection stays open for the client to read the refusal. */
const REFUSAL_LINGER_MS = 1_000;

/**
 * Answers a refused upload and closes the connection shortly after: the rest of the body is
 * never kept (dropped if it flows, else left unread so the client's send stalls), and the
 * socket stays open long enough for the client to read the refusal before it is reset.
 */
function refuseUpload(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  res.setHeader("connection", "close");
  kuboError(res, status, message);
  req.resume();
  setTimeout(() => req.destroy(), REFUSAL_LINGER_MS).unref();
}

/** A read whose first chunk was taken to decide the answer's status, whole again. */
async function* startingWith(first: IteratorResult<Uint8Array>, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (let next = first; !next.done; next = await rest.next()) yield next.value;
}
