/**
 * A minimal Kubo-compatible RPC server for the tests (no Kubo binary can be installed here:
 * Debian has none and the `kubo` npm package downloads one at install time). It implements the
 * two calls the Kubo adapter uses, the way Kubo does on the wire — `POST /api/v0/add`
 * (multipart body, options as kebab-case query parameters, NDJSON answer `{Name,Hash,Size}`)
 * and `POST /api/v0/cat?arg=<cid>` (the raw bytes) — backed by the real UnixFS importer and
 * exporter over a blockstore in a temp directory. Errors answer as Kubo does: HTTP 500 with
 * `{"Message","Code":0,"Type":"error"}`. `misbehave` makes it lie, to test the adapter's checks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FsBlockstore } from "blockstore-fs";
import { exporter } from "ipfs-unixfs-exporter";
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import { addAnswer, addedFile, catAnswer, kuboError, kuboRpcListener } from "../../../node/devnet/kuboRpcWire.js";

export interface KuboRpcServer {
  url: string;
  /** Calls received, for assertions: path and query. */
  calls: { path: string; query: URLSearchParams }[];
  misbehave: { wrongCid?: boolean; wrongBytes?: boolean; maxLinks?: number };
  stop(): Promise<void>;
}

export async function startKuboRpcServer(dir: string): Promise<KuboRpcServer> {
  const blocks = new FsBlockstore(dir);
  await blocks.open();
  const calls: KuboRpcServer["calls"] = [];
  const misbehave: KuboRpcServer["misbehave"] = {};

  async function add(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    // Kubo's own parameter checks for the ones the adapter sends.
    const chunker = query.get("chunker") ?? "size-262144";
    const size = /^size-(\d+)$/.exec(chunker);
    if (size === null) return kuboError(res, 500, `unrecognized chunker option: ${chunker}`);
    if ((query.get("hash") ?? "sha2-256") !== "sha2-256") return kuboError(res, 500, "unrecognized hash function");
    const cidVersion = Number(query.get("cid-version") ?? "0");
    const rawLeaves = query.get("raw-leaves") === null ? cidVersion === 1 : query.get("raw-leaves") === "true";
    const file = await addedFile(req);
    if (file === undefined) return kuboError(res, 500, "file argument 'path' is required");
    const bytes = new Uint8Array(await file.arrayBuffer());
    let root: CID | undefined;
    for await (const entry of importer([{ content: [bytes] }], blocks, {
      cidVersion: cidVersion as 0 | 1,
      rawLeaves,
      reduceSingleLeafToSelf: true,
      chunker: fixedSize({ chunkSize: Number(size[1]) }),
      layout: balanced({ maxChildrenPerNode: misbehave.maxLinks ?? 174 }),
    })) {
      root = entry.cid;
    }
    const hash = misbehave.wrongCid ? CID.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku").toString() : root!.toString();
    addAnswer(res, hash, bytes.length);
  }

  async function cat(res: ServerResponse, query: URLSearchParams): Promise<void> {
    const arg = query.get("arg");
    let cid: CID;
    try {
      cid = CID.parse(arg ?? "");
    } catch {
      return kuboError(res, 500, `invalid path "${arg}"`);
    }
    if (!(await blocks.has(cid))) return kuboError(res, 500, `block was not found locally (offline): ipld: could not find ${cid}`);
    const entry = await exporter(cid, blocks);
    if (entry.type !== "file" && entry.type !== "raw") return kuboError(res, 500, "this dag node is a directory");
    await catAnswer(res, misbehave.wrongBytes ? flipFirstBytes(entry.content()) : entry.content());
  }

  const server: Server = createServer(
    kuboRpcListener(
      { add, cat, failed: (res, error) => kuboError(res, 500, String(error)) },
      (url) => calls.push({ path: url.pathname, query: url.searchParams }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    misbehave,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** misbehave.wrongBytes: every chunk served with its first bit flipped. */
async function* flipFirstBytes(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    chunk[0] = chunk[0]! ^ 1;
    yield chunk;
  }
}
