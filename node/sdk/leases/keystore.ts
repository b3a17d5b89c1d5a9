/**
 * The reader's lease keystore (docs/crypto.md#envelopes, "Offline lease"): one file holding the device key
 * and the offline leases issued to it, encrypted at rest, replaced atomically on every change
 * (node/ipfs/durableFile.ts), so a crash — SIGKILL in the middle of a write included —
 * leaves the previous keystore or the new one, never less.
 *
 * File: version (1) ‖ nonce (12) ‖ AES-256-GCM(JSON) ‖ tag, AAD "dekmesh/lease-keystore/v1".
 * The 32-byte key comes from the caller (the SDK derives it from the reader's account
 * signature, as it does the recovery key); a wrong key is told apart from a damaged file only
 * as far as GCM allows: both fail authentication, and the error says so without guessing.
 *
 * Play counting happens before the DEK is handed out: a play counts once it is durably
 * recorded, so a crash can lose a play the reader never got, never grant one it did not count.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { decodeLease, EnvelopeError, openLease, type LeaseTerms } from "../../crypto/envelopes/index.js";
import { aesGcmOpen, aesGcmSeal } from "../../crypto/keys/aesGcm.js";
import { bytesEqual, concatBytes, utf8 } from "../../crypto/keys/bytes.js";
import { P256PrivateKey } from "../../crypto/keys/index.js";
import { writeFileDurably } from "../../ipfs/durableFile.js";
import { LeaseKeystoreError } from "./errors.js";

const FILE_VERSION = 1;
const AAD = utf8("dekmesh/lease-keystore/v1");

interface KeystoreJson {
  deviceKey: Hex;
  leases: { lease: Hex; playsUsed: number }[];
}

export interface StoredLease extends LeaseTerms {
  playsUsed: number;
}

export interface PlayParameters {
  /** Current time, unix seconds. */
  now: bigint;
  /** The KAS public key the chain lists for (validator, kid); undefined if unknown. */
  kasPublicKeyOf: (validator: Hex, kid: Uint8Array) => Uint8Array | undefined;
}

export class LeaseKeystore {
  readonly #path: string;
  readonly #key: Uint8Array;
  readonly #deviceKey: P256PrivateKey;
  #leases: { lease: Uint8Array; playsUsed: number }[];
  /** Writes run one after another: each persists the state every earlier change left. */
  #writes: Promise<void> = Promise.resolve();

  private constructor(path: string, key: Uint8Array, deviceKey: P256PrivateKey, leases: { lease: Uint8Array; playsUsed: number }[]) {
    this.#path = path;
    this.#key = key;
    this.#deviceKey = deviceKey;
    this.#leases = leases;
  }

  /** Opens the keystore at `path`, creating it (with a fresh device key) if there is none. */
  static async open(params: { path: string; key: Uint8Array }): Promise<LeaseKeystore> {
    if (params.key.length !== 32) throw new LeaseKeystoreError("KEYSTORE_INVALID_ARGUMENT", "keystore key must be 32 bytes");
    const key = params.key.slice();
    let file: Uint8Array;
    try {
      file = new Uint8Array(await readFile(params.path));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw new LeaseKeystoreError("KEYSTORE_IO", "cannot read the lease keystore", { cause });
      const store = new LeaseKeystore(params.path, key, P256PrivateKey.generate(), []);
      await store.#persist();
      return store;
    }
    const json = decrypt(key, file);
    return new LeaseKeystore(params.path, key, P256PrivateKey.fromBytes(hexToBytes(json.deviceKey)), json.leases.map((l) => ({ lease: hexToBytes(l.lease), playsUsed: l.playsUsed })));
  }

  /** The device key leases are sealed to: send it when asking for a lease. */
  get devicePublicKey(): Uint8Array {
    return this.#deviceKey.publicKey;
  }

  list(): StoredLease[] {
    return this.#leases.map(({ lease, playsUsed }) => ({ ...decodeLease(lease), playsUsed }));
  }

  /** Keeps a lease (replacing one for the same content); refuses one sealed to another device. */
  async put(lease: Uint8Array): Promise<void> {
    const terms = wrapEnvelopeError(() => decodeLease(lease));
    if (!bytesEqual(terms.devicePublicKey, this.#deviceKey.publicKey)) {
      throw new LeaseKeystoreError("KEYSTORE_WRONG_DEVICE", "lease is sealed to another device key");
    }
    await this.#change(() => {
      this.#leases = [...this.#leases.filter((l) => !sameContent(l.lease, terms.contentId)), { lease: lease.slice(), playsUsed: 0 }];
    });
  }

  /** Forgets the lease for `contentId`; false if there was none. */
  async drop(contentId: Uint8Array): Promise<boolean> {
    const before = this.#leases.length;
    await this.#change(() => {
      this.#leases = this.#leases.filter((l) => !sameContent(l.lease, contentId));
    });
    return this.#leases.length !== before;
  }

  /**
   * One offline play: checks the lease (signature, device, expiry, plays), records the play
   * durably, then returns the DEK. Needs no network.
   */
  async play(contentId: Uint8Array, params: PlayParameters): Promise<Uint8Array> {
    const entry = this.#leases.find((l) => sameContent(l.lease, contentId));
    if (entry === undefined) throw new LeaseKeystoreError("KEYSTORE_NO_LEASE", "no lease for this content", { details: { contentId: bytesToHex(contentId) } });
    const terms = decodeLease(entry.lease);
    const kasPublicKey = params.kasPublicKeyOf(terms.validator, terms.kid);
    if (kasPublicKey === undefined) throw new LeaseKeystoreError("KEYSTORE_UNKNOWN_VALIDATOR_KEY", "the lease's signing key is not a known KAS key of its validator");
    const opened = wrapEnvelopeError(() =>
      openLease({ lease: entry.lease, deviceKey: this.#deviceKey, validatorKasPublicKey: kasPublicKey, now: params.now, playsUsed: entry.playsUsed }),
    );
    await this.#change(() => {
      entry.playsUsed += 1;
    });
    return opened.dek;
  }

  async #change(apply: () => void): Promise<void> {
    const write = this.#writes.then(async () => {
      apply();
      await this.#persist();
    });
    this.#writes = write.catch(() => undefined);
    await write;
  }

  async #persist(): Promise<void> {
    const json: KeystoreJson = {
      deviceKey: bytesToHex(this.#deviceKey.exportPrivateKey()),
      leases: this.#leases.map(({ lease, playsUsed }) => ({ lease: bytesToHex(lease), playsUsed })),
    };
    const nonce = randomBytes(12);
    const body = aesGcmSeal(this.#key, nonce, utf8(JSON.stringify(json)), { aad: AAD });
    try {
      await writeFileDurably(this.#path, concatBytes(new Uint8Array([FILE_VERSION]), nonce, body), { mode: 0o600 });
    } catch (cause) {
      throw new LeaseKeystoreError("KEYSTORE_IO", "cannot write the lease keystore", { cause });
    }
  }
}

function decrypt(key: Uint8Array, file: Uint8Array): KeystoreJson {
  if (file.length < 1 + 12 + 16 || file[0] !== FILE_VERSION) throw new LeaseKeystoreError("KEYSTORE_CORRUPT", "not a lease keystore of a known version");
  const plaintext = aesGcmOpen(key, file.subarray(1, 13), file.subarray(13), { aad: AAD });
  if (plaintext === undefined) throw new LeaseKeystoreError("KEYSTORE_KEY_MISMATCH", "the lease keystore does not open with this key (another account, or a damaged file)");
  try {
    return JSON.parse(new TextDecoder().decode(plaintext)) as KeystoreJson;
  } finally {
    plaintext.fill(0);
  }
}

function sameContent(lease: Uint8Array, contentId: Uint8Array): boolean {
  return bytesEqual(lease.subarray(1, 33), contentId);
}

function wrapEnvelopeError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof EnvelopeError) throw new LeaseKeystoreError("KEYSTORE_LEASE_REFUSED", cause.message, { cause, details: { leaseCode: cause.code } });
    throw cause;
  }
}
