/**
 * Crypto core benchmark: NanoTDF against raw WebCrypto AES-256-GCM on the same 1 MiB buffer,
 * a 256 MiB streamed encrypt+decrypt in a child process (for an honest peak RSS), the
 * rewrap envelope against raw native P-256 ECDH, and the typical header overhead.
 * Throughputs are MB/s (10^6 bytes per second). Each comparison runs its two sides in
 * alternating rounds, so both see the same machine load (the reference machine is shared),
 * and reports medians; ratios are medians of the per-round ratios. The last line printed is
 * the JSON summary.
 */
import { spawnSync } from "node:child_process";
import { createECDH, randomBytes, webcrypto } from "node:crypto";
import { fileURLToPath } from "node:url";
import { wrapForClient } from "../../node/crypto/envelopes/index.js";
import { P256PrivateKey } from "../../node/crypto/keys/index.js";
import { decryptNanoTdf, decryptStream, encryptNanoTdf, encryptStream } from "../../node/crypto/tdf/index.js";

const MIB = 1024 * 1024;
const ROUNDS = 7;
const ROUND_MS = 250;
const LOCATOR = "https://validator-1.dekmesh.example:8443";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Op = () => unknown | Promise<unknown>;

/** Operations per second of `op` over one round of ROUND_MS. */
async function oneRound(op: Op): Promise<number> {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    await op();
    count++;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

/** Alternating rounds of `subject` and `baseline`: median rates and median per-round ratio. */
async function compare(subject: Op, baseline: Op): Promise<{ subject: number; baseline: number; ratio: number }> {
  for (let i = 0; i < 5; i++) {
    await subject();
    await baseline();
  }
  const subjects: number[] = [];
  const baselines: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const a = await oneRound(subject);
    const b = await oneRound(baseline);
    subjects.push(a);
    baselines.push(b);
    ratios.push(a / b);
  }
  return { subject: median(subjects), baseline: median(baselines), ratio: median(ratios) };
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
  const options = { plaintext, kasPublicKey: kas.publicKey, locator: LOCATOR, policyId: 1n };
  const sample = encryptNanoTdf(options);
  const overhead = sample.bytes.length - plaintext.length;
  const encrypt = await compare(
    () => encryptNanoTdf(options),
    () => webcrypto.subtle.encrypt({ name: "AES-GCM", iv, tagLength: 128 }, key, plaintext),
  );
  const decrypt = await compare(
    () => decryptNanoTdf({ bytes: sample.bytes, dek: sample.dek, expectedPolicyId: 1n }),
    () => webcrypto.subtle.decrypt({ name: "AES-GCM", iv, tagLength: 128 }, key, rawCiphertext),
  );

  const client = P256PrivateKey.generate();
  const dek = randomBytes(32);
  const requestDigest = randomBytes(32);
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const peer = client.publicKey;
  const rewrap = await compare(
    () => wrapForClient({ dek, clientPublicKey: client.publicKey, requestDigest }),
    () => ecdh.computeSecret(peer),
  );

  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--stream-child"], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`stream child failed: ${child.stderr}`);
  const stream = JSON.parse(child.stdout.trim().split("\n").pop()!) as { mbps: number; peakRssMib: number };

  console.log(`NanoTDF encrypt 1 MiB   ${(encrypt.subject * mb).toFixed(0)} MB/s   (raw WebCrypto encrypt ${(encrypt.baseline * mb).toFixed(0)} MB/s)`);
  console.log(`NanoTDF decrypt 1 MiB   ${(decrypt.subject * mb).toFixed(0)} MB/s   (raw WebCrypto decrypt ${(decrypt.baseline * mb).toFixed(0)} MB/s)`);
  console.log(`256 MiB stream encrypt+decrypt ${stream.mbps.toFixed(0)} MB/s, peak RSS ${stream.peakRssMib.toFixed(0)} MiB`);
  console.log(`rewrap envelopes ${rewrap.subject.toFixed(0)}/s vs native P-256 ECDH ${rewrap.baseline.toFixed(0)}/s (${(rewrap.ratio * 100).toFixed(0)} %); typical overhead ${overhead} bytes`);
  console.log(
    JSON.stringify({
      bench: "crypto",
      encrypt_1mib_mbps: round(encrypt.subject * mb, 1),
      decrypt_1mib_mbps: round(decrypt.subject * mb, 1),
      webcrypto_1mib_mbps: round(encrypt.baseline * mb, 1),
      encrypt_ratio: round(encrypt.ratio),
      decrypt_ratio: round(decrypt.ratio),
      stream_256mib_mbps: round(stream.mbps, 1),
      stream_peak_rss_mib: round(stream.peakRssMib, 1),
      rewrap_envelope_ops: Math.round(rewrap.subject),
      native_ecdh_ops: Math.round(rewrap.baseline),
      header_overhead_bytes: overhead,
    }),
  );
}

await (process.argv.includes("--stream-child") ? streamChild() : main());
