/** SLIP-0010 test vectors (satoshilabs/slips slip-0010.md), hardened steps only. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { p256 } from "@noble/curves/nist.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { slip10Derive } from "../../../../node/crypto/keys/index.js";
import { assertCode, fromHex, hex } from "../tdf/helpers.js";

const SEED_1 = fromHex("000102030405060708090a0b0c0d0e0f");

describe("SLIP-0010 nist256p1", () => {
  const cases = [
    ["m", "beeb672fe4621673f722f38529c07392fecaa61015c80c34f29ce8b41b3cb6ea", "612091aaa12e22dd2abef664f8a01a82cae99ad7441b7ef8110424915c268bc2", "0266874dc6ade47b3ecd096745ca09bcd29638dd52c2c12117b11ed3e458cfa9e8"],
    ["m/0'", "3460cea53e6a6bb5fb391eeef3237ffd8724bf0a40e94943c98b83825342ee11", "6939694369114c67917a182c59ddb8cafc3004e63ca5d3b84403ba8613debc0c", "0384610f5ecffe8fda089363a41f56a5c7ffc1d81b59a612d0d649b2d22355590c"],
    // "Test derivation retry for nist256p1": the first HMAC output is ≥ n and must be re-hashed.
    ["m/28578'", "e94c8ebe30c2250a14713212f6449b20f3329105ea15b652ca5bdfc68f6c65c2", "06f0db126f023755d0b8d86d4591718a5210dd8d024e3e14b6159d63f53aa669", "02519b5554a4872e8c9c1c847115363051ec43e93400e030ba3c36b52a3e70a5b7"],
  ] as const;
  for (const [path, chainCode, privateKey, publicKey] of cases) {
    it(`vector 1 ${path}`, () => {
      const node = slip10Derive("nist256p1", SEED_1, path);
      assert.equal(hex(node.chainCode), chainCode);
      assert.equal(hex(node.privateKey), privateKey);
      assert.equal(hex(p256.getPublicKey(node.privateKey, true)), publicKey);
    });
  }

  it("seed retry vector: the master key is re-hashed when invalid", () => {
    const node = slip10Derive("nist256p1", fromHex("a7305bc8df8d0951f0cb224c0e95d7707cbdf2c6ce7e8d481fec69c7ff5e9446"), "m");
    assert.equal(hex(node.chainCode), "7762f9729fed06121fd13f326884c82f59aa95c57ac492ce8c9654e60efd130c");
    assert.equal(hex(node.privateKey), "3b8c18469a4634517d6d0b65448f8e6c62091b45540a1743c5846be55d47d88f");
  });
});

describe("SLIP-0010 ed25519", () => {
  const cases = [
    ["m", "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb", "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7", "a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed"],
    ["m/0'", "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69", "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3", "8c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c"],
    ["m/0'/1'/2'/2'/1000000000'", "68789923a0cac2cd5a29172a475fe9e0fb14cd6adb5ad98a3fa70333e7afa230", "8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793", "3c24da049451555d51a7014a37337aa4e12d41e485abccfa46b47dfb2af54b7a"],
  ] as const;
  for (const [path, chainCode, privateKey, publicKey] of cases) {
    it(`vector 1 ${path}`, () => {
      const node = slip10Derive("ed25519", SEED_1, path);
      assert.equal(hex(node.chainCode), chainCode);
      assert.equal(hex(node.privateKey), privateKey);
      assert.equal(hex(ed25519.getPublicKey(node.privateKey)), publicKey);
    });
  }
});

describe("SLIP-0010 paths", () => {
  it("error: non-hardened step", () => assertCode(() => slip10Derive("ed25519", SEED_1, "m/0'/1"), "KEY_INVALID_PATH"));
  it("error: path without m", () => assertCode(() => slip10Derive("nist256p1", SEED_1, "0'"), "KEY_INVALID_PATH"));
  it("error: index beyond 2^31 - 1", () => assertCode(() => slip10Derive("nist256p1", SEED_1, "m/2147483648'"), "KEY_INVALID_PATH"));
});
