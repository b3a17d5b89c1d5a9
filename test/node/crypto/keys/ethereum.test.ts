/** Account signatures interoperate with viem (and so with ecrecover / the on-chain registry). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashMessage, recoverMessageAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  hashPersonalMessage,
  recoverAddress,
  signHash,
  toChecksumAddress,
  addressFromPrivateKey,
} from "../../../../node/crypto/keys/index.js";
import { fromHex, hex } from "../tdf/helpers.js";

const privateKey = fromHex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const account = privateKeyToAccount(`0x${hex(privateKey)}`);

describe("ethereum account primitives", () => {
  it("address matches viem (EIP-55 checksum)", () => {
    assert.equal(addressFromPrivateKey(privateKey), account.address);
    assert.equal(toChecksumAddress(fromHex(account.address.slice(2).toLowerCase())), account.address);
  });

  it("personal-message signatures equal viem's and recover to the signer", async () => {
    const message = fromHex("deadbeef".repeat(8));
    const digest = hashPersonalMessage(message);
    assert.equal(`0x${hex(digest)}`, hashMessage({ raw: message }));
    const signature = signHash(privateKey, digest);
    assert.equal(`0x${hex(signature)}`, await account.signMessage({ message: { raw: message } }));
    assert.equal(recoverAddress(digest, signature), account.address);
    assert.equal(await recoverMessageAddress({ message: { raw: message }, signature: `0x${hex(signature)}` as Hex }), account.address);
  });

  it("refuses malformed and high-s signatures", () => {
    const digest = hashPersonalMessage(new Uint8Array([1]));
    const signature = signHash(privateKey, digest);
    assert.equal(recoverAddress(digest, signature.subarray(1)), undefined);
    const badV = signature.slice();
    badV[64] = 30;
    assert.equal(recoverAddress(digest, badV), undefined);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${hex(signature.subarray(32, 64))}`);
    const highS = signature.slice();
    highS.set(fromHex((n - s).toString(16).padStart(64, "0")), 32);
    highS[64] = highS[64] === 27 ? 28 : 27;
    assert.equal(recoverAddress(digest, highS), undefined);
  });
});
