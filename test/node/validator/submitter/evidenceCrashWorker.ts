/**
 * Child process of the evidence crash test (not a test file): a validator's store appends audit
 * records with their evidence (readers' real signed requests) and assigns them a batch — records,
 * evidence, blob and root durable — then waits to be SIGKILLed before anything is sent.
 *
 *   evidenceCrashWorker.ts <config.json>
 *
 * config: { storeDir, storageKeyHex, chainId, auditLog, records }. Prints "ready" once the batch is durable.
 */
import { readFileSync } from "node:fs";
import { ethers } from "ethers";
import type { Address, Hex } from "viem";
import { accountReader, sessionReader, singleRecord } from "../../../contracts/helpers/auditEvidence.js";
import type { AuditEvidence } from "../../../../node/protocol/auditEvidence.js";
import { DekStore } from "../../../../node/validator/store/index.js";

interface Config {
  storeDir: string;
  storageKeyHex: string;
  chainId: string;
  auditLog: Address;
  records: number;
}

const config = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Config;
const domain = { chainId: BigInt(config.chainId), verifyingContract: config.auditLog };
const store = DekStore.open({ directory: config.storeDir, storageKey: Buffer.from(config.storageKeyHex, "hex") });
const now = Math.floor(Date.now() / 1000);
const session = sessionReader(domain, now + 3_600);
for (let i = 0; i < config.records; i++) {
  const entry = singleRecord(domain, i % 2 === 0 ? accountReader() : session, ethers.id(`content-${i % 5}`), now);
  const e = entry.evidence;
  const evidence: AuditEvidence = { clientPublicKey: e.clientPublicKey, nonce: e.nonce, expiry: e.expiry, signature: ethers.getBytes(e.signature) };
  if (e.grant !== undefined) evidence.grant = { ...e.grant, account: e.grant.account.toLowerCase() as Address, signature: ethers.getBytes(e.grant.signature) };
  const { contentId, requester, requestDigest, servedAt } = entry.record;
  await store.appendAudit({ contentId: contentId as Hex, requester: requester.toLowerCase() as Hex, requestDigest: requestDigest as Hex, servedAt }, evidence);
}
await store.takeBatch(config.records);
process.stdout.write("ready\n");
// Alive (and sending nothing) until the kill: a pending promise alone would let Node exit (code 13).
setInterval(() => {}, 1_000);
