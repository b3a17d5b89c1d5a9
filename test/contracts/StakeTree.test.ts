import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { StakeTreeHarness } from "../../build/typechain";
import { MAX_TOTAL, prng, StakeTreeModel } from "./helpers/stakeTreeModel";

const FABRICATED_BASE = 0x5374616b6554726565n << 88n;

/** Member i as the harness's `populate` fabricates it. */
function fabricated(i: number): string {
  return ethers.getAddress(ethers.toBeHex(FABRICATED_BASE + BigInt(i), 20));
}

async function deployHarness(): Promise<StakeTreeHarness> {
  const factory = await ethers.getContractFactory("StakeTreeHarness");
  return (await factory.deploy()) as unknown as StakeTreeHarness;
}

/** Adds fabricated members [first, first + n) with `weight` each, in transactions of `batch`. */
async function populate(
  tree: StakeTreeHarness,
  model: StakeTreeModel | undefined,
  first: number,
  n: number,
  weight: bigint,
  batch = 250, // keeps each transaction under the 2^24 per-transaction gas cap (EIP-7825)
): Promise<void> {
  for (let i = first; i < first + n; i += batch) {
    const size = Math.min(batch, first + n - i);
    await (await tree.populate(i, size, weight)).wait();
    for (let j = i; j < i + size; j++) model?.set(fabricated(j), weight);
  }
}

/** total, count, every listed member's weight and a spread of draws agree with the model. */
async function expectAgrees(tree: StakeTreeHarness, model: StakeTreeModel, members: string[], seeds: bigint[]) {
  expect(await tree.total()).to.equal(model.total());
  expect(await tree.count()).to.equal(BigInt(model.count()));
  const weights = await tree.weightsOf(members);
  expect(weights).to.deep.equal(members.map((m) => model.weightOf(m)));
  if (model.total() === 0n) return;
  const drawn = await tree.drawMany(seeds);
  expect(drawn).to.deep.equal(seeds.map((s) => model.draw(s)));
  for (const m of drawn) expect(model.weightOf(m)).to.be.greaterThan(0n);
}

const seedsFrom = (base: number, n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(base + i) * 7919n);

describe("StakeTree", () => {
  describe("set", () => {
    it("set_updatesTotalCountAndWeights", async () => {
      const tree = await loadFixture(deployHarness);
      const [a, b, c] = [fabricated(1), fabricated(2), fabricated(3)];
      await tree.set(a, 10);
      await tree.set(b, 20);
      await tree.set(c, 30);
      expect(await tree.total()).to.equal(60n);
      expect(await tree.count()).to.equal(3n);
      await tree.set(b, 5); // decrease
      await tree.set(a, 100); // increase
      expect(await tree.total()).to.equal(135n);
      expect(await tree.weightOf(b)).to.equal(5n);
      await tree.set(c, 0); // remove
      expect(await tree.total()).to.equal(105n);
      expect(await tree.count()).to.equal(2n);
      expect(await tree.weightOf(c)).to.equal(0n);
      await tree.set(fabricated(9), 0); // removing a non-member is a no-op
      expect(await tree.count()).to.equal(2n);
      await tree.set(c, 7); // re-add
      expect(await tree.count()).to.equal(3n);
      expect(await tree.total()).to.equal(112n);
    });

    it("set_revertsWhenTotalWouldOverflow", async () => {
      const tree = await loadFixture(deployHarness);
      const [a, b] = [fabricated(1), fabricated(2)];
      await expect(tree.set(a, MAX_TOTAL + 1n))
        .to.be.revertedWithCustomError(tree, "StakeTreeWeightOverflow")
        .withArgs(MAX_TOTAL + 1n);
      await tree.set(a, MAX_TOTAL - 10n);
      await expect(tree.set(b, 11)).to.be.revertedWithCustomError(tree, "StakeTreeWeightOverflow").withArgs(MAX_TOTAL + 1n);
      await tree.set(b, 10); // exactly MAX_TOTAL
      expect(await tree.total()).to.equal(MAX_TOTAL);
      await expect(tree.set(a, MAX_TOTAL - 9n))
        .to.be.revertedWithCustomError(tree, "StakeTreeWeightOverflow")
        .withArgs(MAX_TOTAL + 1n);
      await expect(tree.set(b, ethers.MaxUint256))
        .to.be.revertedWithCustomError(tree, "StakeTreeWeightOverflow")
        .withArgs(ethers.MaxUint256);
      await tree.set(a, 1); // decreases always fit
      await tree.set(b, MAX_TOTAL - 1n);
      expect(await tree.total()).to.equal(MAX_TOTAL);
      expect(await tree.count()).to.equal(2n);
    });

    it("set_growsAcrossHeights", async () => {
      // The root keeps 7 children (its top lane holds the height), so heights change after
      // 7, 56, 448 leaves; the 8-ary boundaries 8, 64, 512 are covered as well.
      const tree = await loadFixture(deployHarness);
      const model = new StakeTreeModel();
      const sizes = [1, 7, 8, 9, 56, 57, 64, 65, 448, 449, 512, 513];
      let n = 0;
      for (const size of sizes) {
        await populate(tree, model, n, size - n, 3n);
        // Vary weights so a draw's leaf position matters.
        await tree.set(fabricated(size - 1), BigInt(size));
        model.set(fabricated(size - 1), BigInt(size));
        n = size;
        const members = Array.from({ length: n }, (_, i) => fabricated(i));
        await expectAgrees(tree, model, members, seedsFrom(n, 40));
        expect(await tree.sample(n, 5, [])).to.deep.equal(model.sample(BigInt(n), 5, []));
      }
    });

    it("set_reusesFreedLeaves", async () => {
      const tree = await loadFixture(deployHarness);
      const model = new StakeTreeModel();
      await populate(tree, model, 0, 56, 2n); // a full height-2 tree: one more leaf would grow it
      const grow = await tree.set.estimateGas(fabricated(1000), 1);
      for (const i of [3, 40, 17]) {
        await tree.set(fabricated(i), 0);
        model.set(fabricated(i), 0n);
      }
      // Three newcomers take the freed leaves (last freed first) instead of growing the tree.
      const reuse = await tree.set.estimateGas(fabricated(1000), 1);
      for (const i of [1000, 1001, 1002]) {
        await tree.set(fabricated(i), 50);
        model.set(fabricated(i), 50n);
      }
      expect(model.leafCount()).to.equal(56);
      expect(reuse).to.be.lessThan(grow);
      const members = [...Array.from({ length: 56 }, (_, i) => fabricated(i)), fabricated(1000), fabricated(1001), fabricated(1002)];
      await expectAgrees(tree, model, members, seedsFrom(0, 200));
    });
  });

  describe("draw", () => {
    it("draw_revertsWhenEmpty", async () => {
      const tree = await loadFixture(deployHarness);
      await expect(tree.draw(1)).to.be.revertedWithCustomError(tree, "StakeTreeEmpty");
      await tree.set(fabricated(1), 5);
      expect(await tree.draw(1)).to.equal(fabricated(1));
      await tree.set(fabricated(1), 0);
      await expect(tree.draw(1)).to.be.revertedWithCustomError(tree, "StakeTreeEmpty");
      expect(await tree.sample(1, 3, [])).to.deep.equal([]);
    });

    it("draw_matchesFirstSamplePick", async () => {
      const tree = await loadFixture(deployHarness);
      await populate(tree, undefined, 0, 100, 9n);
      for (let i = 0; i < 100; i += 3) await tree.set(fabricated(i), 1 + i);
      for (const seed of seedsFrom(1, 30)) {
        expect([await tree.draw(seed)]).to.deep.equal(await tree.sample(seed, 1, []));
      }
    });

    it("draw_frequenciesProportionalToWeight", async () => {
      // Chi-square goodness of fit over N draws with seeds 0..N-1 (view calls): 8 members,
      // 7 degrees of freedom; the test fails if χ² > 24.322, the p = 0.001 critical value.
      const tree = await loadFixture(deployHarness);
      const weights = [1n, 2n, 3n, 5n, 8n, 13n, 21n, 47n]; // total 100: min expected count = N/100
      const removed = fabricated(99);
      await tree.set(removed, 400);
      for (let i = 0; i < weights.length; i++) await tree.set(fabricated(i), weights[i]);
      await tree.set(removed, 0);
      const N = 20_000;
      const counts = new Map<string, number>();
      for (let start = 0; start < N; start += 2_000) {
        const seeds = Array.from({ length: 2_000 }, (_, i) => BigInt(start + i));
        for (const m of await tree.drawMany(seeds)) counts.set(m, (counts.get(m) ?? 0) + 1);
      }
      expect(counts.has(removed)).to.equal(false);
      let chi2 = 0;
      for (let i = 0; i < weights.length; i++) {
        const expected = (N * Number(weights[i])) / 100;
        const observed = counts.get(fabricated(i)) ?? 0;
        chi2 += (observed - expected) ** 2 / expected;
      }
      console.log(`      χ² = ${chi2.toFixed(2)} over ${N} draws (bound 24.322, df 7, p = 0.001)`);
      expect(chi2).to.be.lessThan(24.322);
    });
  });

  describe("sample", () => {
    it("sample_returnsAllWhenKExceedsCount", async () => {
      const tree = await loadFixture(deployHarness);
      const model = new StakeTreeModel();
      for (let i = 0; i < 5; i++) {
        await tree.set(fabricated(i), 10 + i);
        model.set(fabricated(i), BigInt(10 + i));
      }
      const all = await tree.sample(42, 20, []);
      expect(all).to.deep.equal(model.sample(42n, 20, []));
      expect([...all].sort()).to.deep.equal(model.members().sort());
      expect(await tree.sample(42, 20, [fabricated(2)])).to.have.length(4);
      expect(await tree.sample(42, ethers.MaxUint256, [])).to.have.length(5); // memory grows per pick only
      expect(await tree.sample(42, 0, [])).to.deep.equal([]);
    });

    it("sample_neverReturnsExcluded", async () => {
      const tree = await loadFixture(deployHarness);
      const model = new StakeTreeModel();
      await populate(tree, model, 0, 70, 1n);
      // The heaviest members are excluded: without the exclusion they would dominate.
      const heavy = [5, 33, 64].map(fabricated);
      for (const m of heavy) {
        await tree.set(m, 1_000_000);
        model.set(m, 1_000_000n);
      }
      for (const seed of seedsFrom(3, 25)) {
        const chosen = await tree.sample(seed, 6, heavy);
        expect(chosen).to.deep.equal(model.sample(seed, 6, heavy));
        expect(new Set(chosen).size).to.equal(6);
        for (const m of heavy) expect(chosen).to.not.include(m);
      }
    });

    it("sample_ignoresDuplicateAndUnknownExcludes", async () => {
      const tree = await loadFixture(deployHarness);
      const model = new StakeTreeModel();
      await populate(tree, model, 0, 20, 4n);
      const exclude = [fabricated(7), fabricated(500), fabricated(7), ethers.ZeroAddress, fabricated(7), fabricated(2)];
      for (const seed of seedsFrom(11, 10)) {
        const chosen = await tree.sample(seed, 20, exclude);
        expect(chosen).to.deep.equal(model.sample(seed, 20, exclude));
        expect(chosen).to.have.length(18);
      }
    });

    it("sample_randomOperationsMatchReferenceModel", async () => {
      // Random insert / increase / decrease / remove / re-add sequences, in batches, checked
      // after every batch against the reference model: totals, counts, weights, exact draws and
      // exact samples (random k and exclude lists mixing members, removed members, duplicates).
      const runs = [
        { seed: 1, pool: 12, batches: 25, maxWeight: 1_000 },
        { seed: 2, pool: 60, batches: 25, maxWeight: 50_000 },
        { seed: 3, pool: 300, batches: 20, maxWeight: 1_000_000 },
        { seed: 4, pool: 40, batches: 20, maxWeight: Number(MAX_TOTAL / 40n) },
      ];
      let steps = 0;
      for (const run of runs) {
        const tree = await deployHarness();
        const model = new StakeTreeModel();
        const rand = prng(run.seed);
        const pool = Array.from({ length: run.pool }, (_, i) => fabricated(run.seed * 10_000 + i));
        for (let batch = 0; batch < run.batches; batch++) {
          const members: string[] = [];
          const weights: bigint[] = [];
          for (let op = 0; op < 40; op++) {
            const member = pool[rand.int(pool.length)];
            const weight = rand.chance(0.3) ? 0n : BigInt(1 + rand.int(run.maxWeight));
            members.push(member);
            weights.push(weight);
            model.set(member, weight);
          }
          await (await tree.setMany(members, weights)).wait();
          await expectAgrees(tree, model, pool, seedsFrom(run.seed * 1_000 + batch * 20, 20));
          for (let s = 0; s < 4; s++) {
            const seed = BigInt(run.seed * 1_000_000 + batch * 10 + s);
            const k = 1 + rand.int(8);
            const exclude = Array.from({ length: rand.int(4) }, () => pool[rand.int(pool.length)]);
            const chosen = await tree.sample(seed, k, exclude);
            expect(chosen).to.deep.equal(model.sample(seed, k, exclude));
            expect(new Set(chosen).size).to.equal(chosen.length);
            for (const m of chosen) {
              expect(model.weightOf(m)).to.be.greaterThan(0n);
              expect(exclude).to.not.include(m);
            }
            steps++;
          }
          steps += 40 + 20;
        }
      }
      console.log(`      ${steps} set/draw/sample steps checked against the model`);
    });
  });

  describe("gas", () => {
    /** Library gas of one call (gasleft() around it, in a fresh eth_call: every slot cold). */
    async function libraryGas(tree: StakeTreeHarness, member: string, weight: bigint): Promise<number> {
      return Number(await tree.measureSet.staticCall(member, weight));
    }

    it("gas_setIsLogarithmic", async () => {
      const tree = await deployHarness();
      await populate(tree, undefined, 0, 10, 1_000n);
      const at10 = {
        update: await libraryGas(tree, fabricated(4), 1_500n),
        insert: await libraryGas(tree, fabricated(20_000), 1_000n),
        remove: await libraryGas(tree, fabricated(4), 0n),
      };
      const tx10 = (await (await tree.set(fabricated(4), 1_500)).wait())!.gasUsed;
      await populate(tree, undefined, 10, 9_990, 1_000n);
      expect(await tree.count()).to.equal(10_000n);
      const at10k = {
        update: await libraryGas(tree, fabricated(5_000), 1_500n),
        insert: await libraryGas(tree, fabricated(20_000), 1_000n),
        remove: await libraryGas(tree, fabricated(5_000), 0n),
      };
      const tx10k = (await (await tree.set(fabricated(5_000), 1_500)).wait())!.gasUsed;
      console.log(`      set (library gas)  n=10: ${JSON.stringify(at10)}  n=10000: ${JSON.stringify(at10k)}`);
      console.log(`      set (whole harness tx, update)  n=10: ${tx10}  n=10000: ${tx10k}`);
      expect(at10k.update).to.be.lessThanOrEqual(30_000);
      expect(at10k.update).to.be.lessThanOrEqual(2.3 * at10.update);
      expect(at10k.insert).to.be.lessThanOrEqual(95_000); // worst case: the new leaf opens a level-1 node
      expect(at10k.remove).to.be.lessThanOrEqual(45_000); // before the refund for clearing the member record
      expect(Number(tx10k)).to.be.lessThanOrEqual(55_000);

      const exclude: string[] = [];
      const [members, sampleGas] = await tree.measureSample(ethers.id("seed"), 5, exclude);
      const estimate = await tree.sample.estimateGas(ethers.id("seed"), 5, exclude);
      const [, repairGas] = await tree.measureSample(ethers.id("seed"), 1, [...members.slice(1)]);
      console.log(`      sample(5) n=10000: library ${sampleGas}, estimateGas ${estimate}; repair sample(1, exclude 4): ${repairGas}`);
      expect(members).to.have.length(5);
      // Floor: 21,000 intrinsic + ~24 cold SLOADs (root, 3 level-4 nodes, 4 levels × 5 picks).
      expect(estimate).to.be.lessThanOrEqual(90_000n);
      expect(sampleGas).to.be.lessThanOrEqual(65_000n);
      expect(repairGas).to.be.lessThanOrEqual(40_000n);
    });

    it("gas_drawAtHundredMembers", async () => {
      const tree = await deployHarness();
      await populate(tree, undefined, 0, 100, 1_000n);
      const [, drawGas] = await tree.measureDraw(ethers.id("register"));
      const [three, sample3Gas] = await tree.measureSample(ethers.id("register"), 3, []);
      console.log(`      n=100: draw ${drawGas}, sample(3) ${sample3Gas} (${(Number(sample3Gas) / 3).toFixed(0)} per draw)`);
      expect(three).to.have.length(3);
      expect(drawGas).to.be.lessThanOrEqual(10_000n);
      expect(sample3Gas).to.be.lessThanOrEqual(24_000n);
    });
  });
});
