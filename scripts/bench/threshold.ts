/**
 * `npm run bench:threshold`: threshold(3, 5) against stake:3 on one real network in one run.
 *
 * A Hardhat chain (1-second blocks), Ponder and six validators in this process (the test helpers'
 * Net), a publisher and a reader through the SDK:
 *
 * - `decrypt_ms_p50` / `stake3_decrypt_ms_p50`: a 1 MiB content of each mode, decrypted through
 *   the SDK `--reads` times each (default 15), alternating, after one warm-up read of each;
 * - `register_gas` / `stake3_register_gas`: the receipts of the two uploads' registrations, after
 *   a threshold 2-of-6 registration has made every validator's assignment counter non-zero;
 * - `share_rewraps_per_s` / `session_rewraps_per_s`: 50 concurrent clients, closed loop, for
 *   `--seconds` (default 5) each, against one validator that is both a member of the threshold
 *   content and the stake content's initial validator; every request session-signed before the
 *   clock starts (ten reader accounts), `POST /v1/rewrap/share` against `POST /v1/rewrap`, two
 *   alternating rounds of each, the second counted;
 * - `heal_ms`: a member of the threshold content exits; the time until its replacement's
 *   ThresholdEnrollmentConfirmed is indexed (null if not within 120 s).
 *
 * The load and the validators share this process and the machine's cores with the chain and
 * Ponder: the ratios within the run are the figures to read.
 *
 * Last line: {"bench":"threshold","m":3,"n":5,...}.
 */
import { getAddress, type HDAccount, type Hex } from "viem";
import { P256PrivateKey } from "../../node/crypto/keys/index.js";
import { encodeRewrapRequest } from "../../node/protocol/rewrap/index.js";
import { RewrapSigner } from "../../node/sdk/rewrapSigner.js";
import { content } from "../../test/node/ipfs/helpers.js";
import { SdkNet } from "../../test/node/sdk/helpers.js";
import { devAccount, eventually } from "../../test/node/validator/helpers.js";

const CLIENTS = 50;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function gasOf(sdk: SdkNet, hash: Hex): Promise<number> {
  return Number((await sdk.net.public.getTransactionReceipt({ hash })).gasUsed);
}

/** Requests per second of `path` at `endpoint` over `seconds`, CLIENTS in a closed loop over pre-signed bodies. */
async function throughput(endpoint: string, path: string, bodies: string[], seconds: number): Promise<{ perSecond: number; errors: number }> {
  let next = 0;
  let done = 0;
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline && next < bodies.length) {
        const body = bodies[next++]!;
        const response = await fetch(`${endpoint}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
        await response.arrayBuffer();
        if (response.status === 200) done++;
        else errors++;
      }
    }),
  );
  return { perSecond: (done / (performance.now() - started)) * 1000, errors };
}

async function signedBodies(sdk: SdkNet, readers: HDAccount[], contentId: Hex, count: number): Promise<string[]> {
  const deployment = sdk.validators[0]!.deployment;
  const signers = readers.map((r) => new RewrapSigner(r, { chainId: BigInt(deployment.chainId), verifyingContract: deployment.addresses.rewrapAuditLog }));
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) bodies.push(encodeRewrapRequest((await signers[i % signers.length]!.sign(contentId, P256PrivateKey.generate().publicKey)).signed));
  return bodies;
}

async function main(): Promise<void> {
  const reads = option("reads", 15);
  const seconds = option("seconds", 5);
  const sdk = await SdkNet.start(6);
  try {
    const readers = Array.from({ length: 10 }, (_, i) => devAccount(8 + i));
    const publisher = await sdk.client(devAccount(5));
    const reader = await sdk.client(readers[0]!);
    const plaintext = Buffer.concat([...content(1 << 20, "bench-threshold")]);
    const allowlist = readers.map((r) => r.address);
    // Every validator's assignment counter is made non-zero first (threshold 2 of all 6), so neither
    // measured registration pays a first SSTORE the other does not.
    await publisher.upload(new Uint8Array(1), { allowlist, replication: "threshold:2/6" });
    const threshold = await publisher.publish([plaintext], { allowlist, replication: "threshold:3/5" });
    // The stake content's initial validator: a member of the threshold content, so both loads hit one validator.
    const stake = await publisher.publish([plaintext], { allowlist, replication: "stake:3", validator: threshold.threshold!.members[0]! });
    await sdk.net.synced();

    const times = { threshold: [] as number[], stake: [] as number[] };
    for (let read = -1; read < reads; read++) {
      for (const [mode, cid] of [["threshold", threshold.cid], ["stake", stake.cid]] as const) {
        const started = performance.now();
        const decrypted = await reader.decrypt(cid);
        if (!Buffer.from(decrypted).equals(plaintext)) throw new Error(`${mode} read back other bytes`);
        if (read >= 0) times[mode].push(performance.now() - started);
      }
    }

    const target = sdk.byAddress(threshold.threshold!.members[0]!);
    // Two alternating rounds of each; the second round of each counts (the first warms both paths up).
    const count = Math.max(1_000, seconds * 500);
    let share = { perSecond: 0, errors: 0 };
    let session = { perSecond: 0, errors: 0 };
    for (let round = 0; round < 2; round++) {
      share = await throughput(target.httpUrl, "/v1/rewrap/share", await signedBodies(sdk, readers, threshold.contentId, count), seconds);
      session = await throughput(target.httpUrl, "/v1/rewrap", await signedBodies(sdk, readers, stake.contentId, count), seconds);
    }

    // Heal: a member other than the load's target exits; its replacement (the sixth validator) is enrolled.
    const leaver = getAddress(threshold.threshold!.members[1]!);
    const exitAt = performance.now();
    await sdk.net.send(devAccount(0), "ValidatorRegistry", "requestExit", [leaver]);
    let healMs: number | null = null;
    try {
      await eventually(async () => {
        const { threshold: dealing } = await reader.holders(threshold.cid);
        return dealing!.slots.some((s) => s.index > 5 && s.previous === null) ? true : undefined;
      }, 120_000, "the replacement's enrollment confirmed");
      healMs = Math.round(performance.now() - exitAt);
    } catch {
      healMs = null;
    }

    const figures = {
      bench: "threshold",
      m: 3,
      n: 5,
      decrypt_ms_p50: Math.round(median(times.threshold)),
      stake3_decrypt_ms_p50: Math.round(median(times.stake)),
      share_rewraps_per_s: Math.round(share.perSecond),
      session_rewraps_per_s: Math.round(session.perSecond),
      register_gas: await gasOf(sdk, threshold.transactionHash),
      stake3_register_gas: await gasOf(sdk, stake.transactionHash),
      heal_ms: healMs,
    };
    console.log(JSON.stringify({ bench: "threshold-detail", reads, seconds, clients: CLIENTS, share_errors: share.errors, session_errors: session.errors, validators: 6 }));
    console.log(JSON.stringify(figures));
  } finally {
    await sdk.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

