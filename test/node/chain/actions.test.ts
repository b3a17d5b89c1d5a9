/**
 * The chain actions against a real Hardhat node: the validator lifecycle (register, stake,
 * rotate, exit, repair, withdraw), reverts decoded into typed errors, deployment checks, and a
 * submitter whose validator leaves the active set (exit, jail).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex, hexToBytes, keccak256, zeroAddress, type Address, type Hex } from "viem";
import { DEPLOYED_CONTRACTS } from "../../../node/protocol/deployment.js";
import { CONTRACT_NAMES } from "../../../scripts/lib/deployment.js";
import {
  ChainError,
  toChainError,
  checkDeployment,
  confirmHoldingsRequest,
  contentRegistryAbi,
  createChainClients,
  getNextBatchId,
  getValidator,
  isActive,
  loadDeployment,
  encodeAuditRecords,
  recordRewraps,
  recordRewrapsRequest,
  recordRewrapsGasLimit,
  registerValidator,
  repair,
  requestExit,
  rotateKasKey,
  sendContractWrite,
  peerIdProofDigest,
  signPeerIdProof,
  stake,
  updateNetwork,
  validatorRegistryAbi,
  withdraw,
  type ChainClients,
} from "../../../node/chain/index.js";
import { TxSubmitter } from "../../../node/validator/submitter/index.js";
import type { DekStore } from "../../../node/validator/store/index.js";
import {
  auditRecord,
  createPolicy,
  increaseTime,
  kasPublicKey,
  MIN_STAKE,
  mint,
  onChainAudit,
  openStore,
  registerContent,
  setupValidator,
  startTestChain,
  tempDir,
  type TestChain,
  type TestValidator,
} from "./helpers.js";

let chain: TestChain;
/** Every validator this file set up, by node address: whichever a draw picks can be driven. */
const known = new Map<Address, TestValidator>();
async function setup(nodeIndex: number, operatorIndex: number): Promise<TestValidator> {
  const validator = await setupValidator(chain, nodeIndex, operatorIndex);
  known.set(validator.address, validator);
  return validator;
}
before(async () => {
  chain = await startTestChain();
});
after(async () => {
  await chain?.stop();
});

async function rejectsWithChainError(promise: Promise<unknown>, code: string, errorName?: string): Promise<ChainError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ChainError, `expected a ChainError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (errorName !== undefined) assert.equal(error.revert?.errorName, errorName);
    return error;
  }
  assert.fail(`expected ${code}`);
}

const kidOf = (key: Hex): Hex => `0x${createHash("sha256").update(hexToBytes(key)).digest("hex").slice(0, 16)}`;

/** The current replica set of a stake-mode content, from its events. */
async function replicaSet(clients: ChainClients, contentId: Hex): Promise<Address[]> {
  const common = { address: clients.deployment.addresses.contentRegistry, abi: contentRegistryAbi, fromBlock: clients.deployment.startBlock } as const;
  const [assigned] = await clients.publicClient.getContractEvents({ ...common, eventName: "ReplicaSetAssigned", args: { contentId } });
  const members = [...assigned!.args.members!];
  for (const event of await clients.publicClient.getContractEvents({ ...common, eventName: "ReplicaRepaired", args: { contentId } })) {
    members[Number(event.args.slot)] = event.args.replacement!;
  }
  return members;
}

describe("deployment and clients", () => {
  it("loads the deployment file and checks it against the chain", async () => {
    const deployment = loadDeployment(chain.deploymentFile);
    assert.deepEqual(deployment, chain.deployment);
    await checkDeployment(chain.clients(0));
  });

  it("reads the contracts the deployer writes: the node's list is scripts/lib/deployment.ts's", () => {
    // Two lists because the deployer runs under Hardhat (CommonJS) and the node is ESM; this
    // keeps them from drifting apart.
    assert.deepEqual([...DEPLOYED_CONTRACTS], [...CONTRACT_NAMES]);
  });

  it("refuses a malformed deployment file, another chain id, and addresses without code", async () => {
    const bad = join(tempDir(), "bad.json");
    writeFileSync(bad, JSON.stringify({ chainId: 31337, contracts: {} }));
    assert.throws(() => loadDeployment(bad), (e: unknown) => e instanceof ChainError && e.code === "CHAIN_BAD_DEPLOYMENT");
    assert.throws(() => loadDeployment(join(tempDir(), "missing.json")), (e: unknown) => e instanceof ChainError && e.code === "CHAIN_BAD_DEPLOYMENT");
    assert.throws(
      () => createChainClients({ rpcUrl: chain.rpcUrl, chainId: 1, deployment: chain.deployment }),
      (e: unknown) => e instanceof ChainError && e.code === "CHAIN_WRONG_CHAIN",
    );
    const otherChain = createChainClients({ rpcUrl: chain.rpcUrl, deployment: { ...chain.deployment, chainId: 5 } });
    await rejectsWithChainError(checkDeployment(otherChain), "CHAIN_WRONG_CHAIN");
    const noCode = createChainClients({
      rpcUrl: chain.rpcUrl,
      deployment: { ...chain.deployment, addresses: { ...chain.deployment.addresses, rewrapAuditLog: "0x000000000000000000000000000000000000dEaD" } },
    });
    await rejectsWithChainError(checkDeployment(noCode), "CHAIN_BAD_DEPLOYMENT");
  });

  it("an RPC error carries the node's own reason, not only viem's generic message", async () => {
    const client = chain.clients(13).publicClient;
    const thrown = await client.request({ method: "eth_sendRawTransaction", params: ["0x1234"] }).then(
      () => assert.fail("the node accepted a malformed raw transaction"),
      (error: unknown) => error,
    );
    const error = toChainError(thrown);
    assert.ok(error instanceof ChainError);
    assert.equal(error.code, "CHAIN_RPC");
    const nodeReason = (thrown as { details: string }).details;
    assert.ok(nodeReason.length > 0);
    assert.ok(error.message.includes(`(node: ${nodeReason.slice(0, 300)})`), error.message);
  });

  it("refuses to sign without an account and reports an unreachable endpoint as retryable", async () => {
    const readOnly = createChainClients({ rpcUrl: chain.rpcUrl, deployment: chain.deployment });
    await rejectsWithChainError(requestExit(readOnly, { node: zeroAddress }), "CHAIN_NO_ACCOUNT");
    const dead = createChainClients({ rpcUrl: "http://127.0.0.1:9", deployment: chain.deployment, retryCount: 0 });
    const error = await rejectsWithChainError(isActive(dead, { node: zeroAddress }), "CHAIN_RPC");
    assert.equal(error.retryable, true);
  });
});

describe("validator lifecycle actions", () => {
  it("register → stake → active → rotate the KAS key, with reverts decoded by name and arguments", async () => {
    const node = chain.clients(13);
    const operator = chain.clients(14);
    const key = kasPublicKey();
    const libp2pPrivateKey = await generateKeyPair("secp256k1");
    const nodeAddress = node.account!.address;
    const proven = await signPeerIdProof(node, { node: nodeAddress, libp2pPrivateKey });
    assert.equal(proven.peerId, bytesToHex(peerIdFromPrivateKey(libp2pPrivateKey).toMultihash().bytes));
    const digest = await node.publicClient.readContract({
      address: node.deployment.addresses.validatorRegistry,
      abi: validatorRegistryAbi,
      functionName: "peerIdProofDigest",
      args: [nodeAddress, proven.peerId],
    });
    assert.equal(digest, peerIdProofDigest({ chainId: node.chain.id, registry: node.deployment.addresses.validatorRegistry, node: nodeAddress, peerId: proven.peerId }));
    // A proof made for another node account does not let this one claim the peer id.
    const forOperator = await signPeerIdProof(node, { node: operator.account!.address, libp2pPrivateKey });
    const stolen = await rejectsWithChainError(
      registerValidator(node, { operator: operator.account!.address, kasPublicKey: key, ...forOperator, multiaddrs: [], endpoint: "http://x" }),
      "CHAIN_REVERTED",
      "ValidatorRegistryInvalidPeerIdProof",
    );
    assert.deepEqual(stolen.revert!.args, [nodeAddress, keccak256(proven.peerId)]);
    await assert.rejects(
      signPeerIdProof(node, { node: nodeAddress, libp2pPrivateKey: await generateKeyPair("Ed25519") }),
      (e: unknown) => e instanceof ChainError && e.code === "CHAIN_INVALID_ARGUMENT",
    );
    const registered = await registerValidator(node, {
      operator: operator.account!.address,
      kasPublicKey: key,
      ...proven,
      multiaddrs: ["/ip4/127.0.0.1/tcp/4013"],
      endpoint: "http://127.0.0.1:9013",
    });
    assert.equal(registered.kid, kidOf(key));
    const holder = (peerId: Hex) =>
      node.publicClient.readContract({ address: node.deployment.addresses.validatorRegistry, abi: validatorRegistryAbi, functionName: "peerIdHolder", args: [keccak256(peerId)] });
    assert.equal(await holder(proven.peerId), nodeAddress);
    assert.equal((await getValidator(node, { node: registered.node })).status, "registered");
    assert.equal(await isActive(node, { node: registered.node }), false);

    const again = await rejectsWithChainError(
      registerValidator(node, { operator: operator.account!.address, kasPublicKey: key, ...proven, multiaddrs: [], endpoint: "http://x" }),
      "CHAIN_REVERTED",
      "ValidatorRegistryAlreadyRegistered",
    );
    assert.deepEqual(again.revert!.args, [registered.node]);
    assert.equal(again.retryable, false);
    assert.equal(again.details.errorName, "ValidatorRegistryAlreadyRegistered");

    // Only the operator may stake for the node; the revert names both.
    const stranger = chain.clients(15);
    await mint(chain, stranger.account!.address, MIN_STAKE);
    const notOperator = await rejectsWithChainError(
      stake(stranger, { node: registered.node, amount: MIN_STAKE }),
      "CHAIN_REVERTED",
      "ValidatorRegistryNotOperator",
    );
    assert.deepEqual(notOperator.revert!.args, [registered.node, stranger.account!.address]);

    await mint(chain, operator.account!.address, MIN_STAKE);
    const staked = await stake(operator, { node: registered.node, amount: MIN_STAKE });
    assert.ok(staked.approvalHash !== undefined, "approved first");
    const info = await getValidator(node, { node: registered.node });
    assert.equal(info.status, "active");
    assert.equal(info.stake, MIN_STAKE);
    assert.equal(info.operator, operator.account!.address);
    assert.equal(await isActive(node, { node: registered.node }), true);
    known.set(registered.node, { address: registered.node, node, operator });

    const next = kasPublicKey();
    const rotated = await rotateKasKey(operator, { node: registered.node, kasPublicKey: next });
    assert.equal(rotated.kid, kidOf(next));
    assert.equal(rotated.previousKid, kidOf(key));
    assert.equal((await getValidator(node, { node: registered.node })).currentKid, kidOf(next));
    await rejectsWithChainError(rotateKasKey(operator, { node: registered.node, kasPublicKey: key }), "CHAIN_REVERTED", "ValidatorRegistryKasKeyExists");

    // The operator moves the node to a new libp2p key: the new id takes a proof, the old one is freed.
    const moved = await signPeerIdProof(operator, { node: nodeAddress, libp2pPrivateKey: await generateKeyPair("secp256k1") });
    await updateNetwork(operator, { node: nodeAddress, ...moved, multiaddrs: ["/ip4/127.0.0.1/tcp/4013"], endpoint: "http://127.0.0.1:9013" });
    assert.equal(await holder(moved.peerId), nodeAddress);
    assert.equal(await holder(proven.peerId), zeroAddress);
  });

  it("recordRewraps checks its arguments and the chain's batch order", async () => {
    const validator = await setup(16, 17);
    const record = auditRecord("order");
    await assert.rejects(
      recordRewraps(validator.node, { batchId: 1n, records: [] }),
      (e: unknown) => e instanceof ChainError && e.code === "CHAIN_INVALID_ARGUMENT",
    );
    // Packed as the store holds them: only whole records, 1–1,000 of them.
    for (const bytes of [0, 91, 93, 1001 * 92]) {
      assert.throws(
        () => recordRewrapsRequest(validator.node, { batchId: 1n, packedRecords: new Uint8Array(bytes) }),
        (e: unknown) => e instanceof ChainError && e.code === "CHAIN_INVALID_ARGUMENT",
        `${bytes} bytes`,
      );
    }
    const packed = recordRewrapsRequest(validator.node, { batchId: 1n, packedRecords: Buffer.from(encodeAuditRecords([record]).slice(2), "hex") });
    assert.deepEqual(packed.args, recordRewrapsRequest(validator.node, { batchId: 1n, records: [record] }).args);
    assert.throws(
      () => confirmHoldingsRequest(validator.node, { contentIds: Array.from({ length: 501 }, () => record.contentId) }),
      (e: unknown) => e instanceof ChainError && e.code === "CHAIN_INVALID_ARGUMENT",
    );
    const outOfOrder = await rejectsWithChainError(
      recordRewraps(validator.node, { batchId: 5n, records: [record] }),
      "CHAIN_REVERTED",
      "RewrapAuditLogBatchOutOfOrder",
    );
    assert.deepEqual(outOfOrder.revert!.args, [validator.address, 1n, 5n]);
    await recordRewraps(validator.node, { batchId: 1n, records: [record] });
    assert.equal(await getNextBatchId(validator.node, { validator: validator.address }), 2n);
    const replay = await rejectsWithChainError(recordRewraps(validator.node, { batchId: 1n, records: [record] }), "CHAIN_REVERTED");
    assert.deepEqual(replay.revert!.args, [validator.address, 2n, 1n]);
  });

  it("recordRewrapsGasLimit leaves at least 20 % of the limit unused, first batch and full batches alike", async () => {
    // The submitter sends a batch's first transaction with this limit instead of an estimate.
    const validator = await setup(30, 31);
    const records = (n: number, label: string) => Array.from({ length: n }, (_, i) => ({ ...auditRecord(`${label}:${i}`), servedAt: 1_800_000_000 + i }));
    for (const [batchId, count] of [[1n, 1], [2n, 500], [3n, 1], [4n, 1000]] as const) {
      const { receipt } = await recordRewraps(validator.node, { batchId, records: records(count, `gas:${batchId}`) });
      const limit = recordRewrapsGasLimit(count);
      assert.ok(receipt.gasUsed * 5n <= limit * 4n, `batch ${batchId} of ${count}: ${receipt.gasUsed} gas used, limit ${limit}`);
    }
  });

  it("exit → repair hands the replica slot off → withdraw after unbonding", async () => {
    const first = await setup(18, 19);
    await setup(20, 21);
    const publisher = chain.clients(22);
    const policyId = await createPolicy(publisher, "stake", 1);
    const contentId = await registerContent(publisher, policyId, first.address);
    const [member] = await replicaSet(publisher, contentId);
    assert.ok(member !== undefined && member !== zeroAddress);
    const leaving = known.get(member!);
    assert.ok(leaving !== undefined, `drawn ${member}, a validator of this file`);
    await requestExit(leaving.operator, { node: leaving.address });
    assert.equal((await getValidator(publisher, { node: leaving.address })).status, "exiting");
    await increaseTime(chain, 61);
    await rejectsWithChainError(withdraw(leaving.operator, { node: leaving.address }), "CHAIN_REVERTED", "ValidatorRegistryHandoffPending");

    const repaired = await repair(publisher, { contentId, members: [member!] });
    assert.equal(repaired.members.length, 1);
    assert.notEqual(repaired.members[0], leaving.address);
    assert.deepEqual(repaired.members, await replicaSet(publisher, contentId));
    await rejectsWithChainError(repair(publisher, { contentId, members: [member!] }), "CHAIN_REVERTED", "ContentRegistryReplicaSetMismatch");

    await withdraw(leaving.operator, { node: leaving.address });
    assert.equal((await getValidator(publisher, { node: leaving.address })).status, "exited");
  });
});

describe("a validator that leaves the active set", () => {
  const nowS = () => Math.floor(Date.now() / 1000);

  async function withSubmitter(nodeIndex: number, operatorIndex: number, run: (validator: TestValidator, submitter: TxSubmitter, store: DekStore) => Promise<void>) {
    const validator = await setupValidator(chain, nodeIndex, operatorIndex);
    const { store } = openStore();
    const submitter = new TxSubmitter({ clients: validator.node, store }, { auditBatchSize: 5, auditIntervalMs: 50, idlePollMs: 20, minBackoffMs: 20, holdingsIntervalMs: 0 });
    await submitter.start();
    try {
      await run(validator, submitter, store);
    } finally {
      await submitter.stop();
      store.close();
    }
  }

  /** flush() rejects with the submitter's halting error, which stays; the records it could not send stay in the outbox. */
  async function haltedFlush(submitter: TxSubmitter, store: DekStore, code: string, errorName: string, unsent: Hex[]) {
    submitter.notify();
    const error = await submitter.flush().then(
      () => assert.fail("flush should reject"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ChainError && error.code === code, String(error));
    assert.equal(error.retryable, false);
    assert.equal(error.revert?.errorName, errorName);
    assert.equal(submitter.halted, error);
    assert.equal(submitter.metrics.halted, true);
    await assert.rejects(submitter.flush(), (e: unknown) => e === error);
    const pending = await store.pendingBatches();
    assert.deepEqual(pending.flatMap((b) => store.batchRecords(b.batchId).map((r) => r.requestDigest)), unsent);
  }

  it("exit: rewraps served before the exit still go on chain; one served past the grace stops the audit lane and stays in the outbox", async () => {
    await withSubmitter(23, 24, async (validator, submitter, store) => {
      await store.appendAudits(Array.from({ length: 10 }, (_, i) => auditRecord(`leave:${i}`, nowS())));
      await submitter.flush();
      const servedBeforeExit = nowS();
      await requestExit(validator.operator, { node: validator.address });
      // Served just before the exit, recorded after it: what a busy validator has in its outbox.
      await store.appendAudits(Array.from({ length: 3 }, (_, i) => auditRecord(`before-exit:${i}`, servedBeforeExit)));
      submitter.notify();
      await submitter.flush();
      assert.equal((await onChainAudit(validator.node, validator.address)).digests.length, 13);

      const late = auditRecord("after-exit", nowS() + 3_600);
      await store.appendAudit(late);
      await haltedFlush(submitter, store, "CHAIN_REVERTED", "RewrapAuditLogServedAfterExit", [late.requestDigest]);
      assert.equal((await onChainAudit(validator.node, validator.address)).digests.length, 13, "nothing more was recorded");
    });
  });

  it("jail (slash): the submitter halts with CHAIN_NOT_ACTIVE and keeps the records", async () => {
    await withSubmitter(25, 26, async (validator, submitter, store) => {
      await store.appendAudits(Array.from({ length: 10 }, (_, i) => auditRecord(`jail:${i}`, nowS())));
      await submitter.flush();
      await sendContractWrite(chain.clients(0), {
        address: chain.deployment.addresses.validatorRegistry,
        abi: validatorRegistryAbi,
        functionName: "slash",
        args: [validator.address, 1n, `0x${"00".repeat(32)}`],
      });
      assert.equal((await getValidator(validator.node, { node: validator.address })).status, "jailed");
      const late = Array.from({ length: 3 }, (_, i) => auditRecord(`jailed:${i}`, nowS()));
      await store.appendAudits(late);
      await haltedFlush(submitter, store, "CHAIN_NOT_ACTIVE", "RewrapAuditLogValidatorNotActive", late.map((r) => r.requestDigest));
      assert.equal((await onChainAudit(validator.node, validator.address)).digests.length, 10);
      await delay(100);
      assert.equal(submitter.metrics.auditBatchesSent, 2, "nothing more was sent");
    });
  });

  it("holder confirmations of an exiting validator stop; its audit batches go on", async () => {
    const validator = await setupValidator(chain, 27, 28);
    const publisher = chain.clients(29);
    const policyId = await createPolicy(publisher, "explicit", 0, [validator.address]);
    const contentId = await registerContent(publisher, policyId, validator.address);
    await requestExit(validator.operator, { node: validator.address });
    const { store } = openStore();
    await store.putDek(contentId, new Uint8Array(32).fill(3), { policyId, mode: "explicit", source: "initial" });
    const submitter = new TxSubmitter({ clients: validator.node, store }, { holdingsIntervalMs: 0, idlePollMs: 20, auditIntervalMs: 50 });
    await submitter.start();
    try {
      for (let i = 0; i < 500 && submitter.metrics.lastErrorCode !== "CHAIN_NOT_ACTIVE"; i++) await delay(20);
      assert.equal(submitter.metrics.lastErrorCode, "CHAIN_NOT_ACTIVE", "the confirmation was refused");
      await submitter.flush();
      assert.equal(store.getDekInfo(contentId)!.confirmation.state, "pending");
      assert.equal(submitter.halted, undefined);
      const record = auditRecord("served-before-exit", Math.floor(Date.now() / 1000) - 1);
      await store.appendAudit(record);
      submitter.notify();
      await submitter.flush();
      assert.deepEqual((await onChainAudit(validator.node, validator.address)).digests, [record.requestDigest]);
    } finally {
      await submitter.stop();
      store.close();
    }
  });
});

