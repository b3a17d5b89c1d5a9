/** Offline lease: a DEK sealed to a device key under terms signed by the validator's KAS key, opened offline. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { LEASE_LENGTH, decodeLease, issueLease, openLease } from "../../../../node/crypto/envelopes/index.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { assertCode, hex } from "../tdf/helpers.js";

const device = P256PrivateKey.generate();
const kasKey = P256PrivateKey.generate();
const dek = randomBytes(32);
const contentId = randomBytes(32);
const NOW = 1_800_000_000n;
const READER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;
const VALIDATOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as const;

function issue(overrides: Partial<Parameters<typeof issueLease>[0]> = {}): Uint8Array {
  return issueLease({ dek, contentId, reader: READER, devicePublicKey: device.publicKey, notAfter: NOW + 3600n, maxPlays: 3, validator: VALIDATOR, kasKey, ...overrides });
}

const open = (lease: Uint8Array, overrides: Partial<Parameters<typeof openLease>[0]> = {}) =>
  openLease({ lease, deviceKey: device, validatorKasPublicKey: kasKey.publicKey, now: NOW, playsUsed: 0, ...overrides });

describe("offline lease", () => {
  it("opens offline with its device key and names its terms", () => {
    const lease = issue();
    assert.equal(lease.length, LEASE_LENGTH);
    const opened = open(lease);
    assert.equal(hex(opened.dek), hex(dek));
    assert.equal(hex(opened.contentId), hex(contentId));
    assert.equal(opened.reader, READER);
    assert.equal(opened.validator, VALIDATOR);
    assert.equal(opened.notAfter, NOW + 3600n);
    assert.equal(opened.maxPlays, 3);
    const { dek: _opened, ...terms } = opened;
    assert.deepEqual(decodeLease(lease), terms);
    assert.equal(hex(decodeLease(lease).kid), hex(kasKey.kid));
  });

  it("opens until notAfter and for maxPlays plays, not after; 0 plays means unlimited", () => {
    const lease = issue();
    assert.doesNotThrow(() => open(lease, { now: NOW + 3599n, playsUsed: 2 }));
    assertCode(() => open(lease, { now: NOW + 3600n }), "ENVELOPE_EXPIRED");
    assertCode(() => open(lease, { playsUsed: 3 }), "ENVELOPE_PLAYS_EXHAUSTED");
    assert.doesNotThrow(() => open(issue({ maxPlays: 0 }), { playsUsed: 1_000_000 }));
  });

  it("error: a lease for another device key", () => {
    assertCode(() => open(issue({ devicePublicKey: P256PrivateKey.generate().publicKey })), "ENVELOPE_WRONG_RECIPIENT");
  });

  it("error: a forged validator signature, another KAS key, any changed byte", () => {
    const lease = issue();
    const forged = issueLease({ dek, contentId, reader: READER, devicePublicKey: device.publicKey, notAfter: NOW + 3600n, maxPlays: 3, validator: VALIDATOR, kasKey: P256PrivateKey.generate() });
    assertCode(() => open(forged), "ENVELOPE_UNKNOWN_KID");
    // A forger who copies the KID still cannot sign.
    const copiedKid = forged.slice();
    copiedKid.set(lease.subarray(118, 126), 118);
    assertCode(() => open(copiedKid), "ENVELOPE_BAD_SIGNATURE");
    for (let i = 1; i < lease.length; i++) {
      const tampered = lease.slice();
      tampered[i]! ^= 0x01;
      assert.throws(() => open(tampered), (error: Error & { code?: string }) => typeof error.code === "string" && error.code.startsWith("ENVELOPE_"));
    }
    // Raising the play count or the expiry is a signed-bytes change.
    const longer = lease.slice();
    longer[86] = 0x7f;
    assertCode(() => open(longer), "ENVELOPE_BAD_SIGNATURE");
  });

  it("error: malformed leases and terms", () => {
    assertCode(() => open(issue().subarray(1)), "ENVELOPE_MALFORMED");
    const version = issue();
    version[0] = 2;
    assertCode(() => open(version), "ENVELOPE_UNSUPPORTED_VERSION");
    assertCode(() => issue({ maxPlays: -1 }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => issue({ maxPlays: 2 ** 32 }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => issue({ notAfter: 0n }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => issue({ devicePublicKey: randomBytes(33) }), "ENVELOPE_INVALID_ARGUMENT");
    assertCode(() => issue({ dek: randomBytes(31) }), "ENVELOPE_INVALID_ARGUMENT");
  });
});
