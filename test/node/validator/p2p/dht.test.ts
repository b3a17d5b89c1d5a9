import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { contentIdToCid, P2pError, type P2pNode } from "../../../../node/validator/p2p/index.js";
import { address, Network, waitFor } from "./helpers.js";

const contentId = (byte: number): string => `0x${byte.toString(16).padStart(2, "0").repeat(32)}`;

describe("p2p DHT provider records", () => {
  const network = new Network();
  let hub: P2pNode;
  let holder: P2pNode;
  let otherHolder: P2pNode;
  let seeker: P2pNode;

  before(async () => {
    hub = await network.node();
    [holder, otherHolder, seeker] = await Promise.all([
      network.node({ bootstrap: [address(hub)] }),
      network.node({ bootstrap: [address(hub)] }),
      network.node({ bootstrap: [address(hub)] }),
    ]);
    await waitFor(() => network.nodes.every((node) => node.dhtPeerCount() > 0));
  });
  after(() => network.stop());

  it("keys a content id as a raw CIDv1 over SHA-256 of its 32 bytes", () => {
    const cid = contentIdToCid(contentId(0xab));
    assert.equal(cid.version, 1);
    assert.equal(cid.code, 0x55);
    assert.equal(cid.multihash.code, 0x12);
    assert.equal(cid.toString(), contentIdToCid(contentId(0xab).toUpperCase().replace("0X", "0x")).toString());
    for (const bad of ["0xab", "ab".repeat(32), `0x${"zz".repeat(32)}`, `0x${"ab".repeat(33)}`]) {
      assert.throws(() => contentIdToCid(bad), (error: P2pError) => error.code === "P2P_INVALID_ARGUMENT");
    }
  });

  it("a third peer finds the validator that provided a content, and can reach it", async () => {
    const content = contentId(1);
    assert.ok((await holder.provide(content)) >= 1, "at least one DHT peer stored the record");
    const providers = await seeker.findProviders(content);
    assert.deepEqual(providers.map((provider) => provider.peerId), [holder.peerId]);
    assert.ok(providers[0]!.multiaddrs.some((multiaddr) => multiaddr.toString().startsWith("/ip4/127.0.0.1/tcp/")));
    assert.ok((await seeker.ping(holder.peerId)) >= 0);
  });

  it("finds every provider, up to the limit; the provider itself is included", async () => {
    const content = contentId(2);
    await Promise.all([holder.provide(content), otherHolder.provide(content)]);
    const all = await seeker.findProviders(content);
    assert.deepEqual(all.map((provider) => provider.peerId).sort(), [holder.peerId, otherHolder.peerId].sort());
    assert.equal((await seeker.findProviders(content, { limit: 1 })).length, 1);
    assert.ok((await holder.findProviders(content)).some((provider) => provider.peerId === holder.peerId));
  });

  it("leaves out providers that left the active set", async () => {
    const content = contentId(3);
    await Promise.all([holder.provide(content), otherHolder.provide(content)]);
    network.allow.revoke(otherHolder.peerId);
    await seeker.revalidate();
    assert.deepEqual((await seeker.findProviders(content)).map((provider) => provider.peerId), [holder.peerId]);
    network.allow.allow(otherHolder.peerId);
  });

  it("a content nobody provides has no providers", async () => {
    const started = Date.now();
    assert.deepEqual(await seeker.findProviders(contentId(4)), []);
    assert.ok(Date.now() - started < 5_000);
  });

  it("runs at most dhtProvideConcurrency provides at once; the others wait their turn, cancellable", async () => {
    const busy = await network.node({ bootstrap: [address(hub)], dhtProvideConcurrency: 1 });
    await waitFor(() => busy.dhtPeerCount() > 0);
    const queued = [7, 8, 9].map((byte) => busy.provide(contentId(byte)));
    assert.equal(busy.providesWaiting, 2);
    for (const accepted of await Promise.all(queued)) assert.ok(accepted >= 1);
    assert.equal(busy.providesWaiting, 0);
    for (const byte of [7, 8, 9]) {
      assert.ok((await seeker.findProviders(contentId(byte))).some((provider) => provider.peerId === busy.peerId));
    }

    const cancel = new AbortController();
    const running = busy.provide(contentId(10));
    const waiting = busy.provide(contentId(11), { signal: cancel.signal });
    cancel.abort();
    await assert.rejects(waiting, (error: P2pError) => error.code === "P2P_ABORTED");
    assert.equal(busy.providesWaiting, 0);
    assert.ok((await running) >= 1);

    // stop() ends the wait too.
    const outcomes = Promise.allSettled([busy.provide(contentId(12)), busy.provide(contentId(13))]);
    await busy.stop();
    const [, second] = await outcomes;
    assert.equal(second.status, "rejected");
    assert.equal(((second as PromiseRejectedResult).reason as P2pError).code, "P2P_ABORTED");
  });

  it("error: a node without DHT peers cannot publish; invalid content ids are refused", async () => {
    const loner = await network.node();
    await assert.rejects(
      loner.provide(contentId(5), { signal: AbortSignal.timeout(200) }),
      (error: P2pError) => error.code === "P2P_TIMEOUT",
    );
    await assert.rejects(seeker.findProviders("0x1234"), (error: P2pError) => error.code === "P2P_INVALID_ARGUMENT");
    await assert.rejects(seeker.findProviders(contentId(6), { limit: 0 }), (error: P2pError) => error.code === "P2P_INVALID_ARGUMENT");
  });
});
