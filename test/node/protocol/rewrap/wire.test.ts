/** The rewrap wire format and EIP-712 digests, without a network: strict decoding, sizes, viem agreement. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { hashTypedData, type Address, type Hex, bytesToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import {
  decodeBulkAnswer,
  decodeBulkRequest,
  decodeRefusal,
  decodeRewrapAnswer,
  decodeRewrapRequest,
  decodeSessionGrant,
  decodeSessionInfo,
  encodeBulkAnswer,
  encodeBulkRequest,
  encodeRefusal,
  encodeRewrapAnswer,
  encodeRewrapRequest,
  encodeSessionGrant,
  encodeSessionInfo,
  MAX_BULK_CONTENTS,
  MAX_BULK_REQUEST_BYTES,
  MAX_REWRAP_REQUEST_BYTES,
  REFUSAL_BYTES,
  REWRAP_ERROR_CODES,
  RewrapError,
  rewrapBulkRequestTypedData,
  rewrapRequestTypedData,
  sessionGrantTypedData,
  type SignedRewrapBulkRequest,
  type SignedRewrapRequest,
} from "../../../../node/protocol/rewrap/index.js";
import { RewrapHasher } from "../../../../node/crypto/keys/eip712.js";

const domain = { chainId: 31337n, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address };
const hasher = new RewrapHasher(domain);
const account = privateKeyToAccount(`0x${"11".repeat(32)}`);
const id = (): Hex => bytesToHex(randomBytes(32));

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof RewrapError && error.code === code, `expected ${code}`);
}

async function signedRequest(): Promise<SignedRewrapRequest> {
  const request = { contentId: id(), clientPublicKey: P256PrivateKey.generate().publicKey, nonce: 2n ** 255n + 7n, expiry: 1_900_000_000 };
  const signature = await account.signTypedData(rewrapRequestTypedData(domain, request) as never);
  return { request, auth: { kind: "account", account: account.address.toLowerCase() as Address, signature: new Uint8Array(Buffer.from(signature.slice(2), "hex")) } };
}

function sessionRequest(): SignedRewrapRequest {
  const key = P256PrivateKey.generate();
  const request = { contentId: id(), clientPublicKey: P256PrivateKey.generate().publicKey, nonce: 5n, expiry: 1_900_000_000 };
  return {
    request,
    auth: {
      kind: "session",
      grant: { account: account.address.toLowerCase() as Address, sessionPublicKey: key.publicKey, expiry: 1_900_000_100, nonce: 9n, signature: new Uint8Array(randomBytes(65)) },
      signature: key.sign(hasher.request(request)),
    },
  };
}

describe("EIP-712 digests", () => {
  it("equal viem's hashTypedData for requests, bulk requests and grants", () => {
    for (let i = 0; i < 20; i++) {
      const request = { contentId: id(), clientPublicKey: P256PrivateKey.generate().publicKey, nonce: BigInt(bytesToHex(randomBytes(32))), expiry: 1_800_000_000 + i };
      assert.equal(bytesToHex(hasher.request(request)), hashTypedData(rewrapRequestTypedData(domain, request) as never));
      const bulk = { ...request, contentIds: Array.from({ length: i + 1 }, id) };
      assert.equal(bytesToHex(hasher.bulk(bulk)), hashTypedData(rewrapBulkRequestTypedData(domain, bulk) as never));
      const grant = { account: account.address, sessionPublicKey: request.clientPublicKey, expiry: 1_800_000_000 + i, nonce: BigInt(i) };
      assert.equal(bytesToHex(hasher.grant(grant)), hashTypedData(sessionGrantTypedData(domain, grant) as never));
    }
  });

  it("depend on the domain (chain id and audit log address)", () => {
    const request = { contentId: id(), clientPublicKey: P256PrivateKey.generate().publicKey, nonce: 1n, expiry: 1 };
    const other = new RewrapHasher({ ...domain, chainId: 1n });
    const otherLog = new RewrapHasher({ ...domain, verifyingContract: "0x0000000000000000000000000000000000000001" });
    const digests = new Set([hasher.request(request), other.request(request), otherLog.request(request)].map((digest) => bytesToHex(digest)));
    assert.equal(digests.size, 3);
  });
});

describe("wire: requests", () => {
  it("round-trips account-signed, session-signed and bulk requests", async () => {
    for (const signed of [await signedRequest(), sessionRequest()]) {
      const text = encodeRewrapRequest(signed);
      assert.deepEqual(decodeRewrapRequest(text), signed);
      assert.deepEqual(decodeRewrapRequest(new TextEncoder().encode(text)), signed);
    }
    const base = await signedRequest();
    const bulk: SignedRewrapBulkRequest = { request: { ...base.request, contentIds: Array.from({ length: MAX_BULK_CONTENTS }, id) }, auth: base.auth };
    delete (bulk.request as { contentId?: Hex }).contentId;
    const text = encodeBulkRequest(bulk);
    assert.ok(Buffer.byteLength(text) < MAX_BULK_REQUEST_BYTES);
    assert.deepEqual(decodeBulkRequest(text), bulk);
  });

  it("normalizes hex case of ids and addresses", async () => {
    const signed = await signedRequest();
    const json = JSON.parse(encodeRewrapRequest(signed));
    json.contentId = json.contentId.toUpperCase().replace("0X", "0x");
    json.auth.account = account.address; // checksummed
    const decoded = decodeRewrapRequest(JSON.stringify(json));
    assert.equal(decoded.request.contentId, signed.request.contentId);
    assert.equal(decoded.auth.kind === "account" && decoded.auth.account, signed.auth.kind === "account" && signed.auth.account);
  });

  it("error: malformed — every field mistyped, missing or extra", async () => {
    const good = JSON.parse(encodeRewrapRequest(await signedRequest()));
    const mutations: ((j: any) => void)[] = [
      (j) => delete j.contentId,
      (j) => (j.extra = 1),
      (j) => (j.contentId = j.contentId.slice(0, -2)),
      (j) => (j.contentId = `${j.contentId.slice(0, -1)}g`),
      (j) => (j.clientPublicKey = `0x04${j.clientPublicKey.slice(4)}`),
      (j) => (j.clientPublicKey = j.clientPublicKey.slice(0, -2)),
      (j) => (j.nonce = 5),
      (j) => (j.nonce = "0x05"),
      (j) => (j.nonce = "007"),
      (j) => (j.nonce = (2n ** 256n).toString()),
      (j) => (j.nonce = "-1"),
      (j) => (j.expiry = "1900000000"),
      (j) => (j.expiry = 1.5),
      (j) => (j.expiry = -1),
      (j) => (j.expiry = 2 ** 60),
      (j) => (j.auth = null),
      (j) => (j.auth.signature = j.auth.signature.slice(0, -2)),
      (j) => (j.auth.account = "0x1234"),
      (j) => (j.auth.extra = true),
      (j) => (j.auth = { session: {}, signature: j.auth.signature }),
      (j) => (j.auth = []),
    ];
    for (const mutate of mutations) {
      const json = structuredClone(good);
      mutate(json);
      assertCode(() => decodeRewrapRequest(JSON.stringify(json)), "REWRAP_MALFORMED");
    }
    for (const text of ["", "null", "[]", '"x"', "{", "{}", "\u0000"]) assertCode(() => decodeRewrapRequest(text), "REWRAP_MALFORMED");
    assertCode(() => decodeRewrapRequest(new Uint8Array([0xff, 0xfe, 0x7b])), "REWRAP_MALFORMED");
  });

  it("error: truncated at every length", async () => {
    const text = encodeRewrapRequest(sessionRequest());
    for (let n = 0; n < text.length; n++) assertCode(() => decodeRewrapRequest(text.slice(0, n)), "REWRAP_MALFORMED");
  });

  it("error: oversized messages are refused before parsing", async () => {
    assertCode(() => decodeRewrapRequest(`{"contentId":"${"a".repeat(MAX_REWRAP_REQUEST_BYTES)}"}`), "REWRAP_TOO_LARGE");
    assertCode(() => decodeSessionGrant("x".repeat(MAX_REWRAP_REQUEST_BYTES + 1)), "REWRAP_TOO_LARGE");
    assertCode(() => decodeBulkRequest(" ".repeat(MAX_BULK_REQUEST_BYTES + 1)), "REWRAP_TOO_LARGE");
  });

  it("error: bulk with more than 1,000, zero or duplicate contents", async () => {
    const base = JSON.parse(encodeRewrapRequest(await signedRequest()));
    delete base.contentId;
    assertCode(() => decodeBulkRequest(JSON.stringify({ ...base, contentIds: Array.from({ length: MAX_BULK_CONTENTS + 1 }, id) })), "REWRAP_TOO_LARGE");
    assertCode(() => decodeBulkRequest(JSON.stringify({ ...base, contentIds: Array.from({ length: 5_000 }, id) })), "REWRAP_TOO_LARGE");
    assertCode(() => decodeBulkRequest(JSON.stringify({ ...base, contentIds: [] })), "REWRAP_MALFORMED");
    const dup = id();
    assertCode(() => decodeBulkRequest(JSON.stringify({ ...base, contentIds: [dup, dup.toUpperCase().replace("0X", "0x")] })), "REWRAP_MALFORMED");
  });

  it("round-trips session grants and session info", () => {
    const grant = { account: account.address.toLowerCase() as Address, sessionPublicKey: P256PrivateKey.generate().publicKey, expiry: 1_900_000_000, nonce: 3n, signature: randomBytes(65) };
    assert.deepEqual(decodeSessionGrant(encodeSessionGrant(grant)), { ...grant, signature: new Uint8Array(grant.signature) });
    const info = { grantHash: id(), account: grant.account, sessionPublicKey: grant.sessionPublicKey, expiry: grant.expiry };
    assert.deepEqual(decodeSessionInfo(encodeSessionInfo(info)), info);
  });
});

describe("wire: answers and refusals", () => {
  it("round-trips answers", () => {
    const answer = { contentId: id(), requestDigest: id(), envelope: new Uint8Array(randomBytes(82)) };
    assert.deepEqual(decodeRewrapAnswer(encodeRewrapAnswer(answer)), answer);
    assertCode(() => decodeRewrapAnswer(encodeRewrapAnswer({ ...answer, envelope: new Uint8Array(81) })), "REWRAP_MALFORMED");
  });

  it("every refusal is exactly REFUSAL_BYTES long and decodes to its code", () => {
    for (const code of REWRAP_ERROR_CODES) {
      const reasons = code === "REWRAP_ACCESS_DENIED" ? (["MissingAttribute", "PolicyRevoked", "Expired", "NotYetValid", "NotOnAllowlist"] as const) : [undefined];
      for (const reason of reasons) {
        const text = encodeRefusal(new RewrapError(code, reason ? { reason } : {}));
        assert.equal(Buffer.byteLength(text), REFUSAL_BYTES, code);
        const decoded = decodeRefusal(text);
        assert.equal(decoded.code, code);
        assert.equal(decoded.reason, reason);
      }
    }
  });

  it("a refusal carries nothing from its cause", () => {
    const text = encodeRefusal(new RewrapError("REWRAP_UNAVAILABLE", { cause: new Error("secret detail 0xdeadbeef") }));
    assert.ok(!text.includes("secret") && !text.includes("deadbeef"));
  });

  it("bulk answers: every item has the same size, served or refused", () => {
    const items = [
      { contentId: id(), envelope: new Uint8Array(randomBytes(82)) },
      { contentId: id(), error: { code: "REWRAP_ACCESS_DENIED" as const, reason: "MissingAttribute" as const } },
      { contentId: id(), error: { code: "REWRAP_NOT_HOLDER" as const } },
      { contentId: id(), error: { code: "REWRAP_CONTENT_NOT_FOUND" as const } },
    ];
    const answer = { requestDigest: id(), results: items };
    const text = encodeBulkAnswer(answer);
    assert.deepEqual(decodeBulkAnswer(text, 1 << 20), answer);
    const sizes = new Set((JSON.parse(text).results as unknown[]).map((item) => JSON.stringify(item).length));
    assert.equal(sizes.size, 1);
  });
});
