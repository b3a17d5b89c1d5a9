import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeJson, encodeJson, P2pError, P2pRemoteError } from "../../../../node/validator/p2p/index.js";
import { decodeResponse, encodeErrorResponse, encodeOkResponse } from "../../../../node/validator/p2p/envelope.js";
import { encodeFrame, encodeVarint } from "../../../../node/validator/p2p/framing.js";

const code = (expected: string) => (error: unknown) => error instanceof P2pError && error.code === expected;
const context = { peer: "12D3KooWpeer", protocol: "/dekmesh/test/1.0.0" };

describe("p2p codec, framing and envelope", () => {
  it("JSON codec round-trips nested bytes, including empty and every byte value", () => {
    const value = { a: new Uint8Array(), b: [Uint8Array.from({ length: 256 }, (_, index) => index)], c: { d: "text", e: 1.5, f: null } };
    assert.deepEqual(decodeJson(encodeJson(value)), value);
    assert.equal(Buffer.from(encodeJson(Uint8Array.of(1, 2))).toString(), '{"$bytes":"AQI="}');
  });

  it("error: JSON codec refuses what it cannot represent or read", () => {
    assert.throws(() => encodeJson({ $bytes: "AQI=" }), code("P2P_INVALID_ARGUMENT"));
    assert.throws(() => encodeJson(10n), code("P2P_INVALID_ARGUMENT"));
    assert.throws(() => encodeJson(undefined), code("P2P_INVALID_ARGUMENT"));
    for (const bad of ['{"$bytes":"AQI"}', '{"$bytes":5}', "{", "\u00ff"]) {
      assert.throws(() => decodeJson(Buffer.from(bad, bad === "\u00ff" ? "latin1" : "utf8")), code("P2P_MALFORMED"), bad);
    }
  });

  it("varints are minimal unsigned LEB128", () => {
    assert.deepEqual([...encodeVarint(0)], [0]);
    assert.deepEqual([...encodeVarint(127)], [127]);
    assert.deepEqual([...encodeVarint(128)], [0x80, 1]);
    assert.deepEqual([...encodeVarint(300)], [0xac, 0x02]);
    assert.deepEqual([...encodeVarint(2 ** 32)], [0x80, 0x80, 0x80, 0x80, 0x10]);
    assert.deepEqual([...encodeFrame(Uint8Array.of(9, 8))], [2, 9, 8]);
    assert.throws(() => encodeVarint(-1), RangeError);
  });

  it("response envelope: answers, remote errors, and errors that must be shortened to fit", () => {
    assert.deepEqual([...decodeResponse(encodeOkResponse(Uint8Array.of(4, 5)), context)], [4, 5]);
    const error = { code: "HAS_UNKNOWN_CONTENT", message: "m".repeat(2_000), details: { big: "x".repeat(2_000) }, retryable: true };
    const encoded = encodeErrorResponse(error, 300);
    assert.ok(encoded.byteLength <= 300);
    assert.throws(
      () => decodeResponse(encoded, context),
      (thrown: unknown) =>
        thrown instanceof P2pRemoteError && thrown.code === "HAS_UNKNOWN_CONTENT" && thrown.retryable && thrown.peer === context.peer,
    );
    assert.throws(() => decodeResponse(new Uint8Array(), context), code("P2P_MALFORMED"));
    assert.throws(() => decodeResponse(Uint8Array.of(1, ...Buffer.from("[]")), context), code("P2P_MALFORMED"));
  });
});
