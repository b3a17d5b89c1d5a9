/** Replication envelope: holder → validator, signed by the holder's chain account, bound to content and recipient. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { recoverMessageAddress, type Hex } from "viem";
import {
  REPLICATION_ENVELOPE_LENGTH,
  ReplayGuard,
  decodeReplication,
  openReplication,
  replicationDigest,
  sealReplication,
} from "../../../../node/crypto/envelopes/index.js";
import { KasKeyRing, OperatorRoot, P256PrivateKey, sameAddress } from "../../../../node/crypto/keys/index.js";
import { assertCode, hex } from "../tdf/helpers.js";

const root = OperatorRoot.fromMnemonic("test test test test test test test test test test test junk");
const holder = root.nodeKeys(0);
const recipient = root.nodeKeys(1);
const stranger = root.nodeKeys(2);
const contentId = randomBytes(32);
const dek = randomBytes(32);
const NOW = 1_800_000_000n;

function seal(overrides: Partial<Parameters<typeof sealReplication>[0]> = {}): Uint8Array {
  return sealReplication({
    dek,
    contentId,
    holder: holder.account,
    recipient: { address: recipient.account.address, kasPublicKey: recipient.kasKey.publicKey },
    expiresAt: NOW + 300n,
    ...overrides,
  });
}

const openParams = () => ({ recipient: recipient.account.address, recipientKasKey: recipient.kasKey, expectedContentId: contentId, now: NOW });

describe("replication envelope", () => {
  it("round-trips and names holder, recipient, KID, expiry", () => {
    const envelope = seal();
    assert.equal(envelope.length, REPLICATION_ENVELOPE_LENGTH);
    const opened = openReplication({ envelope, ...openParams() });
    assert.equal(hex(opened.dek), hex(dek));
    assert.equal(opened.holder, holder.account.address);
    assert.equal(opened.recipient, recipient.account.address);
    assert.equal(hex(opened.recipientKid), hex(recipient.kid));
    assert.equal(opened.expiresAt, NOW + 300n);
  });

  it("the holder's signature is an EIP-191 signature viem recovers to the node address", async () => {
    const envelope = seal();
    const digest = replicationDigest(envelope.subarray(0, envelope.length - 65));
    const signer = await recoverMessageAddress({ message: { raw: digest }, signature: `0x${hex(envelope.subarray(envelope.length - 65))}` as Hex });
    assert.ok(sameAddress(signer, holder.account.address));
  });

  it("opens with a keyring after the recipient rotated its KAS key", () => {
    const ring = new KasKeyRing([recipient.kasKey, P256PrivateKey.generate()]);
    assert.equal(hex(openReplication({ envelope: seal(), ...openParams(), recipientKasKey: ring }).dek), hex(dek));
  });

  it("error: delivered to another validator", () => {
    const envelope = seal();
    assertCode(() => openReplication({ envelope, ...openParams(), recipient: stranger.account.address, recipientKasKey: stranger.kasKey }), "ENVELOPE_WRONG_RECIPIENT");
  });

  it("error: encrypted to a KAS key the recipient does not hold", () => {
    const envelope = seal({ recipient: { address: recipient.account.address, kasPublicKey: stranger.kasKey.publicKey } });
    assertCode(() => openReplication({ envelope, ...openParams() }), "ENVELOPE_UNKNOWN_KID");
  });

  it("error: replayed for another content id", () => {
    assertCode(() => openReplication({ envelope: seal(), ...openParams(), expectedContentId: randomBytes(32) }), "ENVELOPE_WRONG_CONTENT");
  });

  it("error: expired, or valid for longer than the receiver accepts", () => {
    assertCode(() => openReplication({ envelope: seal(), ...openParams(), now: NOW + 300n }), "ENVELOPE_EXPIRED");
    assertCode(() => openReplication({ envelope: seal({ expiresAt: NOW + 86_400n }), ...openParams() }), "ENVELOPE_EXPIRED");
  });

  it("error: replayed to the same recipient", () => {
    const guard = new ReplayGuard();
    const envelope = seal();
    openReplication({ envelope, ...openParams(), replayGuard: guard });
    assertCode(() => openReplication({ envelope, ...openParams(), replayGuard: guard }), "ENVELOPE_REPLAYED");
    // A new envelope for the same content has a new nonce and is fine.
    openReplication({ envelope: seal(), ...openParams(), replayGuard: guard });
    assert.equal(guard.size, 2);
  });

  it("error: rewritten to another content or recipient (the signature no longer matches)", () => {
    const envelope = seal();
    const otherContent = envelope.slice();
    otherContent.set(randomBytes(32), 1);
    assertCode(() => openReplication({ envelope: otherContent, ...openParams(), expectedContentId: otherContent.subarray(1, 33) }), "ENVELOPE_BAD_SIGNATURE");
    const redirected = envelope.slice();
    redirected.set(Buffer.from(stranger.account.address.slice(2), "hex"), 53);
    redirected.set(stranger.kid, 73);
    assertCode(() => openReplication({ envelope: redirected, ...openParams(), recipient: stranger.account.address, recipientKasKey: stranger.kasKey }), "ENVELOPE_BAD_SIGNATURE");
  });

  it("error: re-signed by a node that is not an accepted holder", () => {
    const forged = sealReplication({ dek, contentId, holder: stranger.account, recipient: { address: recipient.account.address, kasPublicKey: recipient.kasKey.publicKey }, expiresAt: NOW + 60n });
    const accepted = (address: string) => sameAddress(address, holder.account.address);
    assertCode(() => openReplication({ envelope: forged, ...openParams(), isAcceptedHolder: accepted }), "ENVELOPE_WRONG_SENDER");
  });

  it("error: every single-byte change and truncation", () => {
    const envelope = seal();
    for (let i = 0; i < envelope.length; i++) {
      const tampered = envelope.slice();
      tampered[i]! ^= 0x01;
      assert.throws(() => openReplication({ envelope: tampered, ...openParams() }), (e: unknown) => (e as { code?: string }).code?.startsWith("ENVELOPE_") === true, `byte ${i}`);
    }
    assertCode(() => decodeReplication(envelope.subarray(0, 100)), "ENVELOPE_MALFORMED");
    const future = envelope.slice();
    future[0] = 2;
    assertCode(() => openReplication({ envelope: future, ...openParams() }), "ENVELOPE_UNSUPPORTED_VERSION");
  });
});
