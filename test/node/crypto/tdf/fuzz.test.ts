/**
 * Decoder fuzzing with a fixed seed: random inputs and mutations of valid files (dekmesh
 * files of both bindings, segmented and signed, and the OpenTDF spec examples). Only typed
 * errors may come out, no case may hang, and lying length fields must not make the decoder
 * allocate what they claim.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { DekmeshError } from "../../../../node/protocol/errors.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import {
  TdfError,
  decodeHeader,
  decodeNanoTdf,
  decryptNanoTdf,
  decryptStream,
  encryptNanoTdf,
} from "../../../../node/crypto/tdf/index.js";
import { assertCode, assertRejectsCode, chunked, collect, TEST_KAS_KEY, TEST_LOCATOR } from "./helpers.js";
import { prng } from "../../helpers/prng.js";

const CASES = 100_000;
const SEED = 0x0dec0de5;


function corpus(): Uint8Array[] {
  const kasPublicKey = TEST_KAS_KEY.publicKey;
  const plaintext = new Uint8Array(50).map((_, i) => i);
  const examples = JSON.parse(readFileSync(new URL("../vectors/opentdf-nanotdf-examples.json", import.meta.url), "utf8")) as {
    examples: { nanotdf_base64: string }[];
  };
  const files = [
    encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 1n }).bytes,
    encryptNanoTdf({ plaintext, kasPublicKey, locator: TEST_LOCATOR, policyId: 2n, binding: "ecdsa", segmentSize: 16, signer: P256PrivateKey.generate() }).bytes,
    encryptNanoTdf({ plaintext: new Uint8Array(0), kasPublicKey, locator: "http://v", policyId: 3n, tagBits: 96 }).bytes,
    ...examples.examples.map((e) => new Uint8Array(Buffer.from(e.nanotdf_base64, "base64"))),
  ];
  return [...files, ...files.map((file) => decodeHeader(file).bytes)];
}

function mutate(random: () => number, input: Uint8Array): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  let bytes = input.slice();
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    switch (int(6)) {
      case 0: // overwrite a byte
        if (bytes.length > 0) bytes[int(bytes.length)] = int(256);
        break;
      case 1: // flip a bit
        if (bytes.length > 0) bytes[int(bytes.length)]! ^= 1 << int(8);
        break;
      case 2: // truncate
        bytes = bytes.subarray(0, int(bytes.length + 1));
        break;
      case 3: {
        // insert random bytes
        const at = int(bytes.length + 1);
        const extra = new Uint8Array(1 + int(8)).map(() => int(256));
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...extra, ...bytes.subarray(at)]);
        break;
      }
      case 4: {
        // a length field that lies: 0xff.. or 0x00.. runs
        const at = int(bytes.length + 1);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...new Uint8Array(1 + int(3)).fill(random() < 0.5 ? 0xff : 0), ...bytes.subarray(at + 1)]);
        break;
      }
      default: {
        // delete a range
        const at = int(bytes.length + 1);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + int(16))]);
      }
    }
  }
  return bytes;
}

function expectTyped(run: () => unknown, input: Uint8Array): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DekmeshError)) {
      assert.fail(`untyped ${String(error)} for input ${Buffer.from(input).toString("hex")}`);
    }
  }
}

describe("decoder fuzzing", () => {
  it(`${CASES} random and mutated inputs yield only typed errors, none slow`, () => {
    const random = prng(SEED);
    const seeds = corpus();
    let slowest = 0;
    let typedErrors = 0;
    const started = performance.now();
    for (let i = 0; i < CASES; i++) {
      let input: Uint8Array;
      if (i % 5 === 0) {
        input = new Uint8Array(Math.floor(random() * 200)).map(() => Math.floor(random() * 256));
        if (random() < 0.5 && input.length >= 3) input.set([0x4c, 0x31, 0x4c]);
      } else {
        input = mutate(random, seeds[Math.floor(random() * seeds.length)]!);
      }
      const caseStart = performance.now();
      expectTyped(() => decodeNanoTdf(input), input);
      expectTyped(() => decodeHeader(input), input);
      // The full pipeline (ECDH, policy check, GCM) for a share of the cases.
      if (i % 10 === 1) {
        try {
          decryptNanoTdf({ bytes: input, kasPrivateKey: TEST_KAS_KEY, checkPolicyBinding: random() < 0.5 });
        } catch (error) {
          if (!(error instanceof DekmeshError)) assert.fail(`untyped ${String(error)} for ${Buffer.from(input).toString("hex")}`);
          typedErrors++;
        }
      }
      slowest = Math.max(slowest, performance.now() - caseStart);
    }
    const elapsed = performance.now() - started;
    assert.ok(typedErrors > CASES / 20, "the mutations must actually break files");
    assert.ok(slowest < 100, `slowest case took ${slowest.toFixed(1)} ms`);
    assert.ok(elapsed < 30_000, `fuzzing took ${elapsed.toFixed(0)} ms`);
  });

  it("the stream decoder yields only typed errors on mutated files", async () => {
    const random = prng(SEED + 1);
    const seeds = corpus();
    for (let i = 0; i < 2_000; i++) {
      const input = mutate(random, seeds[Math.floor(random() * seeds.length)]!);
      try {
        await collect(decryptStream(chunked(input, 1 + Math.floor(random() * 40)), { kasPrivateKey: TEST_KAS_KEY }));
      } catch (error) {
        if (!(error instanceof DekmeshError)) assert.fail(`untyped ${String(error)} for ${Buffer.from(input).toString("hex")}`);
      }
    }
  });

  it("a payload length claiming 16 MiB in a short input fails at once without allocating it", async () => {
    const header = encryptNanoTdf({ plaintext: new Uint8Array(0), kasPublicKey: TEST_KAS_KEY.publicKey, locator: "https://v", policyId: 1n }).header.bytes;
    const input = Uint8Array.from([...header, 0xff, 0xff, 0xff, ...new Uint8Array(100 - header.length - 3)]);
    assert.equal(input.length, 100);
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    assertCode(() => decodeNanoTdf(input), "TDF_TRUNCATED");
    try {
      decodeNanoTdf(input);
    } catch (error) {
      assert.ok(error instanceof TdfError);
      assert.equal(error.details.needed, 0xffffff);
    }
    await assertRejectsCode(() => collect(decryptStream([input], { kasPrivateKey: TEST_KAS_KEY })), "TDF_TRUNCATED");
    assert.ok(performance.now() - started < 50);
    assert.ok(process.memoryUsage().arrayBuffers - before < 4 * 1024 * 1024, "no 16 MiB buffer was allocated");
  });

  it("a policy length claiming 64 KiB in a short header fails at once", () => {
    const header = decodeHeader(encryptNanoTdf({ plaintext: new Uint8Array(0), kasPublicKey: TEST_KAS_KEY.publicKey, locator: "https://v", policyId: 1n }).bytes).bytes.slice();
    // magic 3, locator "v" with KID 1+1+1+8, ECC and symmetric bytes 2, policy type 1.
    const lengthAt = 3 + 11 + 2 + 1;
    assert.equal(header[lengthAt - 1], 0x02);
    header[lengthAt] = 0xff;
    header[lengthAt + 1] = 0xff;
    assertCode(() => decodeHeader(header), "TDF_TRUNCATED");
  });
});
