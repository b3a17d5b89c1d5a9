/**
 * The operator key hierarchy (seed 001, docs/architecture.md#identities-and-keys): one BIP-39 mnemonic deterministically
 * yields the operator's chain account and, per node index, the node's chain account, KAS
 * key, libp2p identity and storage key. The mnemonic is only needed for setup and recovery;
 * because every node key is re-derivable, a node's sealed DEK store can be opened from a
 * backup plus the mnemonic alone.
 *
 * Paths (all hardened below the purpose level, so one leaked node key reveals no other):
 *   operator account   secp256k1  BIP-44     m/44'/60'/0'/0/0          (the first MetaMask account)
 *   node i account     secp256k1  BIP-44     m/44'/60'/(i+1)'/0/0      (own BIP-44 account per node)
 *   node i KAS key     P-256      SLIP-0010  m/4475725'/0'/i'
 *   node i libp2p key  secp256k1  BIP-32     m/4475725'/1'/i'
 *   node i storage key 32 bytes   SLIP-0010  m/4475725'/2'/i'  (the Ed25519-curve node's key bytes)
 * 4475725 = 0x444b4d, "DKM": a private purpose number so dekmesh keys never collide with
 * wallet keys derived from the same mnemonic.
 *
 * The libp2p identity is secp256k1, not libp2p's usual Ed25519, because ValidatorRegistry checks
 * a signature by the key inside the peer id before it lets a validator claim it (issue #22), and
 * the EVM can only check secp256k1 signatures cheaply (ecrecover). It was Ed25519 (SLIP-0010
 * ed25519 at the same path) until then: every node's peer id changed, from "12D3KooW…" to
 * "16Uiu2HA…" (then k or m, by the public key's parity byte), and
 * test/node/crypto/vectors/node-keys.json was regenerated for it.
 */
import { pbkdf2Sync } from "node:crypto";
import { inspect } from "node:util";
import { privateKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { Secp256k1PrivateKey } from "@libp2p/interface";
import { HDKey } from "@scure/bip32";
import { validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { KeyError } from "./errors.js";
import { addressFromPrivateKey, type Address } from "./ethereum.js";
import { P256PrivateKey } from "./p256.js";
import { slip10Derive } from "./slip10.js";

export const DEKMESH_PURPOSE = 4475725;
/** Node indexes are hardened path components; +1 for the chain account keeps it below 2^31. */
export const MAX_NODE_INDEX = 0x7fff_fffe;

export const derivationPaths = {
  operatorAccount: "m/44'/60'/0'/0/0",
  nodeAccount: (index: number) => `m/44'/60'/${index + 1}'/0/0`,
  kasKey: (index: number) => `m/${DEKMESH_PURPOSE}'/0'/${index}'`,
  libp2pIdentity: (index: number) => `m/${DEKMESH_PURPOSE}'/1'/${index}'`,
  storageKey: (index: number) => `m/${DEKMESH_PURPOSE}'/2'/${index}'`,
} as const;

/** A chain account: address plus the secp256k1 key that signs for it. */
export interface ChainAccount {
  readonly address: Address;
  readonly privateKey: Uint8Array;
}

/** Every key of one node, as derived from the operator root. */
export interface NodeKeys {
  readonly index: number;
  readonly account: ChainAccount;
  readonly kasKey: P256PrivateKey;
  readonly kid: Uint8Array;
  readonly libp2pPrivateKey: Secp256k1PrivateKey;
  readonly peerId: string;
  readonly storageKey: Uint8Array;
}

/** BIP-39 mnemonic → 64-byte seed (PBKDF2-HMAC-SHA512, 2048 rounds), natively. */
export function mnemonicToSeed(mnemonic: string, passphrase = ""): Uint8Array {
  const normalized = mnemonic.normalize("NFKD").trim().split(/\s+/).join(" ");
  if (!validateMnemonic(normalized, wordlist)) {
    throw new KeyError("KEY_INVALID_MNEMONIC", "not a valid BIP-39 English mnemonic");
  }
  const salt = "mnemonic" + passphrase.normalize("NFKD");
  return new Uint8Array(pbkdf2Sync(normalized, salt, 2048, 64, "sha512"));
}

/** The BIP-32 secp256k1 private key at `path` (for hardened paths, the same as SLIP-0010 secp256k1). */
function secp256k1Key(seed: Uint8Array, path: string): Uint8Array {
  const privateKey = HDKey.fromMasterSeed(seed).derive(path).privateKey;
  if (privateKey === null) throw new KeyError("KEY_INVALID_PATH", "derivation produced no private key", { details: { path } });
  return privateKey;
}

function chainAccount(seed: Uint8Array, path: string): ChainAccount {
  const privateKey = secp256k1Key(seed, path);
  return redacted({ address: addressFromPrivateKey(privateKey), privateKey });
}

function assertIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_NODE_INDEX) {
    throw new KeyError("KEY_INVALID_INDEX", "node index must be an integer in [0, 2^31 - 2]", { details: { index } });
  }
}

/**
 * The operator's root secret, held as the BIP-39 seed so repeated derivations skip PBKDF2.
 * Keep it offline except for setup and recovery.
 */
export class OperatorRoot {
  readonly #seed: Uint8Array;

  private constructor(seed: Uint8Array) {
    this.#seed = seed;
  }

  static fromMnemonic(mnemonic: string, passphrase = ""): OperatorRoot {
    return new OperatorRoot(mnemonicToSeed(mnemonic, passphrase));
  }

  static fromSeed(seed: Uint8Array): OperatorRoot {
    if (seed.length < 16 || seed.length > 64) {
      throw new KeyError("KEY_INVALID_MNEMONIC", "seed must be 16 to 64 bytes", { details: { length: seed.length } });
    }
    return new OperatorRoot(Uint8Array.from(seed));
  }

  operatorAccount(): ChainAccount {
    return chainAccount(this.#seed, derivationPaths.operatorAccount);
  }

  nodeKeys(index: number): NodeKeys {
    assertIndex(index);
    const kasKey = P256PrivateKey.fromBytes(slip10Derive("nist256p1", this.#seed, derivationPaths.kasKey(index)).privateKey);
    // libp2p's raw secp256k1 private key is the 32-byte scalar.
    const libp2pPrivateKey = privateKeyFromRaw(secp256k1Key(this.#seed, derivationPaths.libp2pIdentity(index))) as Secp256k1PrivateKey;
    return redacted({
      index,
      account: chainAccount(this.#seed, derivationPaths.nodeAccount(index)),
      kasKey,
      kid: kasKey.kid,
      libp2pPrivateKey,
      peerId: peerIdFromPrivateKey(libp2pPrivateKey).toString(),
      storageKey: Uint8Array.from(slip10Derive("ed25519", this.#seed, derivationPaths.storageKey(index)).privateKey),
    });
  }

  toString(): string {
    return "OperatorRoot(<redacted>)";
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Convenience: the keys of node `index` straight from the mnemonic. */
export function deriveNodeKeys(mnemonic: string, index: number, passphrase = ""): NodeKeys {
  return OperatorRoot.fromMnemonic(mnemonic, passphrase).nodeKeys(index);
}

/** Convenience: the operator's own chain account straight from the mnemonic. */
export function deriveOperatorAccount(mnemonic: string, passphrase = ""): ChainAccount {
  return OperatorRoot.fromMnemonic(mnemonic, passphrase).operatorAccount();
}

const SECRET_FIELDS = new Set(["privateKey", "storageKey", "libp2pPrivateKey", "kasKey"]);

/**
 * Attaches redacting toJSON/inspect to an object holding secrets, so logging a NodeKeys or a
 * ChainAccount by accident prints public parts only.
 */
function redacted<T extends object>(value: T): T {
  const publicView = (): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(value).map(([key, field]) => [
        key,
        SECRET_FIELDS.has(key) ? "<redacted>" : field instanceof Uint8Array ? Buffer.from(field).toString("hex") : field,
      ]),
    );
  Object.defineProperty(value, "toJSON", { value: publicView, enumerable: false });
  Object.defineProperty(value, inspect.custom, { value: () => publicView(), enumerable: false });
  return value;
}
