/**
 * A validator SIGKILLed between storing a batch's evidence and sending the batch (issue #25): a
 * child process appends records with their readers' signed requests and assigns the batch (blob
 * and root written in that transaction), and is killed before anything is sent. After a restart
 * the submitter sends the batch with its evidence commitment, and every record verifies — off
 * chain from the stored blob, and on chain through RewrapAuditLog.verifyRecord.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { getAuditBatch } from "../../../../node/chain/actions/getAuditBatch.js";
import { rewrapAuditLogAbi } from "../../../../node/chain/abis.js";
import { computeCid } from "../../../../node/ipfs/index.js";
import { contractEvidence, contractRecord } from "../../../../node/protocol/auditEvidence.js";
import { verifyBatchEvidence } from "../../../../node/protocol/auditVerify.js";
import { DekStore } from "../../../../node/validator/store/index.js";
import { TxSubmitter } from "../../../../node/validator/submitter/index.js";
import { setupValidator, startTestChain, tempDir, type TestChain } from "../../chain/helpers.js";
import { runAndKill } from "../../helpers/crash.js";

const WORKER = fileURLToPath(new URL("./evidenceCrashWorker.ts", import.meta.url));
const RECORDS = 20;

let chain: TestChain;
before(async () => {
  chain = await startTestChain();
});
after(async () => {
  await chain?.stop();
});

describe("audit evidence across a crash", () => {
  it("a batch whose evidence was stored but not sent goes out after a restart, with its evidence, and verifies", async () => {
    const validator = await setupValidator(chain, 1, 2);
    const dir = tempDir();
    const storageKey = randomBytes(32);
    const config = {
      storeDir: join(dir, "store"),
      storageKeyHex: storageKey.toString("hex"),
      chainId: String(chain.deployment.chainId),
      auditLog: chain.deployment.addresses.rewrapAuditLog,
      records: RECORDS,
    };
    const configFile = join(dir, "config.json");
    writeFileSync(configFile, JSON.stringify(config));
    await runAndKill(WORKER, [configFile], 50);

    const store = DekStore.open({ directory: config.storeDir, storageKey });
    const [assigned] = await store.pendingBatches();
    assert.equal(assigned?.state, "assigned", "the kill left the batch assigned, unsent");
    assert.equal(assigned.recordCount, RECORDS);
    assert.ok(assigned.evidenceRoot, "its evidence root survived the kill");
    const blob = store.evidenceBlob(assigned.batchId)!;
    assert.ok(blob, "its evidence blob survived the kill");

    const submitter = new TxSubmitter({ clients: validator.node, store }, { idlePollMs: 10 });
    await submitter.start();
    try {
      await submitter.flush();
    } finally {
      await submitter.stop();
    }
    const onChain = await getAuditBatch(validator.node, { validator: validator.address, batchId: assigned.batchId });
    assert.ok(onChain?.evidence, "the batch is on chain with its evidence commitment");
    assert.equal(onChain.evidence.root, assigned.evidenceRoot);
    assert.equal(onChain.evidence.cid, (await computeCid([blob])).cid);
    assert.equal(store.getBatch(assigned.batchId)!.evidenceCid, onChain.evidence.cid);

    const domain = { chainId: BigInt(config.chainId), verifyingContract: config.auditLog };
    const verified = verifyBatchEvidence(domain, { batchId: assigned.batchId, records: onChain.records, evidenceRoot: onChain.evidence.root }, blob);
    assert.equal(verified.length, RECORDS);
    for (const entry of verified) {
      assert.deepEqual(entry.verdict, { valid: true });
      await validator.node.publicClient.readContract({
        address: config.auditLog,
        abi: rewrapAuditLogAbi,
        functionName: "verifyRecord",
        args: [validator.address, assigned.batchId, contractRecord(entry.record), contractEvidence(entry.evidence!), entry.proof],
      } as never);
    }
    store.close();
  });
});
