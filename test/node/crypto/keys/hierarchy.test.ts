/** The operator key hierarchy: committed vectors, cross-checks with viem/@scure/libp2p, redaction. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { privateKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { HDNodeWallet } from "ethers";
import { mnemonicToSeedSync } from "@scure/bip39";
import { mnemonicToAccount } from "viem/accounts";
import { inspect } from "node:util";
import {
  OperatorRoot,
  deriveNodeKeys,
  deriveOperatorAccount,
  kasKeyId,
  mnemonicToSeed,
  slip10Derive,
  derivationPaths,
} from "../../../../node/crypto/keys/index.js";
import { assertCode, fromHex, hex } from "../tdf/helpers.js";

interface NodeVector {
  index: number;
  accountAddress: string;
  kasPublicKey: string;
  kid: string;
  libp2pPublicKey: string;
  peerId: string;
  storageKey: string;
}
const vectors = JSON.parse(readFileSync(new URL("../vectors/node-keys.json", import.meta.url), "utf8")) as {
  mnemonic: string;
  seed: string;
  operatorAccount: { address: string };
  nodes: NodeVector[];
};
const root = OperatorRoot.fromMnemonic(vectors.mnemonic);

describe("mnemonicToSeed", () => {
  it("matches the BIP-39 reference vector (passphrase TREZOR)", () => {
    const seed = mnemonicToSeed("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about", "TREZOR");
    assert.equal(hex(seed), "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04");
  });
  it("matches @scure/bip39 on the vector mnemonic", () => {
    assert.equal(hex(mnemonicToSeed(vectors.mnemonic)), hex(mnemonicToSeedSync(vectors.mnemonic)));
    assert.equal(hex(mnemonicToSeed(vectors.mnemonic)), vectors.seed);
  });
  it("error: bad checksum word", () => assertCode(() => mnemonicToSeed("test test test test test test test test test test test test"), "KEY_INVALID_MNEMONIC"));
  it("error: unknown word", () => assertCode(() => mnemonicToSeed("test test test test test test test test test test test junkk"), "KEY_INVALID_MNEMONIC"));
});

describe("operator and node keys", () => {
  it("operator account is the first BIP-44 account (viem agrees)", () => {
    assert.equal(root.operatorAccount().address, vectors.operatorAccount.address);
    assert.equal(deriveOperatorAccount(vectors.mnemonic).address, mnemonicToAccount(vectors.mnemonic).address);
  });

  for (const vector of vectors.nodes) {
    it(`node ${vector.index} matches the committed vector`, () => {
      const keys = root.nodeKeys(vector.index);
      assert.equal(keys.account.address, vector.accountAddress);
      assert.equal(hex(keys.kasKey.publicKey), vector.kasPublicKey);
      assert.equal(hex(keys.kid), vector.kid);
      assert.equal(hex(keys.libp2pPrivateKey.publicKey.raw), vector.libp2pPublicKey);
      assert.equal(keys.peerId, vector.peerId);
      assert.equal(hex(keys.storageKey), vector.storageKey);
    });
  }

  it("node chain account is BIP-44 account index+1 (viem agrees)", () => {
    const keys = root.nodeKeys(1);
    assert.equal(keys.account.address, mnemonicToAccount(vectors.mnemonic, { accountIndex: 2 }).address);
  });

  it("KAS key is the SLIP-0010 nist256p1 key at its path and its KID is SHA-256(pub)[0..8]", () => {
    const keys = root.nodeKeys(0);
    const node = slip10Derive("nist256p1", fromHex(vectors.seed), derivationPaths.kasKey(0));
    assert.equal(hex(keys.kasKey.exportPrivateKey()), hex(node.privateKey));
    assert.equal(hex(keys.kid), hex(kasKeyId(keys.kasKey.publicKey)));
  });

  it("libp2p identity is the BIP-32 secp256k1 key at its path (ethers agrees), its peer id the key's identity multihash", () => {
    const keys = root.nodeKeys(0);
    assert.equal(keys.libp2pPrivateKey.type, "secp256k1");
    const reference = HDNodeWallet.fromPhrase(vectors.mnemonic, undefined, derivationPaths.libp2pIdentity(0));
    assert.equal(hex(keys.libp2pPrivateKey.raw), reference.privateKey.slice(2));
    assert.ok(privateKeyFromRaw(fromHex(reference.privateKey.slice(2))).equals(keys.libp2pPrivateKey));
    // 0x00 0x25 identity multihash ‖ protobuf {Type: Secp256k1, Data: compressed key}: what ValidatorRegistry parses.
    const multihash = peerIdFromPrivateKey(keys.libp2pPrivateKey).toMultihash().bytes;
    assert.equal(hex(multihash), "002508021221" + reference.signingKey.compressedPublicKey.slice(2));
    assert.match(keys.peerId, /^16Uiu2HAm/);
  });

  it("every key differs across node indexes and roles", () => {
    const a = deriveNodeKeys(vectors.mnemonic, 0);
    const b = root.nodeKeys(1);
    assert.notEqual(a.account.address, b.account.address);
    assert.notEqual(hex(a.kid), hex(b.kid));
    assert.notEqual(a.peerId, b.peerId);
    assert.notEqual(hex(a.storageKey), hex(b.storageKey));
    assert.notEqual(hex(a.storageKey), hex(a.libp2pPrivateKey.raw.subarray(0, 32)));
  });

  it("a passphrase yields a different hierarchy", () => {
    assert.notEqual(deriveNodeKeys(vectors.mnemonic, 0, "extra").peerId, vectors.nodes[0]!.peerId);
  });

  it("secrets never show in JSON, inspect or toString", () => {
    const keys = root.nodeKeys(0);
    const secrets = [hex(keys.account.privateKey), hex(keys.storageKey), hex(keys.kasKey.exportPrivateKey()), hex(keys.libp2pPrivateKey.raw)];
    for (const rendering of [JSON.stringify(keys), inspect(keys, { depth: 5 }), String(keys.kasKey), inspect(root), JSON.stringify(keys.kasKey)]) {
      for (const secret of secrets) assert.ok(!rendering.includes(secret));
    }
    assert.ok(JSON.stringify(keys).includes(vectors.nodes[0]!.peerId));
  });

  it("error: index out of range", () => {
    assertCode(() => root.nodeKeys(-1), "KEY_INVALID_INDEX");
    assertCode(() => root.nodeKeys(2 ** 31 - 1), "KEY_INVALID_INDEX");
    assertCode(() => root.nodeKeys(1.5), "KEY_INVALID_INDEX");
  });
});
