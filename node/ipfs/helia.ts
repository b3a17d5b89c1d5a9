/**
 * The client's default content store: an embedded Helia node whose blocks and keys persist in
 * a directory (blockstore-fs, datastore-fs), so added contents and the node's peer id survive
 * restarts. Networking is deliberately small: TCP on loopback by default, Noise, Yamux,
 * identify and bitswap — no public bootstrap list, MDNS, delegated routing or HTTP gateways
 * (Helia's defaults would reach for all of them). Peers to fetch from are given as bootstrap
 * multiaddrs (another Helia, a validator's IPFS, a devnet node) and dialled at start and again
 * before a fetch if the connection dropped.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { unixfs, type UnixFS } from "@helia/unixfs";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { FsBlockstore } from "blockstore-fs";
import { FsDatastore } from "datastore-fs";
import { createHelia } from "helia";
import { join } from "node:path";
import { parseContentCid, UNIXFS_IMPORT_OPTIONS, type ByteSource } from "./cid.js";
import { counted, type ContentStore, type ContentStoreCallOptions } from "./contentStore.js";
import { asIpfsError, IpfsError } from "./errors.js";
import { readUnixFsFile } from "./fileReader.js";

type HeliaLibp2p = ReturnType<typeof createHelia>;

export interface HeliaContentStoreInit {
  /** Where blocks (dir/blocks) and the node's datastore — peer id, pins — (dir/datastore) live. */
  dir: string;
  /** Multiaddrs with /p2p/<peer id> of nodes to connect to and fetch from over bitswap. */
  bootstrap?: string[];
  /** libp2p listen addresses. Default one ephemeral TCP port on 127.0.0.1. */
  listen?: string[];
}

export interface HeliaContentStore extends ContentStore {
  readonly peerId: string;
  /** Where other nodes can dial this one (give them to another store's `bootstrap`). */
  multiaddrs(): string[];
}

class HeliaStore implements HeliaContentStore {
  readonly #helia: HeliaLibp2p;
  readonly #fs: UnixFS;
  readonly #bootstrap: Multiaddr[];
  #stopped = false;

  constructor(helia: HeliaLibp2p, bootstrap: Multiaddr[]) {
    this.#helia = helia;
    this.#fs = unixfs(helia);
    this.#bootstrap = bootstrap;
  }

  get peerId(): string {
    return this.#helia.libp2p.peerId.toString();
  }

  multiaddrs(): string[] {
    return this.#helia.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  /** Dials bootstrap peers we are not connected to; unreachable ones are skipped (the fetch then fails typed). */
  async connect(signal?: AbortSignal): Promise<void> {
    const libp2p = this.#helia.libp2p;
    await Promise.all(
      this.#bootstrap.map(async (address) => {
        const peer = /\/p2p\/([^/]+)$/.exec(address.toString())?.[1] ?? null;
        if (peer !== null && libp2p.getConnections().some((c) => c.remotePeer.toString() === peer)) return;
        await libp2p.dial(address, { signal }).catch(() => {});
      }),
    );
  }

  #checkRunning(): void {
    if (this.#stopped) throw new IpfsError("IPFS_CLOSED", "the Helia node is stopped");
  }

  async add(source: ByteSource, options: ContentStoreCallOptions = {}): Promise<string> {
    this.#checkRunning();
    try {
      const cid = await this.#fs.addByteStream(counted(source, options.onProgress), { ...UNIXFS_IMPORT_OPTIONS, signal: options.signal });
      // Pinned so a garbage collection keeps what this client published.
      if (!(await this.#helia.pins.isPinned(cid, { signal: options.signal }))) {
        for await (const _ of this.#helia.pins.add(cid, { signal: options.signal })) void _;
      }
      return cid.toString();
    } catch (error) {
      throw asIpfsError(error, "IPFS_STORAGE", "adding to Helia failed", options.signal);
    }
  }

  async *cat(cidText: string, options: ContentStoreCallOptions = {}): AsyncGenerator<Uint8Array> {
    this.#checkRunning();
    const cid = parseContentCid(cidText);
    const local = await this.#helia.blockstore.has(cid);
    if (!local) await this.connect(options.signal);
    try {
      // Helia's blockstore checks every block against its hash as it arrives, so the bytes are
      // the CID's. Read with fileReader.ts, not unixfs.cat: its exporter would queue the whole
      // file ahead of a slow reader.
      yield* counted(readUnixFsFile(cid, this.#helia.blockstore, { signal: options.signal }), options.onProgress);
    } catch (error) {
      if (options.signal?.aborted !== true && (error as Error).name === "NotFoundError") {
        throw new IpfsError("IPFS_NOT_FOUND", "no connected peer has the content", { details: { cid: cidText }, cause: error });
      }
      throw asIpfsError(error, "IPFS_UNAVAILABLE", "fetching from IPFS failed", options.signal, { cid: cidText });
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#helia.stop();
  }
}

/** Starts an embedded Helia node persisting in `init.dir`. */
export async function createHeliaContentStore(init: HeliaContentStoreInit): Promise<HeliaContentStore> {
  if (typeof init?.dir !== "string" || init.dir.length === 0) throw new IpfsError("IPFS_INVALID_ARGUMENT", "dir is required");
  let bootstrap: Multiaddr[];
  try {
    bootstrap = (init.bootstrap ?? []).map((address) => multiaddr(address));
  } catch (cause) {
    throw new IpfsError("IPFS_INVALID_ARGUMENT", "bootstrap entries must be multiaddrs", { cause });
  }
  const blockstore = new FsBlockstore(join(init.dir, "blocks"));
  const datastore = new FsDatastore(join(init.dir, "datastore"));
  let helia: HeliaLibp2p;
  try {
    await blockstore.open();
    await datastore.open();
    helia = createHelia({
      blockstore,
      datastore,
      libp2p: {
        addresses: { listen: init.listen ?? ["/ip4/127.0.0.1/tcp/0"] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery: [],
        services: { identify: identify() },
      },
      http: { delegatedRouters: [], recursiveGateways: [] },
    } as Parameters<typeof createHelia>[0]);
    await helia.start();
  } catch (cause) {
    throw new IpfsError("IPFS_STORAGE", "cannot start the Helia node", { cause, details: { dir: init.dir } });
  }
  const store = new HeliaStore(helia, bootstrap);
  await store.connect();
  return store;
}
