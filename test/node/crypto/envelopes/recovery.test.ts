/** Recovery envelope: the publisher's wallet signature derives a P-256 key that opens their DEKs. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { privateKeyToAccount, generatePrivateKey } from "viem/accounts";
import {
  RECOVERY_ENVELOPE_LENGTH,
  deriveRecoveryKey,
  openRecovery,
  recoveryKeyMessage,
  sealRecovery,
} from "../../../../node/crypto/envelopes/index.js";
import { assertCode, fromHex, hex } from "../tdf/helpers.js";

const wallet = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const chainId = 31337n;
const contentId = randomBytes(32);
const dek = randomBytes(32);

async function recoveryKey(account = wallet) {
  const signature = await account.signMessage({ message: recoveryKeyMessage(account.address, chainId) });
  return deriveRecoveryKey({ publisher: account.address, chainId, signature: fromHex(signature.slice(2)) });
}

describe("recovery envelope", () => {
  it("the same wallet re-derives the same key and opens the envelope", async () => {
    const key = await recoveryKey();
    const envelope = sealRecovery({ dek, recoveryPublicKey: key.publicKey, contentId, publisher: wallet.address });
    assert.equal(envelope.length, RECOVERY_ENVELOPE_LENGTH);
    const again = await recoveryKey();
    assert.equal(hex(again.publicKey), hex(key.publicKey));
    assert.equal(hex(openRecovery({ envelope, recoveryKey: again, contentId, publisher: wallet.address })), hex(dek));
  });

  it("the key depends on the chain", async () => {
    const signature = await wallet.signMessage({ message: recoveryKeyMessage(wallet.address, 1n) });
    const other = deriveRecoveryKey({ publisher: wallet.address, chainId: 1n, signature: fromHex(signature.slice(2)) });
    assert.notEqual(hex(other.publicKey), hex((await recoveryKey()).publicKey));
  });

  it("error: a signature by someone else", async () => {
    const signature = await privateKeyToAccount(generatePrivateKey()).signMessage({ message: recoveryKeyMessage(wallet.address, chainId) });
    assertCode(() => deriveRecoveryKey({ publisher: wallet.address, chainId, signature: fromHex(signature.slice(2)) }), "ENVELOPE_BAD_SIGNATURE");
  });

  it("error: another publisher's recovery key", async () => {
    const key = await recoveryKey();
    const envelope = sealRecovery({ dek, recoveryPublicKey: key.publicKey, contentId, publisher: wallet.address });
    const otherKey = await recoveryKey(privateKeyToAccount(generatePrivateKey()));
    assertCode(() => openRecovery({ envelope, recoveryKey: otherKey, contentId, publisher: wallet.address }), "ENVELOPE_UNKNOWN_KID");
  });

  it("error: opened for another content id or publisher", async () => {
    const key = await recoveryKey();
    const envelope = sealRecovery({ dek, recoveryPublicKey: key.publicKey, contentId, publisher: wallet.address });
    assertCode(() => openRecovery({ envelope, recoveryKey: key, contentId: randomBytes(32), publisher: wallet.address }), "ENVELOPE_DECRYPT_FAILED");
    assertCode(() => openRecovery({ envelope, recoveryKey: key, contentId, publisher: privateKeyToAccount(generatePrivateKey()).address }), "ENVELOPE_DECRYPT_FAILED");
  });

  it("error: every single-byte change and truncation", async () => {
    const key = await recoveryKey();
    const envelope = sealRecovery({ dek, recoveryPublicKey: key.publicKey, contentId, publisher: wallet.address });
    for (let i = 0; i < envelope.length; i++) {
      const tampered = envelope.slice();
      tampered[i]! ^= 0x01;
      assert.throws(() => openRecovery({ envelope: tampered, recoveryKey: key, contentId, publisher: wallet.address }), (e: unknown) => (e as { code?: string }).code?.startsWith("ENVELOPE_") === true);
    }
    assertCode(() => openRecovery({ envelope: envelope.subarray(0, 89), recoveryKey: key, contentId, publisher: wallet.address }), "ENVELOPE_MALFORMED");
  });
});
