import type { LocalAccount } from "viem";
import type { ChainClients } from "../chain/index.js";
import type { IndexerClient } from "../indexer-client/index.js";
import type { ContentStore } from "../ipfs/index.js";
import type { Attributes } from "./attributes.js";
import type { Policies } from "./policies.js";
import type { RewrapSigner } from "./rewrapSigner.js";

/** What every client operation works with; built once by createClient. */
export interface ClientContext {
  account: LocalAccount;
  chain: ChainClients;
  indexer: IndexerClient;
  /** The configured IPFS, if any. */
  ipfs: ContentStore | undefined;
  attributes: Attributes;
  policies: Policies;
  signer: RewrapSigner;
  /** Derives (once) the publisher's recovery key. */
  recoveryKey(): Promise<import("../crypto/keys/index.js").P256PrivateKey>;
  /** A temporary directory for spooling ciphertexts when no IPFS is configured. */
  spoolDir(): Promise<string>;
  timeouts: { validatorMs: number; uploadMs: number; ipfsFirstByteMs: number };
}

/**
 * Progress of a long operation; `totalBytes` when known (a decrypt's "downloading" events carry
 * the ciphertext's length when the holder serving it declares it). An upload also reports the steps
 * between its byte phases: "policy" while it creates the policy, "registering" (with the `cid`)
 * just before it sends the registration, so a caller can show the CID before the chain has it.
 */
export interface ProgressEvent {
  phase: "policy" | "encrypting" | "registering" | "uploading" | "downloading" | "decrypting";
  bytes: number;
  totalBytes?: number;
  cid?: string;
}

export type OnProgress = (event: ProgressEvent) => void;
