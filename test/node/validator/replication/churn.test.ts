/**
 * Healing: a holder exits, is jailed (slashed), or has its node revoked. Each time the chain
 * refuses its records, the indexer stops listing it as a holder, the stake(3) replica set is
 * repaired and refilled to 3 confirmed holders (the leaver's slots handed off, so nothing is
 * assigned to it any more), the xor(2) set is recomputed and its new member pulls, and the
 * content still rewraps to the right DEK.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { hexToBytes, type Address, type Hex } from "viem";
import { ChainError, confirmHoldings } from "../../../../node/chain/index.js";
import { xorReplicaSet } from "../../../../node/validator/replication/index.js";
import type { Validator } from "../../../../node/validator/index.js";
import { Reader } from "../rewrap/helpers.js";
import { Net, devAccount, eventually, removeTempDirs } from "../helpers.js";

const N = 6;
let net: Net;
const validators: Validator[] = [];
const publisher = devAccount(5);
const operator = devAccount(0);
let stakeContent: { contentId: Hex; dek: Uint8Array };
let xorContent: { contentId: Hex; dek: Uint8Array };
const gone = new Set<string>();

const lower = (a: string) => a.toLowerCase() as Address;
const byAddress = (a: string) => validators.find((v) => lower(v.address) === lower(a))!;
const live = () => validators.filter((v) => !gone.has(lower(v.address)));

before(async () => {
  net = await Net.start();
  for (let i = 0; i < N; i++) validators.push(await net.startValidator(i));
  const stakePolicy = await net.createPolicy(publisher, "stake", 3);
  const xorPolicy = await net.createPolicy(publisher, "xor", 2);
  stakeContent = await net.registerContent(publisher, stakePolicy, validators[0]!);
  xorContent = await net.registerContent(publisher, xorPolicy, validators[0]!);
  await replicaCountRestored();
});

after(async () => {
  for (const v of [...validators].reverse()) await v.stop().catch(() => {});
  await net?.stop();
  removeTempDirs();
});

async function stakeSet(): Promise<Address[]> {
  const work = await validators[0]!.indexer.replication(validators[0]!.address);
  return work.contents.find((c) => c.contentId === stakeContent.contentId)!.replicaSet.filter((m): m is Address => m !== null);
}

/** 3 active stake members, each holding and confirmed on chain; the xor(2) set holds it too. */
async function replicaCountRestored(): Promise<Address[]> {
  const members = await eventually(async () => {
    const set = await stakeSet();
    if (set.length !== 3 || set.some((m) => gone.has(m))) return false;
    const { holders } = await validators[0]!.indexer.holders(stakeContent.contentId);
    const confirmed = new Set(holders.filter((h) => h.state === "confirmed").map((h) => h.node));
    return set.every((m) => confirmed.has(m) && byAddress(m).store.hasDek(stakeContent.contentId)) ? set : false;
  }, 30_000, "stake(3) set restored");
  const closest = xorReplicaSet(xorContent.contentId, live().map((v) => lower(v.address)), 2);
  await eventually(() => closest.every((m) => byAddress(m).store.hasDek(xorContent.contentId)), 30_000, "xor(2) set restored");
  for (const m of members) assert.deepEqual(byAddress(m).store.getDek(stakeContent.contentId), stakeContent.dek);
  return members;
}

/** A stake member other than the initial validator (validators[0] stays to the end). */
async function pickMember(): Promise<Validator> {
  const set = await stakeSet();
  const member = set.find((m) => m !== lower(validators[0]!.address))!;
  return byAddress(member);
}

async function checkLeft(leaver: Validator): Promise<void> {
  gone.add(lower(leaver.address));
  // The chain refuses its holder records (and audit batches, by the same check).
  await assert.rejects(confirmHoldings(leaver.chain.node, { contentIds: [stakeContent.contentId] }), (error) => error instanceof ChainError && error.code === "CHAIN_NOT_ACTIVE");
  const members = await replicaCountRestored();
  assert.ok(!members.includes(lower(leaver.address)));
  // (The indexer client caches /holders for 2 s.)
  await eventually(async () => !(await validators[0]!.indexer.holders(stakeContent.contentId)).holders.some((h) => h.node === lower(leaver.address)), 5_000, "the leaver delisted");
  assert.equal(await net.read<bigint>("ContentRegistry", "assignedReplicas", [leaver.address]), 0n, "its slots were handed off");
  // Still derivable: a rewrap at a remaining validator yields the DEK.
  const server = live().at(-1)!;
  const reader = new Reader(publisher, { chainId: BigInt(net.stack.chain.chainId), verifyingContract: net.addresses.RewrapAuditLog });
  const request = await reader.request(stakeContent.contentId);
  const answer = await server.rewrap.rewrap(request);
  assert.deepEqual(reader.open(answer.envelope, hexToBytes(answer.requestDigest)), stakeContent.dek);
}

test("a holder exits: records refused, delisted, slots handed off, replica count restored", async () => {
  const leaver = await pickMember();
  await net.send(operator, "ValidatorRegistry", "requestExit", [leaver.address]);
  await checkLeft(leaver);
  const handOff = await leaver.replication.handOffStatus();
  assert.equal(handOff.slots, 0);
  assert.equal(handOff.unprotected, 0);
});

test("a holder is jailed: records refused, delisted, replica count restored", async () => {
  const leaver = await pickMember();
  await net.send(operator, "ValidatorRegistry", "slash", [leaver.address, 10n ** 18n, `0x${"11".repeat(32)}`]);
  await checkLeft(leaver);
});

test("a holder's node is revoked: records refused, delisted, replica count restored", async () => {
  const leaver = await pickMember();
  await net.send(operator, "ValidatorRegistry", "revokeNode", [leaver.address]);
  await checkLeft(leaver);
});
