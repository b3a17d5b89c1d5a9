/** Sealed shares (publisher → member) and signed share answers (member → reader), and the header they open. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { KasKeyRing, P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { decryptNanoTdf, encryptNanoTdf } from "../../../../node/crypto/tdf/index.js";
import {
  SEALED_SHARE_LENGTH,
  SHARE_ANSWER_LENGTH,
  answerShare,
  checkThresholdHeader,
  dealSealedShares,
  decodeSealedShare,
  deriveThresholdDek,
  openSealedShare,
  openShareAnswer,
  type Share,
} from "../../../../node/crypto/threshold/index.js";
import { scalarField as Fn } from "../../../../node/crypto/threshold/shares.js";
import { assertCode, hex } from "../tdf/helpers.js";

const contentId = randomBytes(32);
const members = Array.from({ length: 5 }, () => P256PrivateKey.generate());
/** 02 ‖ ff…ff: x is not below the field prime, so this is no point. */
const notAPoint = new Uint8Array(33).fill(0xff).fill(2, 0, 1);
const memberKeys = members.map((key) => ({ kasPublicKey: key.publicKey }));
const { contentKey, commitments, sealedShares } = dealSealedShares({ m: 3, members: memberKeys, contentId });
const shares: Share[] = sealedShares.map((sealed, slot) => openSealedShare({ sealed, contentId, kasKey: members[slot]!, expectedIndex: slot + 1 }));

function flipEach(bytes: Uint8Array, check: (tampered: Uint8Array) => void): void {
  for (let i = 0; i < bytes.length; i++) {
    const tampered = bytes.slice();
    tampered[i]! ^= 0x01;
    check(tampered);
  }
}

describe("sealed shares", () => {
  it("share i opens only for member i, as share i of this content", () => {
    assert.equal(sealedShares[0]!.length, SEALED_SHARE_LENGTH);
    assert.deepEqual(decodeSealedShare(sealedShares[2]!), { index: 3, kid: members[2]!.kid });
    assert.deepEqual(shares.map((s) => s.index), [1, 2, 3, 4, 5]);
    assertCode(() => openSealedShare({ sealed: sealedShares[0]!, contentId, kasKey: members[1]!, expectedIndex: 1 }), "THRESHOLD_UNKNOWN_KID");
    assertCode(() => openSealedShare({ sealed: sealedShares[0]!, contentId, kasKey: members[0]!, expectedIndex: 2 }), "THRESHOLD_WRONG_INDEX");
    assertCode(() => openSealedShare({ sealed: sealedShares[0]!, contentId: randomBytes(32), kasKey: members[0]!, expectedIndex: 1 }), "THRESHOLD_WRAP_FAILED");
    const ring = new KasKeyRing([members[0]!, P256PrivateKey.generate()]);
    assert.equal(hex(openSealedShare({ sealed: sealedShares[0]!, contentId, kasKey: ring, expectedIndex: 1 }).value), hex(shares[0]!.value));
  });

  it("every flipped bit is refused with a typed error", () => {
    flipEach(sealedShares[0]!, (tampered) => {
      assert.throws(() => openSealedShare({ sealed: tampered, contentId, kasKey: members[0]!, expectedIndex: 1 }), (e: Error & { code?: string }) => e.code?.startsWith("THRESHOLD_") === true);
    });
    assertCode(() => openSealedShare({ sealed: sealedShares[0]!.subarray(1), contentId, kasKey: members[0]!, expectedIndex: 1 }), "THRESHOLD_MALFORMED");
  });

  it("a member key that is not a point is refused before anything is dealt", () => {
    assertCode(() => dealSealedShares({ m: 2, members: [memberKeys[0]!, { kasPublicKey: notAPoint }], contentId }), "THRESHOLD_INVALID_ARGUMENT");
    assertCode(() => dealSealedShares({ m: 2, members: memberKeys.slice(0, 2), contentId: contentId.subarray(1) }), "THRESHOLD_INVALID_ARGUMENT");
  });
});

describe("share answers", () => {
  const requestDigest = randomBytes(32);
  const client = P256PrivateKey.generate();
  const answer = (slot: number, overrides: Partial<Parameters<typeof answerShare>[0]> = {}) =>
    answerShare({ share: shares[slot]!, contentId, requestDigest, clientPublicKey: client.publicKey, kasKey: members[slot]!, ...overrides });
  const open = (bytes: Uint8Array, slot: number, overrides: Partial<Parameters<typeof openShareAnswer>[0]> = {}) =>
    openShareAnswer({ answer: bytes, contentId, requestDigest, clientPrivateKey: client, member: { index: slot + 1, kasPublicKey: members[slot]!.publicKey }, commitments, ...overrides });

  it("the reader opens and checks a member's answer", () => {
    const bytes = answer(1);
    assert.equal(bytes.length, SHARE_ANSWER_LENGTH);
    assert.equal(hex(open(bytes, 1).value), hex(shares[1]!.value));
  });

  it("an answer opens for no other request, content, client or member", () => {
    const bytes = answer(1);
    assertCode(() => open(bytes, 1, { requestDigest: randomBytes(32) }), "THRESHOLD_BAD_SIGNATURE");
    assertCode(() => open(bytes, 1, { contentId: randomBytes(32) }), "THRESHOLD_BAD_SIGNATURE");
    assertCode(() => open(bytes, 1, { clientPrivateKey: P256PrivateKey.generate() }), "THRESHOLD_WRAP_FAILED");
    assertCode(() => open(bytes, 1, { member: { index: 2, kasPublicKey: members[2]!.publicKey } }), "THRESHOLD_BAD_SIGNATURE");
    assertCode(() => open(bytes, 2), "THRESHOLD_WRONG_INDEX");
  });

  it("a member that signs a wrong share is caught and named", () => {
    const wrong = { index: 2, value: Fn.toBytes(Fn.add(Fn.fromBytes(shares[1]!.value), 1n)) };
    const bytes = answer(1, { share: wrong });
    assert.throws(() => open(bytes, 1), (e: Error & { code?: string; details?: { index?: number } }) => e.code === "THRESHOLD_SHARE_INVALID" && e.details?.index === 2);
    // Another member's valid share under this member's index fails the same way.
    assertCode(() => open(answer(1, { share: { index: 2, value: shares[2]!.value } }), 1), "THRESHOLD_SHARE_INVALID");
  });

  it("every flipped bit of an answer is refused", () => {
    flipEach(answer(0), (tampered) => {
      assert.throws(() => open(tampered, 0), (e: Error & { code?: string }) => e.code?.startsWith("THRESHOLD_") === true);
    });
    assertCode(() => open(answer(0).subarray(0, 100), 0), "THRESHOLD_MALFORMED");
    assertCode(() => answer(0, { clientPublicKey: notAPoint }), "THRESHOLD_INVALID_ARGUMENT");
    assertCode(() => answer(0, { requestDigest: new Uint8Array(31) }), "THRESHOLD_INVALID_ARGUMENT");
  });
});

describe("a threshold content's header", () => {
  const plaintext = randomBytes(1000);
  const file = encryptNanoTdf({ plaintext, kasPublicKey: commitments[0]!, locator: "https://threshold.dekmesh.invalid", policyId: 7n, binding: "ecdsa" });

  it("is made against K_c = C_0 and decrypts with the DEK from any m shares", () => {
    for (const chosen of [[0, 1, 2], [4, 2, 0], [1, 3, 4]]) {
      const dek = deriveThresholdDek({ header: file.header, commitments, shares: chosen.map((i) => shares[i]!) });
      assert.equal(hex(dek), hex(file.dek));
      assert.equal(hex(decryptNanoTdf({ bytes: file.bytes, dek, expectedPolicyId: 7n })), hex(plaintext));
    }
    assert.equal(hex(contentKey.publicKey), hex(commitments[0]!));
  });

  it("commitments that do not match the header's KID are refused", () => {
    const other = dealSealedShares({ m: 3, members: memberKeys, contentId });
    assertCode(() => checkThresholdHeader(file.header, other.commitments), "THRESHOLD_COMMITMENTS_MISMATCH");
    assertCode(() => deriveThresholdDek({ header: file.header, commitments: other.commitments, shares }), "THRESHOLD_COMMITMENTS_MISMATCH");
  });

  it("a header with the encrypted policy binding is refused: members could not check its policy", () => {
    const encrypted = encryptNanoTdf({ plaintext, kasPublicKey: commitments[0]!, locator: "https://threshold.dekmesh.invalid", policyId: 7n, binding: "encrypted" });
    assertCode(() => checkThresholdHeader(encrypted.header, commitments), "THRESHOLD_HEADER_UNSUPPORTED");
  });
});
