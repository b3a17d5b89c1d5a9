/**
 * DekKeeper.provide: an announcement that reached no DHT peer is tried again, with backoff, until
 * a peer takes the record — kad-dht alone would republish it only when it nears expiry, a day
 * later, and until then nobody finds the holder. Real libp2p nodes on loopback; the active set
 * the keeper joins the DHT through is a list the test grows, standing in for the indexer (the
 * provide path reads nothing else of the engine's components).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Hex } from "viem";
import type { Logger } from "../../../../node/protocol/logger.js";
import type { P2pNode } from "../../../../node/validator/p2p/index.js";
import type { DhtSeed } from "../../../../node/validator/p2p/options.js";
import { DekKeeper } from "../../../../node/validator/replication/keeper.js";
import { replicationContext, type ReplicationComponents } from "../../../../node/validator/replication/types.js";
import { address, Network, waitFor } from "../p2p/helpers.js";

const network = new Network();
after(() => network.stop());

const contentId = (byte: number): Hex => `0x${byte.toString(16).padStart(2, "0").repeat(32)}`;
const seedOf = (node: P2pNode): DhtSeed => ({ peerId: node.peerId, multiaddrs: [address(node).replace(/\/p2p\/[^/]+$/, "")] });

/** A keeper on `p2p` whose active set is `active` (read afresh each time); counts the reads and keeps its retry log lines. */
function keeperOn(p2p: P2pNode, active: DhtSeed[]) {
  const reads = { count: 0 };
  const retries: Record<string, unknown>[] = [];
  const record = (message: string, fields?: Record<string, unknown>) => {
    if (message.includes("trying again")) retries.push(fields ?? {});
  };
  const logger: Logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
  const components = {
    p2p,
    indexer: {
      activeValidators: async () => {
        reads.count++;
        return { block: { number: 1, timestamp: 0 }, validators: [...active] };
      },
    },
    account: { address: "0x00000000000000000000000000000000000000a1" },
    logger,
  } as unknown as ReplicationComponents;
  const ctx = replicationContext(components, {}, () => {});
  return { keeper: new DekKeeper(ctx), stats: ctx.stats, reads, retries };
}

test("a provide that reached no DHT peer is tried again until one takes the record", async () => {
  const hub = await network.node();
  const seeker = await network.node({ bootstrap: [address(hub)] });
  await waitFor(() => hub.dhtPeerCount() > 0 && seeker.dhtPeerCount() > 0);

  // The holder met only a validator that is gone now: its routing table names a dead peer, and
  // the active set it could join through is empty (nobody else registered yet).
  const ghost = await network.node();
  const holder = await network.node({ bootstrap: [address(ghost)] });
  await waitFor(() => holder.dhtPeerCount() > 0);
  await ghost.stop();
  await waitFor(() => holder.connectedPeers().length === 0);
  const active: DhtSeed[] = [];
  const { keeper, stats, reads, retries } = keeperOn(holder, active);

  const content = contentId(1);
  keeper.provide(content);
  assert.equal(keeper.isProvided(content), true);
  await waitFor(() => retries.length >= 1);
  assert.deepEqual({ ...retries[0], retryInMs: undefined }, { contentId: content, error: "NO_PEER_REACHED", failures: 1, retryInMs: undefined });
  assert.equal(stats.provided, 0, "no peer took the record");

  // A validator joins the active set: the next try reaches it.
  active.push(seedOf(hub));
  await waitFor(() => stats.provided === 1, 10_000);
  assert.ok(reads.count >= 2, `the retry read the active set again (${reads.count} reads)`);
  assert.deepEqual((await seeker.findProviders(content)).map((provider) => provider.peerId), [holder.peerId]);
  // Announced once: storing it again (or the planner asking) does not start another round.
  keeper.provide(content);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(stats.provided, 1);
});

test("a node that met nobody yet and has no one to join through is tried again, without waiting out the deadline", async () => {
  const hub = await network.node();
  const holder = await network.node();
  const active: DhtSeed[] = [];
  const { keeper, stats, retries } = keeperOn(holder, active);
  const started = Date.now();
  keeper.provide(contentId(2));
  await waitFor(() => retries.length >= 1);
  assert.ok(Date.now() - started < 5_000, "the 15 s query deadline was not waited out");
  assert.equal(retries[0]!.error, "NO_PEER_REACHED");
  assert.equal(stats.provided, 0);
  active.push(seedOf(hub));
  await waitFor(() => stats.provided === 1, 10_000);
  assert.equal(holder.dhtPeerCount() > 0, true);
});

test("a stopped p2p node ends the retries", async () => {
  const holder = await network.node();
  const { keeper, stats, retries } = keeperOn(holder, []);
  keeper.provide(contentId(3));
  await waitFor(() => retries.length >= 1);
  await holder.stop();
  // The retry due within 0.5–1 s finds the node stopped, and schedules none.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(stats.provided, 0);
  assert.deepEqual(retries.map((fields) => fields.error), ["NO_PEER_REACHED"]);
});
