/**
 * Crypto core benchmark: NanoTDF against raw WebCrypto AES-256-GCM on the same 1 MiB buffer,
 * a 256 MiB streamed encrypt+decrypt in a child process (for an honest peak RSS), the
 * rewrap envelope against raw native P-256 ECDH, and the typical header overhead.
 * Throughputs are MB/s (10^6 bytes per second); every figure is the median of several rounds.
 * The last line printed is the JSON summary.
 */
import { spawnSync } from "node:child_process";
import { createECDH, randomBytes, webcrypto } from "node:crypto";
import { fileURLToPath } from "node:url";
import { wrapForClient } from "../../node/envelopes/index.js";
import { P256PrivateKey } from "../../node/keys/index.js";
import { decryptNanoTdf, decryptStream, encryptNanoTdf, encryptStream } from "../../node/tdf/index.js";

const MIB = 1024 * 1024;
const ROUNDS = 7;
const ROUND_MS = 250;
const LOCATOR = "https://validator-1.dekmesh.example:8443";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `op` repeatedly for ROUND_MS per round; returns the median operations per second. */
async function opsPerSecond(op: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await op();
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      await op();
      count++;
      elapsed = performance.now() - start;
    }
    rates.push((count * 1000) / elapsed);
  }
  return median(rates);
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

async function streamChild(): Promise<void> {
  const total = 256 * MIB;
  const chunk = randomBytes(MIB);
  async function* source() {
    for (let sent = 0; sent < total; sent += MIB) yield chunk;
  }
  const kas = P256PrivateKey.generate();
  const start = performance.now();
  const encrypted = encryptStream(source(), { kasPublicKey: kas.publicKey, locator: LOCATOR, policyId: 1n });
  let received = 0;
  for await (const piece of decryptStream(encrypted.ciphertext, { kasPrivateKey: kas, expectedPolicyId: 1n })) received += piece.length;
  const seconds = (performance.now() - start) / 1000;
  if (received !== total) throw new Error(`streamed ${received} of ${total} bytes`);
  process.stdout.write(JSON.stringify({ mbps: total / 1e6 / seconds, peakRssMib: process.resourceUsage().maxRSS / 1024 }) + "\n");
}

async function main(): Promise<void> {
  const kas = P256PrivateKey.generate();
  const plaintext = randomBytes(MIB);
  const mb = plaintext.length / 1e6;

  const key = await webcrypto.subtle.importKey("raw", randomBytes(32), "AES-GCM", false, ["encrypt", "decrypt"]);
  const iv = randomBytes(12);
  const rawCiphertext = await webcrypto.subtle.encrypt({ name: "AES-GCM", iv, tagLength: 128 }, key, plaintext);
  const webcryptoEncrypt = (await opsPerSecond(() => webcrypto.subtle.encrypt({ name: "AES-GCM", iv, tagLength: 128 }, key, plaintext))) * mb;
  const webcryptoDecrypt = (await opsPerSecond(() => webcrypto.subtle.decrypt({ name: "AES-GCM", iv, tagLength: 128 }, key, rawCiphertext))) * mb;

  const options = { plaintext, kasPublicKey: kas.publicKey, locator: LOCATOR, policyId: 1n };
  const encrypt = (await opsPerSecond(() => encryptNanoTdf(options))) * mb;
  const sample = encryptNanoTdf(options);
  const decrypt = (await opsPerSecond(() => decryptNanoTdf({ bytes: sample.bytes, dek: sample.dek, expectedPolicyId: 1n }))) * mb;
  const overhead = sample.bytes.length - plaintext.length;

  const client = P256PrivateKey.generate();
  const dek = randomBytes(32);
  const requestDigest = randomBytes(32);
  const rewrap = await opsPerSecond(() => wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest }));
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const peer = client.publicKey;
  const nativeEcdh = await opsPerSecond(() => ecdh.computeSecret(peer));

  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--stream-child"], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`stream child failed: ${child.stderr}`);
  const stream = JSON.parse(child.stdout.trim().split("\n").pop()!) as { mbps: number; peakRssMib: number };

  console.log(`NanoTDF encrypt 1 MiB   ${encrypt.toFixed(0)} MB/s   (raw WebCrypto encrypt ${webcryptoEncrypt.toFixed(0)} MB/s)`);
  console.log(`NanoTDF decrypt 1 MiB   ${decrypt.toFixed(0)} MB/s   (raw WebCrypto decrypt ${webcryptoDecrypt.toFixed(0)} MB/s)`);
  console.log(`256 MiB stream encrypt+decrypt ${stream.mbps.toFixed(0)} MB/s, peak RSS ${stream.peakRssMib.toFixed(0)} MiB`);
  console.log(`rewrap envelopes ${rewrap.toFixed(0)}/s vs native P-256 ECDH ${nativeEcdh.toFixed(0)}/s; typical overhead ${overhead} bytes`);
  console.log(
    JSON.stringify({
      bench: "crypto",
      encrypt_1mib_mbps: round(encrypt, 1),
      decrypt_1mib_mbps: round(decrypt, 1),
      webcrypto_1mib_mbps: round(webcryptoEncrypt, 1),
      encrypt_ratio: round(encrypt / webcryptoEncrypt),
      decrypt_ratio: round(decrypt / webcryptoDecrypt),
      stream_256mib_mbps: round(stream.mbps, 1),
      stream_peak_rss_mib: round(stream.peakRssMib, 1),
      rewrap_envelope_ops: Math.round(rewrap),
      native_ecdh_ops: Math.round(nativeEcdh),
      header_overhead_bytes: overhead,
    }),
  );
}

await (process.argv.includes("--stream-child") ? streamChild() : main());
