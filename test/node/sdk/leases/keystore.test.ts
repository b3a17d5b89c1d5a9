/** The lease keystore: encrypted at rest, plays counted durably, and a SIGKILL mid-write loses no earlier lease. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { issueLease } from "../../../../node/crypto/envelopes/index.js";
import { P256PrivateKey } from "../../../../node/crypto/keys/index.js";
import { LeaseKeystore } from "../../../../node/sdk/leases/keystore.js";

const dirs: string[] = [];
after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function keystorePath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "dekmesh-leases-"));
  dirs.push(dir);
  return join(dir, "leases.keystore");
}

const key = randomBytes(32);
const kasKey = P256PrivateKey.generate();
const READER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;
const VALIDATOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as const;
const NOW = 1_800_000_000n;
const kasPublicKeyOf = (validator: string) => (validator === VALIDATOR ? kasKey.publicKey : undefined);

function lease(store: LeaseKeystore, overrides: Partial<Parameters<typeof issueLease>[0]> = {}) {
  const contentId = randomBytes(32);
  const dek = randomBytes(32);
  const bytes = issueLease({ dek, contentId, reader: READER, devicePublicKey: store.devicePublicKey, notAfter: NOW + 60n, maxPlays: 2, validator: VALIDATOR, kasKey, ...overrides });
  return { contentId, dek, bytes };
}

async function assertKeystoreCode(promise: Promise<unknown>, code: string, leaseCode?: string): Promise<void> {
  await assert.rejects(promise, (error: Error & { code?: string; details?: { leaseCode?: string } }) => {
    assert.equal(error.code, code);
    if (leaseCode !== undefined) assert.equal(error.details?.leaseCode, leaseCode);
    return true;
  });
}

describe("lease keystore", () => {
  it("keeps leases and play counts across reopening, and counts down to maxPlays", async () => {
    const path = await keystorePath();
    const store = await LeaseKeystore.open({ path, key });
    const a = lease(store);
    await store.put(a.bytes);
    assert.deepEqual(await store.play(a.contentId, { now: NOW, kasPublicKeyOf }), new Uint8Array(a.dek));
    const reopened = await LeaseKeystore.open({ path, key });
    assert.deepEqual(reopened.devicePublicKey, store.devicePublicKey);
    assert.equal(reopened.list()[0]!.playsUsed, 1);
    await reopened.play(a.contentId, { now: NOW, kasPublicKeyOf });
    await assertKeystoreCode(reopened.play(a.contentId, { now: NOW, kasPublicKeyOf }), "KEYSTORE_LEASE_REFUSED", "ENVELOPE_PLAYS_EXHAUSTED");
    assert.equal(await reopened.drop(a.contentId), true);
    await assertKeystoreCode(reopened.play(a.contentId, { now: NOW, kasPublicKeyOf }), "KEYSTORE_NO_LEASE");
  });

  it("is encrypted at rest: neither the device key nor a lease is in the file", async () => {
    const path = await keystorePath();
    const store = await LeaseKeystore.open({ path, key });
    const a = lease(store);
    await store.put(a.bytes);
    const file = await readFile(path);
    // The device key's public half and the lease's content id are in the JSON; the file must show neither.
    assert.equal(file.includes(Buffer.from(store.devicePublicKey).toString("hex").slice(2)), false);
    assert.equal(file.includes(a.contentId.toString("hex")), false);
    assert.equal(file.includes(a.contentId), false);
  });

  it("refuses an expired lease, another device's lease, an unknown signing key, a wrong keystore key", async () => {
    const path = await keystorePath();
    const store = await LeaseKeystore.open({ path, key });
    const a = lease(store);
    await store.put(a.bytes);
    await assertKeystoreCode(store.play(a.contentId, { now: NOW + 60n, kasPublicKeyOf }), "KEYSTORE_LEASE_REFUSED", "ENVELOPE_EXPIRED");
    await assertKeystoreCode(store.play(a.contentId, { now: NOW, kasPublicKeyOf: () => undefined }), "KEYSTORE_UNKNOWN_VALIDATOR_KEY");
    await assertKeystoreCode(store.play(a.contentId, { now: NOW, kasPublicKeyOf: () => P256PrivateKey.generate().publicKey }), "KEYSTORE_LEASE_REFUSED", "ENVELOPE_UNKNOWN_KID");
    await assertKeystoreCode(store.put(lease(store, { devicePublicKey: P256PrivateKey.generate().publicKey }).bytes), "KEYSTORE_WRONG_DEVICE");
    await assertKeystoreCode(LeaseKeystore.open({ path, key: randomBytes(32) }), "KEYSTORE_KEY_MISMATCH");
    // A refused play counts nothing.
    assert.equal((await LeaseKeystore.open({ path, key })).list()[0]!.playsUsed, 0);
    await writeFile(path, Buffer.from("not a keystore"));
    await assertKeystoreCode(LeaseKeystore.open({ path, key }), "KEYSTORE_CORRUPT");
  });

  it("crash: SIGKILL during writes loses no lease whose put had returned", async () => {
    const path = await keystorePath();
    const writer = fileURLToPath(new URL("./keystoreWriter.ts", import.meta.url));
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", writer, path, key.toString("hex"), Buffer.from(kasKey.exportPrivateKey()).toString("hex")], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      // Kill at a moment unrelated to the writer's progress: some puts done, one likely in flight.
      await new Promise<void>((resolve) => {
        const wait = () => (out.split("\n").length > 5 + round * 7 ? resolve() : setTimeout(wait, 5));
        wait();
      });
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20)));
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      const acknowledged = out.split("\n").filter((line) => line.length === 64);
      const kept = new Set((await LeaseKeystore.open({ path, key })).list().map((l) => Buffer.from(l.contentId).toString("hex")));
      for (const contentId of acknowledged) assert.ok(kept.has(contentId), `lease ${contentId} was acknowledged before the kill and must survive it`);
    }
  });
});
