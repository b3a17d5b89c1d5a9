/**
 * threshold(m, n) on real validators, chain, indexer and libp2p on loopback (docs/threshold.md):
 * contents registered with the crypto core's dealing, shares sealed to the drawn members' KAS
 * keys. Each member takes its share from its threshold work list ahead of any read, stores it
 * sealed and confirms it on chain; a reader asks members over HTTP (POST /v1/rewrap/share),
 * checks the signed answers against the commitments and combines m of them to the DEK; every
 * share served is one audit record on chain; a reader without access, a node without a share
 * and a header not made against C_0 are refused. A member exits: its slot is repaired, the
 * replacement is enrolled by m helpers over libp2p (a cheating helper named, another asked),
 * learns nothing beyond its share, confirms, and only then can the leaver withdraw.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { encodeAbiParameters, getAddress, hexToBytes, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { CONTRACT_ABIS } from "../../../node/chain/abis.js";
import { P256PrivateKey } from "../../../node/crypto/keys/index.js";
import { createNanoTdfHeader, decodeHeader } from "../../../node/crypto/tdf/index.js";
import {
  combineShares,
  dealSealedShares,
  deriveThresholdDek,
  encodeCommitments,
  openEnrollmentContributions,
  openShareAnswer,
  type Share,
} from "../../../node/crypto/threshold/index.js";
import { PROTOCOL_THRESHOLD_ENROLL, decodeEnrollRequest, encodeEnrollRequest } from "../../../node/validator/p2p/enrollment.js";
import { enrollmentSession } from "../../../node/validator/threshold/index.js";
import { p256 } from "@noble/curves/nist.js";
import { decodeRefusal, decodeShareRewrapAnswer, encodeRewrapRequest } from "../../../node/protocol/rewrap/index.js";
import { thresholdK } from "../../../node/protocol/threshold.js";
import { RewrapSigner } from "../../../node/sdk/rewrapSigner.js";
import type { Validator } from "../../../node/validator/index.js";
import { Net, devAccount, eventually, removeTempDirs } from "./helpers.js";

const THRESHOLD_MODE = 4;
const M = 2;
const N = 3;
let net: Net;
const validators: Validator[] = [];
const publisher = devAccount(5);
const reader = devAccount(6);
const outsider = devAccount(7);

let contentId: Hex;
let dek: Uint8Array;
let header: Uint8Array;
let commitments: Uint8Array[];
let members: Address[];
let policyId: bigint;

before(async () => {
  // No unbonding wait: a leaver's withdraw is held back by its threshold slot alone.
  net = await Net.start({ deploy: { env: { DEKMESH_UNBONDING_PERIOD: "0" } } });
  for (let i = 0; i < N; i++) validators.push(await net.startValidator(i));
  await net.synced();

  const receipt = await net.send(publisher, "PolicyRegistry", "createPolicy", [
    { requirements: [], allowlist: [reader.address], notBefore: 0n, notAfter: 0n, mode: THRESHOLD_MODE, k: thresholdK(M, N)!, explicitMembers: [] },
  ]);
  const [created] = parseEventLogs({ abi: CONTRACT_ABIS.PolicyRegistry as never, eventName: "PolicyCreated", logs: receipt.logs }) as unknown as { args: { policyId: bigint } }[];
  policyId = created!.args.policyId;

  const registered = await registerThreshold(policyId);
  ({ contentId, dek, header, commitments, members } = registered);
  await net.synced();
});

after(async () => {
  for (const v of validators.reverse()) await v.stop().catch(() => {});
  await net?.stop();
  removeTempDirs();
});

interface Dealing {
  m?: number;
  n?: number;
  /** The KAS key each member's share is sealed to (default: its own). */
  kasKeyOf?: (member: Address) => Uint8Array;
  /** The key the header is made against (default: the content key, C_0). */
  headerKey?: Uint8Array;
}

/**
 * Registers a threshold(m, n) content as the SDK does: the draw computed from a recent block,
 * shares dealt and sealed to the drawn members' KAS keys, a header made against the content key
 * with the ECDSA binding. `dealing` may make it faulty.
 */
async function registerThreshold(policy: bigint, dealing: Dealing = {}) {
  const { m = M, n = N, kasKeyOf = (member: Address) => byAddress(member).store.currentKasKey()!.publicKey } = dealing;
  const cid = toHex(new TextEncoder().encode(`threshold-${Date.now()}-${Math.random()}`));
  const id = keccak256(cid);
  const drawBlock = await net.public.getBlockNumber({ cacheTime: 0 });
  const { hash } = await net.public.getBlock({ blockNumber: drawBlock });
  const seed = BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [hash!, id])));
  const drawn = (await net.read<Address[]>("ValidatorRegistry", "sample", [seed, BigInt(n), []])).map((a) => a.toLowerCase() as Address);
  const dealt = dealSealedShares({ m, members: drawn.map((a) => ({ address: getAddress(a), kasPublicKey: kasKeyOf(a) })), contentId: hexToBytes(id) });
  const made = createNanoTdfHeader({ kasPublicKey: dealing.headerKey ?? dealt.commitments[0]!, locator: validators[0]!.httpUrl, policyId: policy, binding: "ecdsa" });
  await net.send(publisher, "ContentRegistry", "registerThreshold", [
    { cid, policyId: policy, header: toHex(made.header.bytes), recoveryEnvelope: "0x", drawBlock, commitments: toHex(encodeCommitments(dealt.commitments)), sealedShares: toHex(Buffer.concat(dealt.sealedShares)) },
  ]);
  return { contentId: id, dek: made.dek, header: made.header.bytes, commitments: dealt.commitments, members: drawn };
}

function byAddress(address: string): Validator {
  return validators.find((v) => v.address.toLowerCase() === address.toLowerCase())!;
}

function signer(account = reader): RewrapSigner {
  const v = validators[0]!;
  return new RewrapSigner(account, { chainId: BigInt(v.deployment.chainId), verifyingContract: v.deployment.addresses.rewrapAuditLog }, { session: false });
}

/** Asks `member` for its share over HTTP: the answer checked against the commitments, or the refusal's code. */
async function askShare(member: Validator, s = signer()): Promise<Share | string> {
  const clientKey = P256PrivateKey.generate();
  const { signed, digest } = await s.sign(contentId, clientKey.publicKey);
  const response = await fetch(`${member.httpUrl}/v1/rewrap/share`, { method: "POST", headers: { "content-type": "application/json" }, body: encodeRewrapRequest(signed) });
  const text = await response.text();
  if (response.status !== 200) return decodeRefusal(text).code;
  const answer = decodeShareRewrapAnswer(text);
  assert.equal(answer.requestDigest, toHex(digest));
  const { holders, threshold } = await member.indexer.holders(contentId);
  const listed = holders.find((h) => h.node === member.address.toLowerCase())!;
  const slot = threshold!.slots.find((s) => s.member === listed.node)!;
  return openShareAnswer({
    answer: answer.shareAnswer,
    contentId: hexToBytes(contentId),
    requestDigest: digest,
    clientPrivateKey: clientKey,
    member: { index: slot.index, kasPublicKey: hexToBytes(listed.kasPublicKey) },
    commitments,
  });
}

test("each member takes its share from its work list ahead of any read, stores it sealed and confirms it on chain", async () => {
  assert.deepEqual([...members].sort(), validators.map((v) => v.address.toLowerCase()).sort(), "threshold(2, 3) over three validators draws all three");
  // No read has asked for a share: the members act on GET /threshold/:node.
  for (const member of members) {
    const work = await byAddress(member).indexer.thresholdWork(member);
    assert.deepEqual(work.contents.map((c) => c.contentId), [contentId]);
    assert.equal(work.contents[0]!.header, toHex(header));
  }
  await eventually(async () => {
    const { holders } = await validators[0]!.indexer.holders(contentId);
    return holders.filter((h) => h.state === "confirmed").length === N;
  }, 30_000, "every member's confirmation on chain");
  for (const [slot, member] of members.entries()) {
    const v = byAddress(member);
    assert.equal(v.store.getShareInfo(contentId)?.index, slot + 1);
    assert.equal(v.store.hasDek(contentId), false, "a member never holds the DEK");
    assert.equal(v.rewrap.stats().sharesServed, 0, "confirmed before any read");
    assert.equal(v.threshold.member.opened, 1);
  }
  await eventually(() => members.every((m) => byAddress(m).store.getShareInfo(contentId)?.confirmation.state === "confirmed"), 10_000, "each store's confirmation");
});

test("a reader gets m share answers over HTTP, checks them and combines them to the DEK; one audit record per share", async () => {
  const asked = members.slice(0, M).map(byAddress);
  const s = signer();
  const shares = await Promise.all(asked.map((member) => askShare(member, s)));
  for (const share of shares) assert.equal(typeof share, "object", `refused: ${String(share)}`);
  const parsed = decodeHeader(header);
  assert.deepEqual(deriveThresholdDek({ header: parsed, commitments, shares: shares as Share[] }), dek);
  // m − 1 shares do not combine.
  assert.throws(() => deriveThresholdDek({ header: parsed, commitments, shares: [shares[0] as Share] }), { code: "THRESHOLD_NOT_ENOUGH_SHARES" });

  const url = `${net.indexerUrl}/audit?cid=${contentId}&requester=${reader.address.toLowerCase()}&limit=500`;
  await eventually(async () => {
    const body = (await (await fetch(url)).json()) as { records: { validator: string }[] };
    // One record per share served: the m of this test.
    return body.records.length === M;
  }, 30_000, "the audit records of the shares served");
  assert.equal(asked.reduce((sum, v) => sum + v.rewrap.stats().sharesServed, 0), M);
});

test("a member's KAS key rotates: its share answers are signed with the new key, the one readers find on chain", async () => {
  const member = byAddress(members.find((a) => byAddress(a) !== validators[0])!);
  const sealedTo = member.store.getShareInfo(contentId)!.kid;
  const fresh = P256PrivateKey.generate();
  // As `dekmesh validator rotate-key` does: in the store first, current on chain, then current in the store.
  await member.store.addKasKey(fresh, { current: false });
  await net.send(devAccount(0), "ValidatorRegistry", "rotateKasKey", [member.address, toHex(fresh.publicKey)]);
  await member.store.addKasKey(fresh, { current: true });
  await eventually(async () => {
    const { holders } = await member.indexer.holders(contentId);
    return holders.find((h) => h.node === member.address.toLowerCase())?.kasPublicKey === toHex(fresh.publicKey);
  }, 15_000, "the new key on chain and indexed");
  const share = await askShare(member);
  assert.equal(typeof share, "object", `refused: ${String(share)}`);
  const other = await askShare(byAddress(members.find((a) => a !== member.address.toLowerCase())!));
  assert.deepEqual(deriveThresholdDek({ header: decodeHeader(header), commitments, shares: [share as Share, other as Share] }), dek);
  assert.equal(member.store.getShareInfo(contentId)!.kid, sealedTo, "the share itself is unchanged");
});

test("a reader without access, and a node asked for a share it does not hold, are refused; neither is served", async () => {
  const served = () => validators.map((v) => v.rewrap.stats().sharesServed);
  const before = served();
  assert.equal(await askShare(byAddress(members[0]!), signer(outsider)), "REWRAP_ACCESS_DENIED");
  // A stake(1) content: its initial validator holds the DEK, no share, and does not forward a share request.
  const policyId = await net.createPolicy(publisher, "stake", 1);
  const initial = validators[0]!;
  const stake = await net.registerContent(publisher, policyId, initial);
  await net.synced();
  const clientKey = P256PrivateKey.generate();
  const asPublisher = await signer(publisher).sign(stake.contentId, clientKey.publicKey);
  const response = await fetch(`${initial.httpUrl}/v1/rewrap/share`, { method: "POST", headers: { "content-type": "application/json" }, body: encodeRewrapRequest(asPublisher.signed) });
  assert.notEqual(response.status, 200);
  assert.equal(decodeRefusal(await response.text()).code, "REWRAP_NOT_HOLDER");
  assert.deepEqual(served(), before);
});

test("a share sealed to a key its member does not hold: that member refuses and stores nothing; m others still serve", async () => {
  const stranger = P256PrivateKey.generate();
  const victim = validators[0]!;
  const bad = await registerThreshold(policyId, { kasKeyOf: (member) => (byAddress(member) === victim ? stranger.publicKey : byAddress(member).store.currentKasKey()!.publicKey) });
  await net.synced();
  ({ contentId, dek, header, commitments, members } = bad);
  assert.equal(await askShare(victim), "REWRAP_NOT_HOLDER");
  assert.equal(await askShare(victim), "REWRAP_NOT_HOLDER");
  assert.equal(victim.store.getShareInfo(contentId), undefined, "nothing stored");
  const shares = await Promise.all(validators.filter((v) => v !== victim).map((v) => askShare(v)));
  assert.deepEqual(deriveThresholdDek({ header: decodeHeader(header), commitments, shares: shares as Share[] }), dek);
});

test("a header whose KID is not C_0's: every member refuses THRESHOLD_COMMITMENTS_MISMATCH and stores nothing", async () => {
  const bad = await registerThreshold(policyId, { headerKey: P256PrivateKey.generate().publicKey });
  await net.synced();
  ({ contentId, dek, header, commitments, members } = bad);
  for (const member of members) {
    const v = byAddress(member);
    await eventually(() => v.threshold.member.refusal(contentId) === "THRESHOLD_COMMITMENTS_MISMATCH", 10_000, "the member's refusal");
    assert.equal(v.store.getShareInfo(contentId), undefined, "nothing stored");
    assert.equal(await askShare(v), "REWRAP_NOT_HOLDER");
  }
});

test("GET /threshold/:node pages a member's contents, narrows to one, and refuses malformed queries", async () => {
  const node = validators[0]!.address;
  const all = await validators[0]!.indexer.thresholdWork(node);
  assert.equal(all.contents.length, 3, "the three threshold(2, 3) contents registered so far all drew it");
  const paged: Hex[] = [];
  let cursor: string | undefined;
  do {
    const page = await validators[0]!.indexer.thresholdWork(node, { limit: 1, cursor });
    paged.push(...page.contents.map((c) => c.contentId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  assert.deepEqual(paged, all.contents.map((c) => c.contentId));
  const one = await validators[0]!.indexer.thresholdWork(node, { contentId: all.contents[1]!.contentId });
  assert.deepEqual(one.contents, [all.contents[1]]);
  const outsiderWork = await validators[0]!.indexer.thresholdWork(outsider.address);
  assert.deepEqual(outsiderWork.contents, []);
  for (const [query, code] of [
    ["0x1234", "invalid_address"],
    [`${node}?limit=0`, "invalid_limit"],
    [`${node}?cursor=nope`, "invalid_cursor"],
    [`${node}?content=0x12`, "invalid_cid"],
    [`${node}?since=1`, "unknown_parameter"],
  ] as const) {
    const response = await fetch(`${net.indexerUrl}/threshold/${query}`);
    assert.equal(response.status, 400, query);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, code, query);
  }
});

test("a member down when a content is registered takes its share and confirms it when it starts again", async () => {
  const down = validators[1]!;
  const kasKeys = new Map(validators.map((v) => [v.address.toLowerCase(), v.store.currentKasKey()!.publicKey]));
  await down.stop();
  const later = await registerThreshold(policyId, { kasKeyOf: (member) => kasKeys.get(member)! });
  await net.synced();
  assert.ok(later.members.includes(down.address.toLowerCase() as Address));
  const again = await net.startValidator(1, { dataDir: down.config.dataDir });
  validators[1] = again;
  await eventually(() => again.store.getShareInfo(later.contentId)?.confirmation.state === "confirmed", 20_000, "the restarted member's share confirmed");
  assert.equal(again.threshold.member.opened, 1, "only the new content's share: the ones it held before are in its store");
  assert.equal(again.rewrap.stats().sharesServed, 0);
});

test("a member exits: its slot is repaired, m helpers enroll the replacement over libp2p (a cheater named, another asked), it learns nothing more, confirms, and only then can the leaver withdraw", async () => {
  const [m, n] = [3, 5];
  for (let i = N; i < N + 3; i++) validators.push(await net.startValidator(i));
  await net.synced();
  const policy = await createThresholdPolicy(m, n);
  const dealt = await registerThreshold(policy, { m, n });
  ({ contentId, dek, header, commitments, members } = dealt);
  await net.synced();
  await eventually(() => members.every((a) => byAddress(a).store.getShareInfo(contentId) !== undefined), 20_000, "every member's share, taken ahead of reads");
  // The leaver joined for this content (it holds no other share); the one validator not drawn replaces it.
  const leaver = members.find((a) => validators.indexOf(byAddress(a)) >= N)!;
  const replacement = validators.find((v) => !members.includes(v.address.toLowerCase() as Address))!;
  // The settled helper of the lowest index contributes f(h) + 1 under a valid signature.
  const cheater = byAddress(members.find((a) => a !== leaver)!);
  cheater.threshold.enrollment.faults.wrongContribution = true;
  const received = captureContributions(replacement);

  const exitReceipt = await net.send(devAccount(0), "ValidatorRegistry", "requestExit", [getAddress(leaver)]);
  const exitedAt = Date.now();
  await assert.rejects(
    net.public.simulateContract({ account: devAccount(0), address: net.addresses.ValidatorRegistry, abi: CONTRACT_ABIS.ValidatorRegistry as never, functionName: "withdraw", args: [getAddress(leaver)] } as never),
    /ValidatorRegistryHandoffPending/,
    "withdraw refused while the leaver's slot awaits its replacement's confirmation",
  );
  // (The hand-off reads the indexer, which may lag a block behind the exit: retried then.)
  const counted = await eventually(async () => (await byAddress(leaver).replication.handOffStatus()).thresholdSlots, 10_000, "the leaver's hand-off status");
  assert.equal(counted, 1, "the leaver's hand-off counts its slot");
  const confirmed = await eventually(async () => {
    const events = await net.public.getContractEvents({ address: net.addresses.ContentRegistry, abi: CONTRACT_ABIS.ContentRegistry as never, eventName: "ThresholdEnrollmentConfirmed", fromBlock: exitReceipt.blockNumber });
    return (events as unknown as { blockNumber: bigint; args: { contentId: Hex; member: Address; released: Address; index: number } }[]).find((e) => e.args.contentId === contentId);
  }, 30_000, "the replacement's enrollment confirmed on chain");
  const healMs = Date.now() - exitedAt;
  console.log(JSON.stringify({ heal_ms: healMs, m, n, blocks: Number(confirmed.blockNumber - exitReceipt.blockNumber) }));
  assert.deepEqual([confirmed.args.member.toLowerCase(), confirmed.args.released.toLowerCase(), Number(confirmed.args.index)], [replacement.address.toLowerCase(), leaver, n + 1]);
  // The goal is 10 s (issue #24's bench:threshold); measured 5.6-8.6 s here with six validators in
  // one process on a 2-core machine at load 8-12, 18.8 s once at load 16. The bound catches a
  // heal that waits for a retry timer (RETRY_CONFIRM_MS, 30 s) or a request timeout (10 s) per round.
  assert.ok(healMs <= 25_000, `heal time ${healMs} ms`);

  // The replacement's share is f(n + 1): with m − 1 dealt shares it gives the content key.
  const enrolled = replacement.store.getShare(contentId)!.share;
  assert.equal(enrolled.index, n + 1);
  // Other members' shares, from their stores.
  const others = members.filter((a) => a !== leaver).slice(0, m - 1).map((a) => byAddress(a).store.getShare(contentId)!.share);
  assert.deepEqual(combineShares({ commitments, shares: [enrolled, ...others] }).publicKey, commitments[0]);
  // The cheater was named and left out; an honest helper was asked in its place.
  const metrics = await replacement.metrics.render();
  assert.match(metrics, new RegExp(`threshold_enrollment_faults_total\\{helper="${cheater.address.toLowerCase()}",code="THRESHOLD_SHARE_INVALID"\\} [1-9]`));
  const cheaterIndex = members.indexOf(cheater.address.toLowerCase() as Address) + 1;
  const sets = received.map((r) => r.request.helpers);
  assert.ok(sets[0]!.includes(cheaterIndex), "the cheater was in the first helper set");
  assert.ok(!sets.at(-1)!.includes(cheaterIndex), "and left out of the one that enrolled");
  assert.equal(replacement.threshold.enrollment.enrolled, 1);

  // What the replacement received, opened with its own key, with m − 2 other shares does not give the key.
  const last = sets.at(-1)!.join(",");
  const accepted = received.filter((r) => r.request.helpers.join(",") === last).slice(-m);
  const kasKey = replacement.store.currentKasKey()!;
  const helperKeys = new Map((await replacement.indexer.activeValidators()).validators.map((v) => [v.node, hexToBytes(v.kasPublicKey)]));
  const slots = (await replacement.indexer.thresholdWork(replacement.address)).contents.find((c) => c.contentId === contentId)!.slots;
  const opened = openEnrollmentContributions({
    contentId: hexToBytes(contentId),
    session: enrollmentSession(contentId, n + 1, replacement.address),
    newMember: { index: n + 1, kasKey },
    helpers: accepted[0]!.request.helpers.map((index) => ({ index, kasPublicKey: helperKeys.get(slots.find((s) => s.index === index)!.member)! })),
    contributions: accepted.map((r) => r.answer),
  });
  assert.equal(opened.length, m);
  assertLearnsNothing({ enrolled, opened, coalition: others.slice(0, m - 2), commitments });
  // The same check can fail: one more genuine share is m points, and they give the key.
  assert.deepEqual(combineShares({ commitments, shares: [enrolled, ...others.slice(0, m - 1)] }).publicKey, commitments[0]);

  // Released: the leaver withdraws; its hand-off has nothing left, a staying member still counts its share.
  await eventually(async () => (await net.read<bigint>("ContentRegistry", "assignedReplicas", [getAddress(leaver)])) === 0n, 10_000, "the leaver released");
  await eventually(async () => (await byAddress(leaver).replication.handOffStatus()).thresholdSlots === 0, 10_000, "the leaver's hand-off done");
  const staying = byAddress(members.find((a) => a !== leaver && validators.indexOf(byAddress(a)) >= N) ?? members.find((a) => a !== leaver)!);
  await eventually(async () => (await staying.replication.handOffStatus()).thresholdSlots === staying.store.shareContentIds().length, 10_000, "a staying member's hand-off count");
  await net.send(devAccount(0), "ValidatorRegistry", "withdraw", [getAddress(leaver)]);
});

test("enrollment requests that are malformed, or from a validator not enrolling that slot, are refused with typed codes; nothing is contributed", async () => {
  // The last content's replacement is enrolled: no slot of it is enrolling any more.
  const active = new Set((await validators[0]!.indexer.activeValidators()).validators.map((v) => v.node));
  const [helper, asker] = validators.filter((v) => v.store.getShareInfo(contentId) !== undefined && active.has(v.address.toLowerCase() as Address));
  assert.ok(helper && asker);
  const contributed = validators.map((v) => v.threshold.enrollment.contributed);
  const ask = (payload: Uint8Array) => asker.p2p.request(helper.multiaddrs[0]!, PROTOCOL_THRESHOLD_ENROLL, payload);
  const helpers = [1, 2, 3];
  await assert.rejects(ask(encodeEnrollRequest({ contentId, index: 6, helpers })), { code: "ENROLL_NOT_ENROLLING" });
  await assert.rejects(ask(encodeEnrollRequest({ contentId, index: 7, helpers })), { code: "ENROLL_NOT_ENROLLING" });
  await assert.rejects(ask(new TextEncoder().encode(JSON.stringify({ contentId, index: 6, helpers: [3, 2] }))), { code: "P2P_MALFORMED" });
  await assert.rejects(ask(new TextEncoder().encode(JSON.stringify({ contentId: "0x12", index: 6, helpers }))), { code: "P2P_MALFORMED" });
  await assert.rejects(ask(new Uint8Array([1, 2, 3])), { code: "P2P_MALFORMED" });
  assert.deepEqual(validators.map((v) => v.threshold.enrollment.contributed), contributed);
});

async function createThresholdPolicy(m: number, n: number): Promise<bigint> {
  const receipt = await net.send(publisher, "PolicyRegistry", "createPolicy", [
    { requirements: [], allowlist: [reader.address], notBefore: 0n, notAfter: 0n, mode: THRESHOLD_MODE, k: thresholdK(m, n)!, explicitMembers: [] },
  ]);
  const [created] = parseEventLogs({ abi: CONTRACT_ABIS.PolicyRegistry as never, eventName: "PolicyCreated", logs: receipt.logs }) as unknown as { args: { policyId: bigint } }[];
  return created!.args.policyId;
}

/** Every enrollment request `v` sends and the contribution it gets back, as they cross its p2p layer. */
function captureContributions(v: Validator): { request: ReturnType<typeof decodeEnrollRequest>; answer: Uint8Array }[] {
  const captured: { request: ReturnType<typeof decodeEnrollRequest>; answer: Uint8Array }[] = [];
  const request = v.p2p.request.bind(v.p2p);
  v.p2p.request = async (target, protocol, payload, options) => {
    const answer = await request(target, protocol, payload, options);
    if (protocol === PROTOCOL_THRESHOLD_ENROLL) captured.push({ request: decodeEnrollRequest(payload), answer });
    return answer;
  };
  return captured;
}

/**
 * The replacement with m − 2 other members pools m − 1 points of f (its share and theirs) and the
 * σ_h it received. Every way of reading a σ_h as a point of f — σ_h itself, or σ_h / λ_h(r), at h
 * — completes m points; none of them interpolates to the content key, and no σ_h equals a share.
 */
function assertLearnsNothing(p: { enrolled: Share; opened: { index: number; sigma: Uint8Array }[]; coalition: Share[]; commitments: Uint8Array[] }): void {
  const Fn = p256.Point.Fn;
  const indexes = p.opened.map((o) => o.index);
  const lagrange = (i: number) => {
    let num = Fn.ONE;
    let den = Fn.ONE;
    for (const j of indexes) if (j !== i) {
      num = Fn.mul(num, Fn.sub(Fn.create(BigInt(p.enrolled.index)), Fn.create(BigInt(j))));
      den = Fn.mul(den, Fn.sub(Fn.create(BigInt(i)), Fn.create(BigInt(j))));
    }
    return Fn.div(num, den);
  };
  let sum = Fn.ZERO;
  for (const { index, sigma } of p.opened) {
    const s = Fn.fromBytes(sigma);
    sum = Fn.add(sum, s);
    for (const guess of [s, Fn.div(s, lagrange(index))]) {
      const point = { index, value: Fn.toBytes(guess) };
      if (p.coalition.some((c) => c.index === index)) continue;
      assert.throws(() => combineShares({ commitments: p.commitments, shares: [p.enrolled, ...p.coalition, point] }), { code: "THRESHOLD_SHARE_INVALID" }, `σ of helper ${index} read as a share gives the key`);
    }
  }
  // The messages are exactly what made the share: they sum to f(r).
  assert.equal(sum, Fn.fromBytes(p.enrolled.value));
}
