/**
 * A Kubo daemon as the client's content store, through its RPC API (kubo-rpc-client). Only two
 * calls are used: `add` (with the content definition as explicit parameters, pinned) and
 * `cat`. The CID Kubo answers is checked against the one computed locally while the bytes
 * stream to it — Kubo's max-links is daemon configuration (Import.UnixFSFileMaxLinks), not a
 * parameter, so a daemon configured away from the default would otherwise silently publish
 * under another CID — and `cat` output is checked against its CID at the end.
 */
import { create, type KuboRPCClient } from "kubo-rpc-client";
import { KUBO_ADD_OPTIONS, parseContentCid, type ByteSource } from "./cid.js";
import { counted, type ContentStore, type ContentStoreCallOptions } from "./contentStore.js";
import { asIpfsError, IpfsError } from "./errors.js";
import { tapCid, verifyCid } from "./verify.js";

export interface KuboContentStoreInit {
  /** The daemon's RPC API, e.g. http://127.0.0.1:5001. */
  url: string;
  /** Per RPC call. Default 10 minutes (large adds). */
  timeoutMs?: number;
}

class KuboStore implements ContentStore {
  readonly #client: KuboRPCClient;
  #stopped = false;

  constructor(client: KuboRPCClient) {
    this.#client = client;
  }

  #checkRunning(): void {
    if (this.#stopped) throw new IpfsError("IPFS_CLOSED", "the Kubo content store is stopped");
  }

  async add(source: ByteSource, options: ContentStoreCallOptions = {}): Promise<string> {
    this.#checkRunning();
    const tap = tapCid(counted(source, options.onProgress));
    let answered: string;
    try {
      const added = await this.#client.add(tap.stream, { ...KUBO_ADD_OPTIONS, pin: true, signal: options.signal });
      answered = added.cid.toString();
    } catch (error) {
      throw asIpfsError(error, "IPFS_UNAVAILABLE", "the Kubo daemon refused or failed the add", options.signal);
    }
    const local = await tap.result;
    if (parseContentCid(answered).toString() !== local.cid) {
      throw new IpfsError("IPFS_CID_MISMATCH", "the Kubo daemon computed another CID (check its Import settings)", {
        details: { kubo: answered, expected: local.cid },
      });
    }
    return local.cid;
  }

  async *cat(cidText: string, options: ContentStoreCallOptions = {}): AsyncGenerator<Uint8Array> {
    this.#checkRunning();
    const cid = parseContentCid(cidText);
    try {
      yield* counted(verifyCid(cid.toString(), this.#client.cat(cid, { signal: options.signal })), options.onProgress);
    } catch (error) {
      if (error instanceof IpfsError) throw error;
      const text = String((error as Error).message ?? "");
      if (/not found|no link named|could not resolve/i.test(text)) throw new IpfsError("IPFS_NOT_FOUND", "the Kubo daemon does not have the content", { details: { cid: cidText }, cause: error });
      throw asIpfsError(error, "IPFS_UNAVAILABLE", "the Kubo daemon failed the cat", options.signal, { cid: cidText });
    }
  }

  /** `files stat /ipfs/<cid>`: the UnixFS root's file size; undefined when the daemon cannot say. */
  async size(cidText: string, options: { signal?: AbortSignal } = {}): Promise<number | undefined> {
    this.#checkRunning();
    const cid = parseContentCid(cidText);
    try {
      const stat = await this.#client.files.stat(`/ipfs/${cid.toString()}`, { signal: options.signal });
      const size = Number(stat.size);
      return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
  }
}

export function createKuboContentStore(init: KuboContentStoreInit): ContentStore {
  let url: URL;
  try {
    url = new URL(init.url);
  } catch (cause) {
    throw new IpfsError("IPFS_INVALID_ARGUMENT", "the Kubo API url is not a URL", { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new IpfsError("IPFS_INVALID_ARGUMENT", "the Kubo API url must be http(s)");
  return new KuboStore(create({ url, timeout: init.timeoutMs ?? 10 * 60_000 }));
}
