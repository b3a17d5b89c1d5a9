// `npm run bench:gas`: gas of the hot paths of the contracts, measured on the in-process
// Hardhat chain through the real deployment. Prints one JSON object as its last line and
// writes gas-snapshot.json (committed, so a regression shows up in review).
// `npm run test:gas` (DEKMESH_GAS_CHECK=1) measures the same, writes nothing, and exits 1
// listing every figure that differs from gas-snapshot.json.
// Per-item figures are the batch transaction's gas divided by the batch size.
//
// The figures are a pure function of the code: the chain's clock is pinned (block hashes feed
// the replica draws, see lib/fixed-clock.ts), every key, seed and calldata byte is derived from
// a fixed label (calldata gas depends on its zero bytes), and transactions go one at a time.
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { deployDekmesh } from "./lib/deployment";
import { pinChainClock } from "./lib/fixed-clock";
import { measureChallenges, type ChallengeGas } from "./lib/challenge-gas";
import { measureAuditGas, type AuditGas } from "./lib/audit-gas";
import { measureConditionGas, type ConditionGas } from "./lib/condition-gas";

const { ethers } = hre;
const TOKEN = 10n ** 18n;
const MIN_STAKE = 1_000n * TOKEN;

type Signer = Awaited<ReturnType<typeof ethers.getSigners>>[number];

const SNAPSHOT = path.join(__dirname, "..", "gas-snapshot.json");
const CHECK = process.env.DEKMESH_GAS_CHECK === "1";

/** `bytes` bytes that look random but are the same on every run: keccak256 of labelled counters. */
function fixedBytes(label: string, bytes: number): string {
  const words = Array.from({ length: Math.ceil(bytes / 32) }, (_, i) => ethers.id(`${label}-${i}`));
  return ethers.dataSlice(ethers.concat(words), 0, bytes);
}

/** Runs `f` on each item in turn: transactions are mined in a fixed order, never in a race. */
async function sequentially<T, R>(items: T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await f(item));
  return out;
}

/** Waits for a transaction and returns the gas it used. */
async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  return Number((await (await tx).wait())!.gasUsed);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Validators leaving in the healing measurement (repairMany). */
const LEAVERS = 10;

async function main() {
  const bench = await setUp();
  // n = 10
  const { ten, stakeUpdate10 } = await measureStakeUpdateN10(bench);
  // n = 100
  const hundred = [...ten, ...(await bench.addValidators(90))];
  const { registerGas, contentIds } = await registerContents(bench, hundred);
  const holding = await measureHolding(bench, hundred, contentIds);
  const audit = await measureAuditGas(hre, bench.audit, hundred[2]!, hundred[3]!, contentIds);
  const repair = await measureRepair(bench, ten, hundred, contentIds);
  const threshold = await measureThreshold(bench);
  // n = 10,000
  const { stakeUpdate10k, sampleGas } = await measureAtN10000(bench, hundred);
  const challenges = await measureChallenges(hre);
  // Last: its transactions move the pinned chain's block hashes, which the draws above read.
  const conditions = await measureConditionGas(hre, bench.policies);

  report({
    bench: "gas",
    register_k3_n100: registerGas,
    holding_per_content_batch50: Math.round(holding),
    ...audit,
    repair_per_set_n100: Math.round(repair.perSet),
    repair_sets: repair.sets,
    register_threshold3of5_n100: threshold.registerGas,
    repair_threshold_slot_n100: threshold.repairGas,
    confirm_enrollment: threshold.confirmGas,
    stake_update_n10: stakeUpdate10,
    stake_update_n10000: stakeUpdate10k,
    sample5_n10000: sampleGas,
    ...challenges,
    ...conditions,
  });
}

/** Pins the clock, deploys, funds the operator, and returns the contracts and addValidators. */
async function setUp() {
  await pinChainClock(hre);
  const [deployer, publisher, operator] = await ethers.getSigners();
  const deployment = await deployDekmesh(hre, {
    minStake: MIN_STAKE,
    stakeUnit: TOKEN,
    unbondingPeriod: 60,
    slashRecipient: deployer.address,
    adjudicator: deployer.address,
    confirmations: 1,
  });
  const c = deployment.contracts;
  const token = await ethers.getContractAt("StakeToken", c.StakeToken.address);
  const validators = await ethers.getContractAt("ValidatorRegistry", c.ValidatorRegistry.address);
  const policies = await ethers.getContractAt("PolicyRegistry", c.PolicyRegistry.address);
  const content = await ethers.getContractAt("ContentRegistry", c.ContentRegistry.address);
  const audit = await ethers.getContractAt("RewrapAuditLog", c.RewrapAuditLog.address);
  await token.mint(operator.address, 10n ** 9n * TOKEN);
  await token.connect(operator).approve(c.ValidatorRegistry.address, ethers.MaxUint256);

  // Validators are fabricated accounts the chain lets us send from (no signing cost). Each one's
  // libp2p key (secp256k1, from a fixed label) signs the peer-id proof the registry checks.
  let created = 0;
  const kasKey = (i: number) => ethers.concat(["0x02", ethers.id(`kas-${i}`)]);
  const { chainId } = await ethers.provider.getNetwork();
  const proofDomain = { name: "dekmesh", version: "1", chainId, verifyingContract: c.ValidatorRegistry.address };
  const proofTypes = { PeerIdProof: [{ name: "node", type: "address" }, { name: "peerId", type: "bytes" }] };
  async function peerIdWithProof(i: number, node: string) {
    const key = new ethers.Wallet(ethers.id(`libp2p-${i}`));
    const peerId = ethers.concat(["0x002508021221", key.signingKey.compressedPublicKey]);
    return { peerId, proof: await key.signTypedData(proofDomain, proofTypes, { node, peerId }) };
  }
  async function addValidators(n: number): Promise<Signer[]> {
    const nodes: Signer[] = [];
    for (let i = 0; i < n; i++, created++) {
      const address = ethers.getAddress(ethers.dataSlice(ethers.id(`node-${created}`), 12));
      await hre.network.provider.send("hardhat_setBalance", [address, "0x56BC75E2D63100000"]);
      await hre.network.provider.send("hardhat_impersonateAccount", [address]);
      const node = await ethers.getSigner(address);
      const { peerId, proof } = await peerIdWithProof(created, address);
      await validators.connect(node).register(operator.address, kasKey(created), peerId, proof, [], "http://127.0.0.1:8080");
      // Stakes differ so the tree is not trivially uniform.
      await validators.connect(operator).stake(address, MIN_STAKE + BigInt(created % 97) * TOKEN);
      nodes.push(node);
    }
    return nodes;
  }
  /** The KID the registry stored for a validator added here (sealed shares name it). */
  function kidOf(node: string): string {
    for (let i = 0; i < created; i++) {
      if (ethers.getAddress(ethers.dataSlice(ethers.id(`node-${i}`), 12)) === node) return ethers.dataSlice(ethers.sha256(kasKey(i)), 0, 8);
    }
    throw new Error(`${node} was not added by this bench`);
  }
  return { publisher, operator, addresses: c, validators, policies, content, audit, addValidators, kidOf };
}

type Bench = Awaited<ReturnType<typeof setUp>>;

/** stake_update_n10: the median stake update with ten validators registered. */
async function measureStakeUpdateN10({ operator, validators, addValidators }: Bench) {
  const ten = await addValidators(10);
  const stakeUpdate10 = median(
    await sequentially([0, 1, 2, 3, 4], (i) => gasOf(validators.connect(operator).stake(ten[i]!.address, TOKEN))),
  );
  return { ten, stakeUpdate10 };
}

/** register_k3_n100: registrations with a stake(3) draw among 100; returns the content ids too. */
async function registerContents({ publisher, policies, content }: Bench, hundred: Signer[]) {
  const policyInput = {
    requirements: [],
    allowlist: [],
    notBefore: 0,
    notAfter: 0,
    mode: 1, // Stake
    k: 3,
    explicitMembers: [],
  };
  const policyId = await policies.connect(publisher).createPolicy.staticCall(policyInput);
  await policies.connect(publisher).createPolicy(policyInput);
  // A typical NanoTDF header (~120 bytes), a CIDv1 (36 bytes), a recovery envelope (~100 bytes).
  // Fixed bytes, not random ones: a zero calldata byte costs 4 gas, any other 16.
  const header = fixedBytes("header", 120);
  const recovery = fixedBytes("recovery", 100);
  const registerGas: number[] = [];
  const contentIds: string[] = [];
  for (let i = 0; i < 60; i++) {
    const cid = ethers.concat(["0x01551220", ethers.id(`cid-${i}`)]);
    const gas = await gasOf(content.connect(publisher).register(cid, policyId, hundred[0]!.address, header, recovery));
    // The first registrations pay for first-time counter slots; report the steady state.
    if (i >= 10) registerGas.push(gas);
    contentIds.push(ethers.keccak256(cid));
  }
  return { registerGas: median(registerGas), contentIds };
}

/** holding_per_content_batch50: one confirmHoldings of 50 contents, per content. */
async function measureHolding({ content }: Bench, hundred: Signer[], contentIds: string[]): Promise<number> {
  return (await gasOf(content.connect(hundred[1]!).confirmHoldings(contentIds.slice(0, 50)))) / 50;
}

/**
 * repair_per_set_n100, repair_sets — healing: the LEAVERS validators in the most of those sets
 * exit, one repairMany re-draws every slot they held (what the designated repairer sends after
 * an exit, docs/replication.md).
 */
async function measureRepair({ operator, validators, content }: Bench, ten: Signer[], hundred: Signer[], contentIds: string[]) {
  const sets = await sequentially(
    contentIds,
    async (id) => [...(await content.queryFilter(content.filters.ReplicaSetAssigned(id)))[0]!.args.members],
  );
  const setsOf = (v: string) => sets.filter((set) => set.includes(v)).length;
  // Not one of the first ten: the stake-update probes below use node-0.
  const firstTen = new Set(ten.map((v) => v.address));
  const leavers = [...new Set(sets.flat())].filter((v) => !firstTen.has(v)).sort((a, b) => setsOf(b) - setsOf(a)).slice(0, LEAVERS);
  for (const leaver of leavers) await validators.connect(operator).requestExit(leaver);
  const affected = contentIds.map((id, i) => ({ id, members: sets[i]! })).filter(({ members }) => members.some((m) => leavers.includes(m)));
  const repairer = hundred.find((v) => !leavers.includes(v.address))!;
  const perSet =
    (await gasOf(content.connect(repairer).repairMany(affected.map((a) => a.id), affected.map((a) => a.members)))) / affected.length;
  return { perSet, sets: affected.length };
}

/**
 * register_threshold3of5_n100, repair_threshold_slot_n100, confirm_enrollment: threshold(3, 5)
 * registrations as the SDK sends them (the draw computed off chain from the latest block, five
 * 112-byte sealed shares, three commitments), among the ~90 validators left after the repair
 * measurement (the same tree height as register_k3_n100's 100); then one member exits, its slot
 * is repaired and its replacement confirms its enrollment.
 */
async function measureThreshold({ publisher, operator, policies, content, validators, kidOf }: Bench) {
  const policyInput = { requirements: [], allowlist: [], notBefore: 0, notAfter: 0, mode: 4, k: (2 << 4) | 4, explicitMembers: [] };
  const policyId = await policies.connect(publisher).createPolicy.staticCall(policyInput);
  await policies.connect(publisher).createPolicy(policyInput);
  const header = fixedBytes("header", 120);
  const recovery = fixedBytes("recovery", 100);
  const coder = ethers.AbiCoder.defaultAbiCoder();
  const registerGas: number[] = [];
  let last: { contentId: string; members: string[] } | undefined;
  for (let i = 0; i < 30; i++) {
    const cid = ethers.concat(["0x01551220", ethers.id(`threshold-cid-${i}`)]);
    const contentId = ethers.keccak256(cid);
    const drawBlock = await ethers.provider.getBlockNumber();
    const hash = (await ethers.provider.getBlock(drawBlock))!.hash!;
    const members = [...(await validators.sample(ethers.keccak256(coder.encode(["bytes32", "bytes32"], [hash, contentId])), 5, []))];
    const sealedShares = ethers.concat(
      members.map((m, slot) => ethers.concat(["0x01", ethers.toBeHex(slot + 1, 2), m, kidOf(m), fixedBytes(`share-${i}-${slot}`, 81)])),
    );
    const commitments = ethers.concat([0, 1, 2].map((j) => ethers.concat(["0x02", fixedBytes(`commitment-${i}-${j}`, 32)])));
    const registration = { cid, policyId, header, recoveryEnvelope: recovery, drawBlock, commitments, sealedShares };
    const gas = await gasOf(content.connect(publisher).registerThreshold(registration));
    if (i >= 10) registerGas.push(gas);
    last = { contentId, members };
  }
  const { contentId, members } = last!;
  const slots = members.map((member, i) => ({ member, index: i + 1, previous: ethers.ZeroAddress }));
  await validators.connect(operator).requestExit(members[0]!);
  const repairReceipt = (await (await content.connect(publisher).repairThreshold(contentId, slots)).wait())!;
  const repaired = content.interface.parseLog(repairReceipt.logs[0]!)!;
  const replacement = await ethers.getSigner(repaired.args.replacement);
  const after = slots.map((s, i) => (i === 0 ? { member: replacement.address, index: Number(repaired.args.index), previous: s.member } : s));
  const confirmGas = await gasOf(content.connect(replacement).confirmEnrollment(contentId, after, 0));
  return { registerGas: median(registerGas), repairGas: Number(repairReceipt.gasUsed), confirmGas };
}

/** stake_update_n10000 and sample5_n10000: grows the registry to 10,000 active validators first. */
async function measureAtN10000({ operator, validators, addresses, addValidators }: Bench, hundred: Signer[]) {
  await addValidators(10_000 - hundred.length + LEAVERS);
  const probes = [0, 500, 5_000, 9_999].map((i) => ethers.getAddress(ethers.dataSlice(ethers.id(`node-${i}`), 12)));
  const stakeUpdate10k = median(await sequentially(probes, (a) => gasOf(validators.connect(operator).stake(a, TOKEN))));
  const sampleGas = median(
    await sequentially([1, 2, 3, 4, 5], async (s) =>
      Number(await ethers.provider.estimateGas({
        to: addresses.ValidatorRegistry.address,
        data: validators.interface.encodeFunctionData("sample", [ethers.id(`seed-${s}`), 5, []]),
      })),
    ),
  );
  return { stakeUpdate10k, sampleGas };
}

type GasFigures = {
  bench: "gas";
  register_k3_n100: number;
  holding_per_content_batch50: number;
  repair_per_set_n100: number;
  repair_sets: number;
  register_threshold3of5_n100: number;
  repair_threshold_slot_n100: number;
  confirm_enrollment: number;
  stake_update_n10: number;
  stake_update_n10000: number;
  sample5_n10000: number;
} & AuditGas & ConditionGas & ChallengeGas;

/** Prints each figure against its goal, then writes (or, in check mode, compares) the snapshot. */
function report(result: GasFigures) {
  const goals = {
    register_k3_n100: 150_000,
    holding_per_content_batch50: 12_000,
    audit_per_record_batch100: 5_000,
    // The contract test's bound for a repairMany entry (test/contracts/ContentRegistry.test.ts).
    repair_per_set_n100: 60_000,
    stake_update_n10000: 90_000,
    sample5_n10000: 120_000,
  };
  for (const [name, goal] of Object.entries(goals)) {
    const value = result[name as keyof typeof goals];
    console.log(`${name.padEnd(28)} ${String(value).padStart(8)}  goal ≤ ${goal}  ${value <= goal ? "ok" : "MISSED"}`);
  }
  // Issue #24's goal: a threshold(3, 5) registration within 1.3 × a stake(3) one.
  const thresholdRatio = result.register_threshold3of5_n100 / result.register_k3_n100;
  console.log(`register threshold 3/5 ÷ stake 3 ${thresholdRatio.toFixed(2)}  goal ≤ 1.3  ${thresholdRatio <= 1.3 ? "ok" : "MISSED"}`);
  // Issue #25's goal: a verifiable audit batch within 1.2 × a plain one.
  const auditRatio = result.audit_per_record_batch100_verifiable / result.audit_per_record_batch100;
  console.log(`audit verifiable ÷ plain, 100    ${auditRatio.toFixed(2)}  goal ≤ 1.2  ${auditRatio <= 1.2 ? "ok" : "MISSED"}`);
  const ratio = result.stake_update_n10000 / result.stake_update_n10;
  console.log(`stake update n=10,000 ÷ n=10    ${ratio.toFixed(2)}  goal ≤ 2.5  ${ratio <= 2.5 ? "ok" : "MISSED"}`);
  if (CHECK) checkSnapshot(result);
  else fs.writeFileSync(SNAPSHOT, JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result));
}

/** Check mode: every figure must equal the committed one; sets exit code 1 and lists the others. */
function checkSnapshot(figures: GasFigures) {
  const result: Readonly<Record<string, unknown>> = { ...figures };
  const committed = JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")) as Record<string, unknown>;
  const names = [...new Set([...Object.keys(committed), ...Object.keys(result)])];
  const differing = names.filter((name) => committed[name] !== result[name]);
  if (differing.length === 0) {
    console.log(`gas snapshot: all ${names.length} figures match gas-snapshot.json`);
    return;
  }
  console.error(`gas snapshot: ${differing.length} figure(s) differ from gas-snapshot.json:`);
  for (const name of differing) {
    const [was, now] = [committed[name], result[name]];
    const delta = typeof was === "number" && typeof now === "number" ? `  (${now > was ? "+" : ""}${now - was})` : "";
    console.error(`  ${name.padEnd(28)} snapshot ${String(was ?? "-").padStart(8)}  measured ${String(now ?? "-").padStart(8)}${delta}`);
  }
  console.error("If the change is intended, update the snapshot with `npm run bench:gas` (it rewrites");
  console.error("gas-snapshot.json) and commit gas-snapshot.json with the change; otherwise fix the regression.");
  process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
