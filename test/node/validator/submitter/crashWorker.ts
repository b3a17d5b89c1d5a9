/**
 * Child process of the crash test (not a test file): a validator's store and TxSubmitter under
 * load, to be SIGKILLed at a random moment.
 *
 *   crashWorker.ts <config.json> <label>
 *
 * config: { rpcUrl, deploymentFile, accountIndex, storeDir, storageKeyHex, contentsFile, batchSize }
 * Appends audit records continuously (4 appenders, paced) and puts the DEKs listed in
 * contentsFile one by one; prints "ready" once the submitter runs, then "A <digest>" for every
 * record and "D <contentId>" for every DEK whose write resolved (acknowledged = durable).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import type { Address, Hex } from "viem";
import { createChainClients, loadDeployment } from "../../../../node/chain/index.js";
import { TxSubmitter } from "../../../../node/validator/submitter/index.js";
import { devAccount } from "../../../../node/devnet/index.js";
import { DekStore } from "../../../../node/validator/store/index.js";

interface Config {
  rpcUrl: string;
  deploymentFile: string;
  accountIndex: number;
  storeDir: string;
  storageKeyHex: string;
  contentsFile: string;
  batchSize: number;
}

const [configFile, label] = process.argv.slice(2) as [string, string];
const config = JSON.parse(readFileSync(configFile, "utf8")) as Config;
const contents = JSON.parse(readFileSync(config.contentsFile, "utf8")) as { policyId: string; ids: Hex[] };

const out: string[] = [];
function report(line: string): void {
  if (out.push(line) === 1) setImmediate(() => process.stdout.write(out.splice(0).join("\n") + "\n"));
}
const sha = (text: string): Hex => `0x${createHash("sha256").update(text).digest("hex")}`;

const store = DekStore.open({ directory: config.storeDir, storageKey: Buffer.from(config.storageKeyHex, "hex") });
const clients = createChainClients({
  rpcUrl: config.rpcUrl,
  deployment: loadDeployment(config.deploymentFile),
  account: devAccount(config.accountIndex),
  pollingIntervalMs: 20,
});
const submitter = new TxSubmitter(
  { clients, store },
  { auditBatchSize: config.batchSize, auditIntervalMs: 30, holdingsBatchSize: 5, holdingsIntervalMs: 30, idlePollMs: 10, minBackoffMs: 20, maxBackoffMs: 200 },
);
await submitter.start();
process.stdout.write("ready\n");

let n = 0;
async function appender(): Promise<never> {
  for (;;) {
    const i = n++;
    const digest = sha(`${label}:${i}`);
    await store.appendAudit({ contentId: sha(`content:${i % 31}`), requester: sha(`reader:${i % 7}`).slice(0, 42) as Address, requestDigest: digest, servedAt: 1_800_000_000 + i });
    report(`A ${digest}`);
    await delay(8);
  }
}

async function putter(): Promise<void> {
  for (const contentId of contents.ids) {
    if (store.hasDek(contentId)) continue;
    await store.putDek(contentId, new Uint8Array(createHash("sha256").update(contentId).digest()), {
      policyId: BigInt(contents.policyId),
      mode: "explicit",
      source: "replicated",
    });
    report(`D ${contentId}`);
    submitter.notify();
    await delay(80);
  }
}

for (let k = 0; k < 4; k++) void appender();
void putter();
