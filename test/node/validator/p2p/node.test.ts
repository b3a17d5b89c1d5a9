import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createP2pNode, P2pError } from "../../../../node/validator/p2p/index.js";
import { address, AllowList, Network, sleep, waitFor } from "./helpers.js";

describe("p2p node", () => {
  const network = new Network();
  after(() => network.stop());

  it("connects over loopback and pings", async () => {
    const a = await network.node();
    const b = await network.node();
    assert.match(address(a), /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/16Uiu2HA[km]/);
    assert.equal(await b.dial(address(a)), a.peerId);
    const rtt = await b.ping(a.peerId);
    assert.ok(rtt >= 0 && rtt < 1_000, `rtt ${rtt}`);
    assert.deepEqual(a.connectedPeers(), [b.peerId]);
  });

  it("dials the bootstrap peers at start", async () => {
    const a = await network.node();
    const b = await network.node({ bootstrap: [address(a)] });
    await waitFor(() => b.connectedPeers().includes(a.peerId));
  });

  it("error: new connections from one host above the per-second limit are refused before any handshake", async () => {
    const limited = await network.node({ inboundConnectionsPerHostPerSecond: 2 });
    const dialers = await Promise.all(Array.from({ length: 4 }, () => network.node()));
    const results = await Promise.allSettled(dialers.map((dialer) => dialer.dial(address(limited))));
    const refused = results.filter((result) => result.status === "rejected");
    // Two fit the window; on a loaded machine the four dials might straddle two windows.
    assert.ok(refused.length >= 1 && refused.length <= 2, `${refused.length} refused`);
    for (const result of refused) assert.equal((result.reason as P2pError).code, "P2P_DIAL_FAILED");
    // The window is one second: afterwards the same host may connect again.
    const late = dialers[results.findIndex((result) => result.status === "rejected")]!;
    await sleep(1_100);
    assert.equal(await late.dial(address(limited)), limited.peerId);
  });

  it("error: gate refuses a peer that is not allowed, inbound and outbound", async () => {
    const a = await network.node();
    const strangerAllow = new AllowList();
    const stranger = await network.node({}, strangerAllow);
    network.allow.revoke(stranger.peerId);
    strangerAllow.allow(a.peerId);

    // stranger → a: stranger's gate lets it dial, a's gate refuses it right after the Noise
    // handshake. (Noise negotiates the muxer inside the handshake, so the stranger's own dial may
    // report success for the instant before a closes the socket.)
    await stranger.dial(address(a)).catch(() => undefined);
    await waitFor(() => network.allow.asked.includes(stranger.peerId));
    await waitFor(() => stranger.connectedPeers().length === 0);
    // a → stranger: a's gate refuses before dialing, by peer id or by address.
    await assert.rejects(a.dial(stranger.peerId), (error: P2pError) => error.code === "P2P_PEER_NOT_ALLOWED");
    await assert.rejects(a.dial(address(stranger)), (error: P2pError) => error.code === "P2P_PEER_NOT_ALLOWED");
    // An address without /p2p/ is checked once Noise has authenticated the remote.
    const bare = address(stranger).replace(/\/p2p\/.*$/, "");
    await assert.rejects(a.dial(bare), (error: P2pError) => error.code === "P2P_PEER_NOT_ALLOWED");
    assert.deepEqual(a.connectedPeers(), []);
    assert.deepEqual(stranger.connectedPeers(), []);
  });

  it("revalidate() drops the connections of a peer that left the active set", async () => {
    // A long TTL and no timer: only revalidate() can notice the change.
    const options = { peerCacheTtlMs: 60_000, revalidateIntervalMs: 0 };
    const a = await network.node(options);
    const b = await network.node(options);
    const c = await network.node(options);
    await b.dial(address(a));
    await c.dial(address(a));
    await waitFor(() => a.connectedPeers().length === 2);
    network.allow.revoke(b.peerId);
    assert.deepEqual(await a.revalidate(), [b.peerId]);
    await waitFor(() => !a.connectedPeers().includes(b.peerId));
    assert.deepEqual(a.connectedPeers(), [c.peerId]);
    await assert.rejects(a.dial(b.peerId), (error: P2pError) => error.code === "P2P_PEER_NOT_ALLOWED");
  });

  it("drops a peer that left the active set within the cache TTL, without being told", async () => {
    const a = await network.node({ peerCacheTtlMs: 300 });
    const b = await network.node();
    await b.dial(address(a));
    await waitFor(() => a.connectedPeers().length === 1);
    network.allow.revoke(b.peerId);
    const revokedAt = Date.now();
    await waitFor(() => !a.connectedPeers().includes(b.peerId), 2_000);
    // Checked every TTL/2, so the drop comes within one TTL (plus scheduling slack).
    assert.ok(Date.now() - revokedAt <= 300 + 200, `dropped after ${Date.now() - revokedAt} ms`);
  });

  it("keeps open connections when the allow predicate fails, and refuses new ones", async () => {
    let failing = false;
    const flaky = new AllowList();
    const isAllowedPeer = async (peer: string): Promise<boolean> => {
      if (failing) throw new Error("indexer unreachable");
      return flaky.isAllowedPeer(peer);
    };
    const a = await createP2pNode({ privateKey: await generateKeyPair("secp256k1"), isAllowedPeer }, { peerCacheTtlMs: 60_000 });
    network.nodes.push(a);
    await a.start();
    network.allow.allow(a.peerId);
    const b = await network.node();
    const c = await network.node();
    flaky.allow(b.peerId, c.peerId);
    await b.dial(a.getMultiaddrs()[0]!);
    await waitFor(() => a.connectedPeers().length === 1);
    failing = true;
    assert.deepEqual(await a.revalidate(), []);
    assert.deepEqual(a.connectedPeers(), [b.peerId]);
    await c.dial(a.getMultiaddrs()[0]!).catch(() => undefined);
    await waitFor(() => c.connectedPeers().length === 0);
    assert.deepEqual(a.connectedPeers(), [b.peerId]);
  });

  it("error: refuses options and keys that can never work", async () => {
    const privateKey = await generateKeyPair("secp256k1");
    const isAllowedPeer = async (): Promise<boolean> => true;
    const invalid = (error: P2pError): boolean => error.code === "P2P_INVALID_ARGUMENT";
    // An Ed25519 identity connects fine, but its peer id could never be registered.
    await assert.rejects(createP2pNode({ privateKey: await generateKeyPair("Ed25519"), isAllowedPeer }), invalid);
    await assert.rejects(createP2pNode({ privateKey, isAllowedPeer }, { listen: ["not an address"] }), invalid);
    await assert.rejects(createP2pNode({ privateKey, isAllowedPeer }, { bootstrap: ["/ip4/127.0.0.1/tcp/1"] }), invalid);
    await assert.rejects(createP2pNode({ privateKey, isAllowedPeer }, { peerCacheTtlMs: 0 }), invalid);
  });

  it("stops cleanly: connections closed, calls refused afterwards", async () => {
    const a = await network.node();
    const b = await network.node();
    await b.dial(address(a));
    await b.stop();
    assert.equal(b.isStarted, false);
    await waitFor(() => !a.connectedPeers().includes(b.peerId));
    await assert.rejects(b.ping(a.peerId), (error: P2pError) => error.code === "P2P_NOT_STARTED");
    await assert.rejects(b.start(), (error: P2pError) => error.code === "P2P_NOT_STARTED");
  });

  it("leaves no sockets or listeners behind once every node stopped", async () => {
    await network.stop();
    // Node closes a listening socket on the next turns of the event loop.
    await waitFor(() => !process.getActiveResourcesInfo().some((resource) => resource.startsWith("TCP")), 2_000);
  });
});
