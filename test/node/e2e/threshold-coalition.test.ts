/**
 * The property of threshold(m, n), as a test (docs/threshold.md): a coalition of members pools
 * everything they have — their complete data directories (stores opened with their own node keys,
 * as colluding members can), every log line of the network, every message a member received or
 * sent for the content over HTTP, and the public chain — and runs one attack: open every sealed
 * share of the registration with every KAS key it holds, take every share and DEK out of its
 * stores, try each KAS key on the header, combine whatever distinct shares it has. With m − 1
 * members it decrypts nothing and the content's DEK is nowhere in its bytes; with m it decrypts.
 * threshold:2/3 and threshold:3/5 uploaded and read through the SDK on five real validators.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { getAddress, hexToBytes, type Address, type Hex } from "viem";
import type { P256PrivateKey } from "../../../node/crypto/keys/index.js";
import { decodeHeader, decryptStream, deriveDekForKas } from "../../../node/crypto/tdf/index.js";
import { decodeCommitments, deriveThresholdDek, openSealedShare, type Share } from "../../../node/crypto/threshold/index.js";
import { deriveIdentity } from "../../../node/validator/index.js";
import { DekStore } from "../../../node/validator/store/index.js";
import { content } from "../ipfs/helpers.js";
import { refused, SdkNet } from "../sdk/helpers.js";
import { devAccount, HARDHAT_MNEMONIC } from "../validator/helpers.js";

const publisherAccount = devAccount(5);
const readerAccount = devAccount(6);
let sdk: SdkNet;
/** Everything written to stdout/stderr while the network ran: every validator's log lines. */
const logs: Buffer[] = [];
/** Every HTTP exchange with a validator: request and response bodies. */
const messages: Buffer[] = [];
const restore: (() => void)[] = [];

interface Published {
  cid: string;
  contentId: Hex;
  m: number;
  members: Address[];
  ciphertext: Uint8Array;
  dek: Uint8Array;
  plaintext: Buffer;
  header: Uint8Array;
  commitments: Uint8Array[];
  slots: { member: Address; index: number; sealedShare: Hex | null }[];
}
const published: Published[] = [];

before(async () => {
  // Validators log at debug into this process's output, which the coalition gets.
  process.env.DEKMESH_TEST_LOG_LEVEL = "debug";
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logs.push(Buffer.from(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = write));
  }
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (typeof init?.body === "string") messages.push(Buffer.from(init.body));
    const response = await realFetch(input, init);
    if (!String(input).includes("/v1/")) return response;
    const body = Buffer.from(await response.arrayBuffer());
    messages.push(body);
    return new Response(body, { status: response.status, headers: response.headers });
  }) as typeof fetch;
  restore.push(() => (globalThis.fetch = realFetch));

  sdk = await SdkNet.start(5);
  const publisher = await sdk.client(publisherAccount);
  const reader = await sdk.client(readerAccount);
  for (const [m, n] of [
    [2, 3],
    [3, 5],
  ] as const) {
    const plaintext = Buffer.concat([...content(150_000, `coalition-${m}-${n}`)]);
    const result = await publisher.publish([plaintext], { allowlist: [readerAccount.address], replication: `threshold:${m}/${n}` });
    await sdk.net.synced();
    // Two reads: every member sees requests and serves shares (what it saw goes to the coalition too).
    for (let read = 0; read < 2; read++) assert.ok(Buffer.from(await reader.decrypt(result.cid)).equals(plaintext));
    const holders = await reader.holders(result.cid);
    const response = await fetch(`${holders.holders.find((h) => h.node === result.threshold!.members[0]!.toLowerCase())!.endpoint}/v1/content/${result.cid}`);
    const ciphertext = new Uint8Array(await response.arrayBuffer());
    const recovered = await publisher.recoverDek(result.cid);
    published.push({
      cid: result.cid,
      contentId: result.contentId,
      m,
      members: result.threshold!.members,
      ciphertext,
      dek: recovered.dek,
      plaintext,
      header: recovered.registration.header,
      commitments: decodeCommitments(hexToBytes(holders.threshold!.commitments)),
      slots: holders.threshold!.slots,
    });
  }
  // The coalition's stores are taken whole, once their nodes are stopped.
  for (const v of sdk.validators) await v.stop();
  for (const undo of restore.splice(0)) undo();
});

after(async () => {
  for (const undo of restore.splice(0)) undo();
  delete process.env.DEKMESH_TEST_LOG_LEVEL;
  await sdk?.stop();
});

/** Every file under `dir`, whole. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [readFileSync(path)];
  });
}

interface Coalition {
  /** Raw bytes: data directories, logs, messages. */
  haystack: Buffer[];
  kasKeys: P256PrivateKey[];
  addresses: Address[];
  shares: Share[];
  deks: Uint8Array[];
}

/** What the validators `members` pool: their data directories opened with their node keys, plus all logs and messages. */
function coalitionOf(members: readonly Address[], contentId: Hex): Coalition {
  const coalition: Coalition = { haystack: [...logs, ...messages], kasKeys: [], addresses: [], shares: [], deks: [] };
  for (const member of members) {
    const validator = sdk.byAddress(member);
    const identity = deriveIdentity(HARDHAT_MNEMONIC, validator.config.nodeIndex);
    coalition.haystack.push(...filesUnder(validator.config.dataDir));
    coalition.addresses.push(getAddress(member));
    coalition.kasKeys.push(identity.keys.kasKey);
    const store = DekStore.open({ directory: join(validator.config.dataDir, "store"), storageKey: identity.keys.storageKey });
    try {
      for (const info of store.listKasKeys()) coalition.kasKeys.push(store.getKasKey(info.kid)!);
      const held = store.getShare(contentId);
      if (held !== undefined) coalition.shares.push(held.share);
      const dek = store.getDek(contentId);
      if (dek !== undefined) coalition.deks.push(dek);
    } finally {
      store.close();
    }
  }
  return coalition;
}

/** The coalition's best effort: the plaintext, or the error that stopped it. */
async function attack(coalition: Coalition, target: Published): Promise<Buffer> {
  const shares = new Map(coalition.shares.map((s) => [s.index, s]));
  // Every sealed share of the registration, tried with every key and address it has.
  for (const slot of target.slots) {
    if (slot.sealedShare === null) continue;
    for (const kasKey of coalition.kasKeys) {
      for (const member of coalition.addresses) {
        try {
          const share = openSealedShare({ sealed: hexToBytes(slot.sealedShare), contentId: hexToBytes(target.contentId), member, kasKey, expectedIndex: slot.index });
          shares.set(share.index, share);
        } catch {
          // Not its share.
        }
      }
    }
  }
  const header = decodeHeader(target.header);
  const candidates: Uint8Array[] = [...coalition.deks];
  try {
    candidates.push(deriveThresholdDek({ header, commitments: target.commitments, shares: [...shares.values()] }));
  } catch {
    // Fewer than m distinct shares.
  }
  for (const kasKey of coalition.kasKeys) {
    try {
      candidates.push(deriveDekForKas(header, kasKey));
    } catch {
      // Not this key's header.
    }
  }
  for (const dek of candidates) {
    try {
      const parts: Uint8Array[] = [];
      for await (const part of decryptStream([target.ciphertext], { dek })) parts.push(part);
      return Buffer.concat(parts);
    } catch {
      // Not the DEK.
    }
  }
  throw new Error(`no key: ${shares.size} distinct shares, ${candidates.length} candidate DEKs`);
}

it("m − 1 members pooling their stores, node keys, logs and messages learn nothing; m members decrypt", async () => {
  assert.ok(logs.length > 100 && messages.length >= 10, `the coalition gets the logs (${logs.length} writes) and messages (${messages.length}) there were`);
  for (const target of published) {
    const fewer = target.members.slice(0, target.m - 1);
    const coalition = coalitionOf(fewer, target.contentId);
    assert.equal(coalition.shares.length, target.m - 1, "each member's store gives up its share to the coalition");
    await assert.rejects(attack(coalition, target), /no key/, `${target.m - 1} of threshold ${target.m} decrypted`);
    const dek = Buffer.from(target.dek);
    for (const bytes of coalition.haystack) assert.equal(bytes.indexOf(dek), -1, "the DEK appears nowhere in what the coalition holds");

    const enough = coalitionOf(target.members.slice(-target.m), target.contentId);
    assert.ok((await attack(enough, target)).equals(target.plaintext), `${target.m} members decrypt`);
  }
  // The network is down: a reader gets nothing either (the test's own sanity).
  const reader = await sdk.client(readerAccount, { timeouts: { validatorMs: 1_000 } });
  await refused(reader.decrypt(published[0]!.cid), "CLIENT_CONTENT_UNAVAILABLE");
});
