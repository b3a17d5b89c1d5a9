/**
 * No record lost at an exit (issue #25): a validator serving rewraps under load leaves the
 * active set. Readers' requests to it keep succeeding — it serves until it sees its exit, then
 * forwards to the remaining holders — and every rewrap it served reaches the chain: the audit
 * log takes an exiting validator's records of rewraps served before its exit
 * (RewrapAuditLog.EXIT_GRACE), and its submitter goes on sending them after its holding
 * confirmations stop. Its log says once that it is active and once that it is exiting. Real
 * daemons, chain and Ponder indexer.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { parseEventLogs, type Hex } from "viem";
import { CONTRACT_ABIS } from "../../../node/chain/abis.js";
import { decodeRewrapAnswer, encodeRewrapRequest } from "../../../node/protocol/rewrap/index.js";
import { startValidator, type Logger, type Validator } from "../../../node/validator/index.js";
import { Net, devAccount, eventually, removeTempDirs } from "./helpers.js";
import { Reader } from "./rewrap/helpers.js";

const RATE = 40;
const LOAD_S = 8;
const EXIT_AFTER_MS = 2_500;

let net: Net;
const validators: Validator[] = [];
const publisher = devAccount(5);
const contents: Hex[] = [];
/** What the leaving validator logs at info and above. */
const lines: string[] = [];

function capturingLogger(): Logger {
  const keep = (message: string) => void lines.push(message);
  return { debug: () => {}, info: keep, warn: keep, error: keep, child: () => capturingLogger() };
}

before(async () => {
  net = await Net.start();
  await net.fundNode(0);
  validators.push(await startValidator(net.config(0), { processMetrics: true, logger: capturingLogger() }));
  for (let i = 1; i < 3; i++) validators.push(await net.startValidator(i));
  const policyId = await net.createPolicy(publisher, "all");
  for (let i = 0; i < 6; i++) contents.push((await net.registerContent(publisher, policyId, validators[i % 3]!)).contentId);
  await eventually(() => contents.every((id) => validators.every((v) => v.store.hasDek(id))), 60_000, "every content at every validator");
  await net.synced();
});

after(async () => {
  for (const v of [...validators].reverse()) await v.stop().catch(() => {});
  await net?.stop();
  removeTempDirs();
});

/** Records RewrapAuditLog holds for `validator`, from its events. */
async function recordsOnChain(validator: Validator): Promise<number> {
  const logs = await net.public.getLogs({ address: net.addresses.RewrapAuditLog, fromBlock: 0n });
  const events = parseEventLogs({ abi: CONTRACT_ABIS.RewrapAuditLog, eventName: "RewrapBatchRecorded", logs }) as unknown as { args: { validator: Hex; records: Hex } }[];
  return events.filter((e) => e.args.validator.toLowerCase() === validator.address.toLowerCase()).reduce((n, e) => n + (e.args.records.length - 2) / 2 / 92, 0);
}

test("a validator exits under load: every request still served, every rewrap it served recorded on chain", async () => {
  const [leaving] = validators;
  const reader = new Reader(devAccount(6), { chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog });
  await reader.startSession();

  const failures: string[] = [];
  let sent = 0;
  const load = (async () => {
    const pending: Promise<void>[] = [];
    const start = Date.now();
    for (let i = 0; Date.now() - start < LOAD_S * 1_000; i++) {
      sent++;
      pending.push(
        (async () => {
          const response = await fetch(`${leaving!.httpUrl}/v1/rewrap`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: encodeRewrapRequest(reader.sessionRequest(contents[i % contents.length]!)),
            signal: AbortSignal.timeout(10_000),
          });
          const body = await response.text();
          if (response.status === 200) decodeRewrapAnswer(body);
          else failures.push(`${response.status} ${body.slice(0, 80)}`);
        })().catch((error: Error) => void failures.push(error.name)),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000 / RATE));
    }
    await Promise.all(pending);
  })();

  await new Promise((resolve) => setTimeout(resolve, EXIT_AFTER_MS));
  await net.send(devAccount(0), "ValidatorRegistry", "requestExit", [leaving!.address]);
  await eventually(() => leaving!.replication.status === "exiting", 20_000, "the node sees its exit");
  await load;

  assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
  const { served, forwarded } = leaving!.rewrap.stats();
  assert.ok(served > 0, "it served before its exit");
  assert.ok(forwarded > 0, "it forwarded after it");
  assert.equal(served + forwarded, sent);

  // Everything it served reaches the chain, although it is no longer active.
  await eventually(async () => leaving!.store.stats().unbatchedAuditRecords === 0 && (await leaving!.store.pendingBatches()).length === 0, 30_000, "its outbox drained");
  assert.equal(await recordsOnChain(leaving!), served);
  assert.equal(leaving!.submitter.halted, undefined);
  const said = (start: string) => lines.filter((l) => l.startsWith(start)).length;
  assert.deepEqual([said("this validator is active"), said("this validator is exiting")], [1, 1], lines.filter((l) => l.startsWith("this validator")).join("\n"));
});
