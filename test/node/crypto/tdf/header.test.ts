/** The header codec: every field of the spec round-trips, every unknown value is a typed error. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  COMPRESSED_KEY_LENGTH,
  ECC_CURVES,
  GCM_TAG_LENGTHS,
  createNanoTdfHeader,
  decodeHeader,
  decodeNanoTdf,
  deriveDekForKas,
  encodeHeader,
  encodeLocator,
  locatorFromUrl,
  locatorToUrl,
  type EccCurve,
  type NanoTdfHeaderFields,
  type NanoTdfPolicy,
  type ResourceLocator,
} from "../../../../node/crypto/tdf/index.js";
import { assertCode, hex, TEST_KAS_KEY, TEST_LOCATOR } from "./helpers.js";

const SIGNATURE_LENGTHS: Record<EccCurve, number> = { secp256r1: 64, secp384r1: 96, secp521r1: 132, secp256k1: 64 };

const locatorArb: fc.Arbitrary<ResourceLocator> = fc
  .record({
    protocol: fc.constantFrom("http", "https", "shared-resource-directory") as fc.Arbitrary<ResourceLocator["protocol"]>,
    body: fc.string({ unit: "grapheme", minLength: 1, maxLength: 60 }),
    identifier: fc.option(fc.constantFrom(2, 8, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), { nil: undefined }),
  })
  .map(({ identifier, ...rest }) => (identifier === undefined ? rest : { ...rest, identifier }));

function keyArb(curve: EccCurve): fc.Arbitrary<Uint8Array> {
  const n = COMPRESSED_KEY_LENGTH[curve];
  return fc.tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: n - 1, maxLength: n - 1 })).map(([p, rest]) => Uint8Array.from([p, ...rest]));
}

function policyArb(curve: EccCurve, useEcdsaBinding: boolean): fc.Arbitrary<NanoTdfPolicy> {
  const n = useEcdsaBinding ? SIGNATURE_LENGTHS[curve] : 8;
  const binding = fc.uint8Array({ minLength: n, maxLength: n });
  const body = fc.uint8Array({ minLength: 1, maxLength: 400 });
  return fc.oneof(
    fc.record({ type: fc.constant("remote" as const), locator: locatorArb, binding }),
    fc.record({ type: fc.constant("embedded-plaintext" as const), body, binding }),
    fc.record({ type: fc.constant("embedded-encrypted" as const), body, binding }),
    fc.record({
      type: fc.constant("embedded-encrypted-key-access" as const),
      body,
      keyAccess: fc.record({ locator: locatorArb, ephemeralPublicKey: keyArb(curve) }),
      binding,
    }),
  );
}

const headerArb: fc.Arbitrary<NanoTdfHeaderFields> = fc
  .record({ curve: fc.constantFrom(...ECC_CURVES), useEcdsaBinding: fc.boolean() })
  .chain(({ curve, useEcdsaBinding }) =>
    fc.record({
      kas: locatorArb,
      curve: fc.constant(curve),
      useEcdsaBinding: fc.constant(useEcdsaBinding),
      hasSignature: fc.boolean(),
      signatureCurve: fc.constantFrom(...ECC_CURVES),
      tagLength: fc.constantFrom(...GCM_TAG_LENGTHS),
      policy: policyArb(curve, useEcdsaBinding),
      ephemeralPublicKey: keyArb(curve),
    }),
  );

/** Order-independent, prototype-independent rendering for comparing decoded structures. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => {
    if (field instanceof Uint8Array) return hex(field);
    if (field !== null && typeof field === "object" && !Array.isArray(field)) {
      return Object.fromEntries(Object.entries(field).sort(([a], [b]) => a.localeCompare(b)));
    }
    return field;
  });
}

/** A valid dekmesh header to corrupt field by field. */
function sampleHeader(): Uint8Array {
  return createNanoTdfHeader({ kasPublicKey: TEST_KAS_KEY.publicKey, locator: TEST_LOCATOR, policyId: 7n }).header.bytes;
}
// Offsets in sampleHeader(): magic 0–2, locator protocol 3, body length 4, body 5–36, kid 37–44,
// ECC mode 45, symmetric config 46, policy type 47, policy length 48–49, content 50–74, binding 75–82, key 83–115.
const BODY_LENGTH = 32;
const ECC = 5 + BODY_LENGTH + 8;

function corrupt(offset: number, value: number): Uint8Array {
  const bytes = sampleHeader();
  bytes[offset] = value;
  return bytes;
}

describe("header codec", () => {
  it("round-trips every curve, binding, policy type, tag size and locator form", () => {
    fc.assert(
      fc.property(headerArb, (fields) => {
        const header = encodeHeader(fields);
        const decoded = decodeHeader(header.bytes, { exact: true });
        const { bytes: _bytes, policyContentOffset: _offset, ...decodedFields } = decoded;
        assert.equal(canonical(decodedFields), canonical(fields));
        assert.equal(hex(encodeHeader(decoded).bytes), hex(header.bytes));
      }),
      { numRuns: 400 },
    );
  });

  it("the sample header has the documented layout", () => {
    const bytes = sampleHeader();
    assert.equal(bytes.length, 116);
    assert.equal(bytes[ECC], 0x00);
    assert.equal(bytes[ECC + 1], 0x05);
    assert.equal(bytes[ECC + 2], 0x02);
  });

  it("locator helpers", () => {
    const locator = locatorFromUrl("HTTPS://validator-1.dekmesh.example:8443/rewrap", new Uint8Array(8));
    assert.equal(locator.protocol, "https");
    assert.equal(locatorToUrl(locator), "https://validator-1.dekmesh.example:8443/rewrap");
    assert.equal(encodeLocator(locator)[0], 0x21);
    assert.equal(locatorToUrl({ protocol: "shared-resource-directory", body: "x" }), undefined);
    assertCode(() => locatorFromUrl("ftp://x"), "TDF_UNSUPPORTED_PROTOCOL");
  });

  it("error: wrong magic", () => assertCode(() => decodeHeader(corrupt(1, 0x32)), "TDF_BAD_MAGIC"));
  it("error: unassigned protocol", () => assertCode(() => decodeHeader(corrupt(3, 0x22)), "TDF_UNSUPPORTED_PROTOCOL"));
  it("error: unassigned identifier size", () => assertCode(() => decodeHeader(corrupt(3, 0x41)), "TDF_INVALID_LOCATOR"));
  it("error: empty locator body", () => assertCode(() => decodeHeader(corrupt(4, 0)), "TDF_INVALID_LOCATOR"));
  it("error: locator body that is not UTF-8", () => assertCode(() => decodeHeader(corrupt(5, 0xff)), "TDF_INVALID_LOCATOR"));
  it("error: unused ECC mode bits", () => assertCode(() => decodeHeader(corrupt(ECC, 0x08)), "TDF_RESERVED_BITS"));
  it("error: unknown ephemeral curve", () => {
    for (const code of [4, 5, 6, 7]) assertCode(() => decodeHeader(corrupt(ECC, code)), "TDF_UNSUPPORTED_CURVE");
  });
  it("error: unknown signature curve", () => assertCode(() => decodeHeader(corrupt(ECC + 1, 0x45)), "TDF_UNSUPPORTED_CURVE"));
  it("error: unknown cipher", () => {
    for (let cipher = 6; cipher < 16; cipher++) assertCode(() => decodeHeader(corrupt(ECC + 1, cipher)), "TDF_UNSUPPORTED_CIPHER");
  });
  it("error: unknown policy type", () => assertCode(() => decodeHeader(corrupt(ECC + 2, 4)), "TDF_UNSUPPORTED_POLICY_TYPE"));
  it("error: empty embedded policy", () => {
    const bytes = sampleHeader();
    bytes[ECC + 3] = 0;
    bytes[ECC + 4] = 0;
    assertCode(() => decodeHeader(bytes), "TDF_INVALID_POLICY");
  });
  it("error: ephemeral key that is not a compressed point", () => assertCode(() => decodeHeader(corrupt(83, 0x04)), "TDF_INVALID_KEY"));
  it("error: ephemeral key that is not on the curve", () => {
    const bytes = sampleHeader();
    bytes.fill(0xff, 84);
    assertCode(() => deriveDekForKas(decodeHeader(bytes), TEST_KAS_KEY), "TDF_INVALID_KEY");
  });
  it("error: every truncation", () => {
    const bytes = sampleHeader();
    for (let n = 0; n < bytes.length; n++) assertCode(() => decodeHeader(bytes.subarray(0, n)), "TDF_TRUNCATED");
  });
  it("error: trailing bytes when exact", () => {
    const bytes = Uint8Array.from([...sampleHeader(), 0]);
    assert.equal(decodeHeader(bytes).bytes.length, 116);
    assertCode(() => decodeHeader(bytes, { exact: true }), "TDF_TRAILING_DATA");
  });
  it("error: encoder refuses what it could not decode", () => {
    const base = decodeHeader(sampleHeader());
    assertCode(() => encodeHeader({ ...base, kas: { ...base.kas, identifier: new Uint8Array(3) } }), "TDF_INVALID_LOCATOR");
    assertCode(() => encodeHeader({ ...base, kas: { protocol: "https", body: "x".repeat(256) } }), "TDF_INVALID_LOCATOR");
    assertCode(() => encodeHeader({ ...base, policy: { ...base.policy, binding: new Uint8Array(64) } }), "TDF_INVALID_POLICY");
    assertCode(() => encodeHeader({ ...base, tagLength: 9 }), "TDF_UNSUPPORTED_CIPHER");
    assertCode(() => encodeHeader({ ...base, ephemeralPublicKey: new Uint8Array(33) }), "TDF_INVALID_KEY");
  });
  it("error: payload shorter than IV and tag, and the reserved IV", () => {
    const header = sampleHeader();
    assertCode(() => decodeNanoTdf(Uint8Array.from([...header, 0, 0, 18, ...new Uint8Array(18)])), "TDF_INVALID_PAYLOAD");
    assertCode(() => decodeNanoTdf(Uint8Array.from([...header, 0, 0, 19, ...new Uint8Array(19)])), "TDF_INVALID_SEGMENT");
  });
});
