import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Libp2p } from "@libp2p/interface";
import { DekmeshError } from "../../../../node/protocol/errors.js";
import {
  decodeJson,
  encodeJson,
  P2pError,
  P2pRemoteError,
  type P2pNode,
  type RequestContext,
  validatorDialTarget,
} from "../../../../node/validator/p2p/index.js";
import { encodeFrame, encodeVarint } from "../../../../node/validator/p2p/framing.js";
import { address, Network, readAll, sleep, waitFor } from "./helpers.js";

const ECHO = "/dekmesh/echo/1.0.0";
const REFUSE = "/dekmesh/refuse/1.0.0";
const STALL = "/dekmesh/stall/1.0.0";
const SLOW = "/dekmesh/slow/1.0.0";
const CRASH = "/dekmesh/crash/1.0.0";
const BIG = "/dekmesh/big/1.0.0";
const ECHO_LIMIT = 1024;

const code = (expected: string) => (error: unknown) => {
  assert.ok(error instanceof P2pError, `not a P2pError: ${String(error)}`);
  assert.equal(error.code, expected);
  return true;
};

/** Decodes a response frame sent to a raw peer: `{ status, body }`. */
function parseAnswer(bytes: Uint8Array): { status: number; error?: { code: string } } {
  let length = 0;
  let offset = 0;
  for (let scale = 1; ; scale *= 128) {
    const byte = bytes[offset++]!;
    length += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) break;
  }
  assert.equal(bytes.byteLength, offset + length, "exactly one frame");
  const status = bytes[offset]!;
  const body = bytes.subarray(offset + 1);
  return status === 1 ? { status, error: JSON.parse(Buffer.from(body).toString()) } : { status };
}

describe("p2p request/response", () => {
  const network = new Network();
  let server: P2pNode;
  let client: P2pNode;
  let attacker: Libp2p;
  const stalled: RequestContext[] = [];
  let handled = 0;

  before(async () => {
    server = await network.node();
    client = await network.node({ bootstrap: [address(server)] });
    attacker = await network.rawPeer();
    await server.handle(
      ECHO,
      (request, context) => {
        handled++;
        return encodeJson({ echo: decodeJson(request), from: context.peer });
      },
      { maxRequestBytes: ECHO_LIMIT, timeoutMs: 30_000 },
    );
    await server.handle(REFUSE, () => {
      throw new DekmeshError("REPLICATE_NOT_IN_REPLICA_SET", "requester is not in the replica set", {
        details: { contentId: "0x01" },
      });
    });
    await server.handle(
      STALL,
      (_request, context) => {
        stalled.push(context);
        return new Promise<Uint8Array>(() => {});
      },
      { timeoutMs: 300 },
    );
    await server.handle(
      SLOW,
      async (request, context) => {
        await sleep(150);
        context.signal.throwIfAborted();
        return request;
      },
      { maxInboundStreams: 2 },
    );
    await server.handle(CRASH, () => {
      throw new Error("secret internal detail");
    });
    await server.handle(BIG, () => new Uint8Array(2_000), { maxResponseBytes: 1_000 });
    await waitFor(() => client.connectedPeers().includes(server.peerId));
  });
  after(() => network.stop());

  it("round trip: JSON with binary fields, requester id authenticated", async () => {
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    const answer = decodeJson(await client.request(server.peerId, ECHO, encodeJson({ bytes, n: 7 })));
    assert.deepEqual(answer, { echo: { bytes, n: 7 }, from: client.peerId });
    // Also by multiaddr, with and without the peer id.
    await client.request(address(server), ECHO, encodeJson(1));
    const bare = address(server).replace(/\/p2p\/.*$/, "");
    assert.deepEqual(decodeJson(await client.request(bare, ECHO, encodeJson(2))), { echo: 2, from: client.peerId });
  });

  it("validatorDialTarget reaches a validator never connected to, whether its registered address ends in /p2p/ or not", async () => {
    const bare = address(server).replace(/\/p2p\/[^/]+$/, "");
    for (const multiaddrs of [[bare], [address(server)]]) {
      const stranger = await network.node();
      const target = validatorDialTarget({ peerId: server.peerId, multiaddrs });
      assert.equal(target, address(server));
      const answer = decodeJson(await stranger.request(target, ECHO, encodeJson({ multiaddrs }))) as { echo: unknown };
      assert.deepEqual(answer.echo, { multiaddrs });
    }
    assert.equal(validatorDialTarget({ peerId: server.peerId, multiaddrs: [] }), server.peerId);
  });

  it("error: a handler's typed refusal reaches the requester with its code; the connection stays usable", async () => {
    await assert.rejects(client.request(server.peerId, REFUSE, new Uint8Array()), (error: unknown) => {
      assert.ok(error instanceof P2pRemoteError);
      assert.equal(error.code, "REPLICATE_NOT_IN_REPLICA_SET");
      assert.equal(error.message, "requester is not in the replica set");
      assert.equal(error.details.contentId, "0x01");
      assert.equal(error.details.remote, true);
      assert.equal(error.peer, server.peerId);
      assert.equal(error.protocol, REFUSE);
      return true;
    });
    const connections = client.connectedPeers();
    assert.ok(connections.includes(server.peerId));
    assert.deepEqual(decodeJson(await client.request(server.peerId, ECHO, encodeJson("still here"))), {
      echo: "still here",
      from: client.peerId,
    });
  });

  it("error: a handler's untyped failure is P2P_INTERNAL and leaks nothing", async () => {
    await assert.rejects(client.request(server.peerId, CRASH, new Uint8Array()), (error: unknown) => {
      assert.ok(error instanceof P2pRemoteError);
      assert.equal(error.code, "P2P_INTERNAL");
      assert.doesNotMatch(JSON.stringify(error.toJSON()), /secret/);
      return true;
    });
  });

  it("error: oversized request is refused by the responder before the handler runs", async () => {
    const before = handled;
    await assert.rejects(
      client.request(server.peerId, ECHO, encodeJson("x".repeat(ECHO_LIMIT))),
      code("P2P_MESSAGE_TOO_LARGE"),
    );
    assert.equal(handled, before);
  });

  it("error: oversized length prefix is refused before any body byte is sent", async () => {
    const before = handled;
    const stream = await attacker.dialProtocol(server.getMultiaddrs()[0]!, ECHO);
    // Claims a 1 GiB body and sends none of it, without closing: only the prefix can be judged.
    stream.send(encodeVarint(1024 ** 3));
    const answer = parseAnswer(await readAll(stream));
    assert.equal(answer.error?.code, "P2P_MESSAGE_TOO_LARGE");
    assert.equal(handled, before);
  });

  it("error: truncated request (stream closed mid-body, or mid-prefix)", async () => {
    for (const bytes of [Uint8Array.from([10, 1, 2, 3]), Uint8Array.from([0x81])]) {
      const stream = await attacker.dialProtocol(server.getMultiaddrs()[0]!, ECHO);
      stream.send(bytes);
      await stream.close();
      assert.equal(parseAnswer(await readAll(stream)).error?.code, "P2P_TRUNCATED");
    }
  });

  it("error: malformed requests (non-minimal varint, bad payload encoding)", async () => {
    const cases: Array<[Uint8Array, string]> = [
      [Uint8Array.from([0x80, 0x00]), "P2P_MALFORMED"],
      [Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), "P2P_MESSAGE_TOO_LARGE"],
      [encodeFrame(Uint8Array.from([0xff, 0xfe])), "P2P_MALFORMED"],
      [encodeFrame(Buffer.from('{"$bytes":"not base64!"}')), "P2P_MALFORMED"],
    ];
    for (const [bytes, expected] of cases) {
      const stream = await attacker.dialProtocol(server.getMultiaddrs()[0]!, ECHO);
      stream.send(bytes);
      await stream.close();
      assert.equal(parseAnswer(await readAll(stream)).error?.code, expected, `for ${Buffer.from(bytes).toString("hex")}`);
    }
    // None of this hurt the server.
    await client.request(server.peerId, ECHO, encodeJson("fine"));
  });

  it("error: a handler that never answers times out on both sides", async () => {
    const started = Date.now();
    await assert.rejects(
      client.request(server.peerId, STALL, new Uint8Array(), { signal: AbortSignal.timeout(100) }),
      code("P2P_TIMEOUT"),
    );
    assert.ok(Date.now() - started < 1_000);
    // Without a shorter deadline of its own the requester gets the responder's timeout answer.
    await assert.rejects(client.request(server.peerId, STALL, new Uint8Array()), (error: unknown) => {
      assert.ok(error instanceof P2pRemoteError);
      assert.equal(error.code, "P2P_TIMEOUT");
      assert.equal(error.retryable, true);
      return true;
    });
    assert.ok(stalled.every((context) => context.signal.aborted), "the handler was told to stop");
  });

  it("error: a slow requester times out at the responder", async () => {
    const stream = await attacker.dialProtocol(server.getMultiaddrs()[0]!, STALL);
    stream.send(Uint8Array.from([5, 1]));
    assert.equal(parseAnswer(await readAll(stream)).error?.code, "P2P_TIMEOUT");
  });

  it("error: an answer above the protocol's limit is refused by the responder and by the requester", async () => {
    await assert.rejects(client.request(server.peerId, BIG, new Uint8Array()), code("P2P_MESSAGE_TOO_LARGE"));
    await assert.rejects(
      client.request(server.peerId, ECHO, encodeJson("y".repeat(500)), { maxResponseBytes: 200 }),
      (error: unknown) => error instanceof P2pError && !(error instanceof P2pRemoteError) && error.code === "P2P_MESSAGE_TOO_LARGE",
    );
  });

  it("concurrent requests from several peers", async () => {
    const others = [
      client,
      await network.node({ bootstrap: [address(server)] }),
      await network.node({ bootstrap: [address(server)] }),
    ];
    const answers = await Promise.all(
      others.flatMap((peer) =>
        Array.from({ length: 20 }, async (_, index) => {
          const answer = decodeJson(await peer.request(server.peerId, ECHO, encodeJson(index))) as { echo: number; from: string };
          assert.deepEqual(answer, { echo: index, from: peer.peerId });
          return answer;
        }),
      ),
    );
    assert.equal(answers.length, 60);
  });

  it("error: concurrent inbound streams above the protocol's limit get P2P_BUSY", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => client.request(server.peerId, SLOW, Uint8Array.of(1))),
    );
    const fulfilled = results.filter((result) => result.status === "fulfilled").length;
    const busy = results.filter(
      (result) => result.status === "rejected" && result.reason instanceof P2pRemoteError && result.reason.code === "P2P_BUSY",
    ).length;
    assert.equal(fulfilled, 2);
    assert.equal(busy, 3);
    // The slots free up again.
    await client.request(server.peerId, SLOW, Uint8Array.of(2));
  });

  it("error: unknown protocol and invalid arguments", async () => {
    await assert.rejects(client.request(server.peerId, "/dekmesh/nope/1.0.0", new Uint8Array()), code("P2P_PROTOCOL_UNSUPPORTED"));
    await assert.rejects(client.request(server.peerId, "/ipfs/id/1.0.0", new Uint8Array()), code("P2P_INVALID_ARGUMENT"));
    await assert.rejects(client.request("not-a-peer", ECHO, new Uint8Array()), code("P2P_INVALID_ARGUMENT"));
    await assert.rejects(server.handle(ECHO, () => new Uint8Array()), code("P2P_INVALID_ARGUMENT"));
  });

  it("error: malformed or truncated answers from a broken responder", async () => {
    const answers: Record<string, Uint8Array> = {
      "/dekmesh/bad-status/1.0.0": encodeFrame(Uint8Array.of(7, 1, 2)),
      "/dekmesh/bad-error/1.0.0": encodeFrame(Uint8Array.of(1, 0x7b)),
      "/dekmesh/bad-code/1.0.0": encodeFrame(Buffer.concat([Uint8Array.of(1), Buffer.from('{"code":"lower case"}')])),
      "/dekmesh/cut/1.0.0": encodeFrame(Uint8Array.of(0, 1, 2, 3)).subarray(0, 3),
      "/dekmesh/empty/1.0.0": encodeFrame(new Uint8Array()),
    };
    for (const [protocol, bytes] of Object.entries(answers)) {
      await attacker.handle(protocol, async (stream) => {
        await readAll(stream);
        stream.send(bytes);
        await stream.close();
      });
    }
    const target = attacker.getMultiaddrs()[0]!;
    await assert.rejects(client.request(target, "/dekmesh/bad-status/1.0.0", new Uint8Array()), code("P2P_MALFORMED"));
    await assert.rejects(client.request(target, "/dekmesh/bad-error/1.0.0", new Uint8Array()), code("P2P_MALFORMED"));
    await assert.rejects(client.request(target, "/dekmesh/bad-code/1.0.0", new Uint8Array()), code("P2P_MALFORMED"));
    await assert.rejects(client.request(target, "/dekmesh/cut/1.0.0", new Uint8Array()), code("P2P_TRUNCATED"));
    await assert.rejects(client.request(target, "/dekmesh/empty/1.0.0", new Uint8Array()), code("P2P_MALFORMED"));
  });

  it("error: a peer whose allowance lapsed is refused per request, then disconnected", async () => {
    const gatekeeper = await network.node({ peerCacheTtlMs: 100, revalidateIntervalMs: 0 });
    await gatekeeper.handle(ECHO, (request) => request);
    const peer = await network.node();
    await peer.request(address(gatekeeper), ECHO, Uint8Array.of(0));
    await peer.request(gatekeeper.peerId, ECHO, Uint8Array.of(1));
    network.allow.revoke(peer.peerId);
    await sleep(150);
    await assert.rejects(peer.request(gatekeeper.peerId, ECHO, Uint8Array.of(2)), code("P2P_PEER_NOT_ALLOWED"));
    await waitFor(() => !gatekeeper.connectedPeers().includes(peer.peerId));
  });
});
