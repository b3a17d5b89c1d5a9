/** Sealed shares (publisher → member) and signed share answers (member → reader), and the header they open. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { getAddress } from "viem";
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
const addresses = members.map((_, i) => getAddress(`0x${String(i + 1).padStart(40, "a")}`));
const memberKeys = members.map((key, i) => ({ address: addresses[i]!, kasPublicKey: key.publicKey }));
const { contentKey, commitments, sealedShares } = dealSealedShares({ m: 3, members: memberKeys, contentId });
const open = (sealed: Uint8Array, slot: number, overrides: Partial<Parameters<typeof openSealedShare>[0]> = {}) =>
  openSealedShare({ sealed, contentId, member: addresses[slot]!, kasKey: members[slot]!, expectedIndex: slot + 1, ...overrides });
const shares: Share[] = sealedShares.map((sealed, slot) => open(sealed, slot));

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
    assert.deepEqual(decodeSealedShare(sealedShares[2]!), { index: 3, member: addresses[2], kid: members[2]!.kid });
    assert.deepEqual(shares.map((s) => s.index), [1, 2, 3, 4, 5]);
    assertCode(() => open(sealedShares[0]!, 0, { kasKey: members[1]! }), "THRESHOLD_UNKNOWN_KID");
    assertCode(() => open(sealedShares[0]!, 0, { member: addresses[1]! }), "THRESHOLD_WRONG_RECIPIENT");
    assertCode(() => open(sealedShares[0]!, 0, { expectedIndex: 2 }), "THRESHOLD_WRONG_INDEX");
    assertCode(() => open(sealedShares[0]!, 0, { contentId: randomBytes(32) }), "THRESHOLD_WRAP_FAILED");
    const ring = new KasKeyRing([members[0]!, P256PrivateKey.generate()]);
    assert.equal(hex(open(sealedShares[0]!, 0, { kasKey: ring }).value), hex(shares[0]!.value));
  });

  it("every flipped bit is refused with a typed error", () => {
    flipEach(sealedShares[0]!, (tampered) => {
      assert.throws(() => open(tampered, 0), (e: Error & { code?: string }) => e.code?.startsWith("THRESHOLD_") === true);
    });
    assertCode(() => open(sealedShares[0]!.subarray(1), 0), "THRESHOLD_MALFORMED");
  });

  it("a member key that is not a point is refused before anything is dealt", () => {
    assertCode(() => dealSealedShares({ m: 2, members: [memberKeys[0]!, { address: addresses[1]!, kasPublicKey: notAPoint }], contentId }), "THRESHOLD_INVALID_ARGUMENT");
    assertCode(() => dealSealedShares({ m: 2, members: [memberKeys[0]!, { address: "0x1234" as `0x${string}`, kasPublicKey: members[1]!.publicKey }], contentId }), "THRESHOLD_INVALID_ARGUMENT");
    assertCode(() => dealSealedShares({ m: 2, members: memberKeys.slice(0, 2), contentId: contentId.subarray(1) }), "THRESHOLD_INVALID_ARGUMENT");
  });
});

describe("share answers", () => {
  const requestDigest = randomBytes(32);
  const client = P256PrivateKey.generate();
  const answer = (slot: number, overrides: Partial<Parameters<typeof answerShare>[0]> = {}) =>
    answerShare({ share: shares[slot]!, contentId, requestDigest, clientPublicKey: client.publicKey, kasKey: members[slot]!, ...overrides });
  const openAnswer = (bytes: Uint8Array, slot: number, overrides: Partial<Parameters<typeof openShareAnswer>[0]> = {}) =>
    openShareAnswer({ answer: bytes, contentId, requestDigest, clientPrivateKey: client, member: { index: slot + 1, kasPublicKey: members[slot]!.publicKey }, commitments, ...overrides });

  it("the reader opens and checks a member's answer", () => {
    const bytes = answer(1);
    assert.equal(bytes.length, SHARE_ANSWER_LENGTH);
    assert.equal(hex(openAnswer(bytes, 1).value), hex(shares[1]!.value));
  });

  it("an answer opens for no other request, content, client or member", () => {
    const bytes = answer(1);
    assertCode(() => openAnswer(bytes, 1, { requestDigest: randomBytes(32) }), "THRESHOLD_BAD_SIGNATURE");
    assertCode(() => openAnswer(bytes, 1, { contentId: randomBytes(32) }), "THRESHOLD_BAD_SIGNATURE");
    assertCode(() => openAnswer(bytes, 1, { clientPrivateKey: P256PrivateKey.generate() }), "THRESHOLD_WRAP_FAILED");
    assertCode(() => openAnswer(bytes, 1, { member: { index: 2, kasPublicKey: members[2]!.publicKey } }), "THRESHOLD_BAD_SIGNATURE");
    assertCode(() => openAnswer(bytes, 2), "THRESHOLD_WRONG_INDEX");
  });

  it("a member that signs a wrong share is caught and named", () => {
    const wrong = { index: 2, value: Fn.toBytes(Fn.add(Fn.fromBytes(shares[1]!.value), 1n)) };
    const bytes = answer(1, { share: wrong });
    assert.throws(() => openAnswer(bytes, 1), (e: Error & { code?: string; details?: { index?: number } }) => e.code === "THRESHOLD_SHARE_INVALID" && e.details?.index === 2);
    // Another member's valid share under this member's index fails the same way.
    assertCode(() => openAnswer(answer(1, { share: { index: 2, value: shares[2]!.value } }), 1), "THRESHOLD_SHARE_INVALID");
  });

  it("every flipped bit of an answer is refused", () => {
    flipEach(answer(0), (tampered) => {
      assert.throws(() => openAnswer(tampered, 0), (e: Error & { code?: string }) => e.code?.startsWith("THRESHOLD_") === true);
    });
    assertCode(() => openAnswer(answer(0).subarray(0, 100), 0), "THRESHOLD_MALFORMED");
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
