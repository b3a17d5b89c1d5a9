/**
 * A node with no DHT peer connected joins the DHT through the seeds a query is given (the daemon
 * passes the active validators): without them kad-dht waits for a routing-table peer until the
 * deadline, and a validator that met nobody yet could neither announce nor find a provider.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { P2pError, type P2pNode } from "../../../../node/validator/p2p/index.js";
import { address, AllowList, Network, waitFor } from "./helpers.js";

const contentId = (byte: number): string => `0x${byte.toString(16).padStart(2, "0").repeat(32)}`;
const seedOf = (node: P2pNode) => ({ peerId: node.peerId, multiaddrs: [address(node).replace(/\/p2p\/[^/]+$/, "")] });

describe("p2p DHT seeds", () => {
  const network = new Network();
  let hub: P2pNode;
  let member: P2pNode;

  before(async () => {
    hub = await network.node();
    member = await network.node({ bootstrap: [address(hub)] });
    await waitFor(() => hub.dhtPeerCount() > 0 && member.dhtPeerCount() > 0);
  });
  after(() => network.stop());

  it("a node that met nobody provides through its seeds, and another finds it through its own", async () => {
    const holder = await network.node({ dhtQueryTimeoutMs: 5_000 });
    const seeker = await network.node({ dhtQueryTimeoutMs: 5_000 });
    assert.equal(holder.dhtPeerCount(), 0);
    const content = contentId(1);
    assert.ok((await holder.provide(content, { seeds: async () => [seedOf(holder), seedOf(hub), seedOf(member)] })) >= 1);
    const providers = await seeker.findProviders(content, { seeds: async () => [seedOf(member)] });
    assert.deepEqual(providers.map((provider) => provider.peerId), [holder.peerId]);
  });

  it("seeds are read only while no DHT peer is connected", async () => {
    let reads = 0;
    const seeds = async () => {
      reads++;
      return [seedOf(hub)];
    };
    await member.provide(contentId(2), { seeds });
    await member.findProviders(contentId(2), { seeds });
    assert.equal(reads, 0);
  });

  it("a seed the gate refuses is not dialed; joined to nobody, provide reaches 0 peers at once", async () => {
    const strict = new AllowList();
    const loner = await network.node({}, strict);
    strict.allow(loner.peerId);
    const started = Date.now();
    assert.equal(await loner.provide(contentId(3), { seeds: async () => [seedOf(hub)] }), 0);
    assert.ok(Date.now() - started < 5_000, "the 15 s query deadline was not waited out");
    assert.ok(strict.asked.includes(hub.peerId), "the gate was asked about the seed");
    assert.deepEqual(loner.connectedPeers(), []);
    // A seed list that cannot be read is the same as none.
    await assert.rejects(
      loner.findProviders(contentId(4), { signal: AbortSignal.timeout(500), seeds: () => Promise.reject(new Error("indexer down")) }),
      (error: P2pError) => error.code === "P2P_TIMEOUT",
    );
  });
});
