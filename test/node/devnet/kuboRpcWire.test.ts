/**
 * The shared Kubo RPC wire helpers over a real HTTP server on loopback: a cat streamed to a slow
 * reader arrives whole and leaves no listener behind on the response, however often it waited
 * for the socket to drain.
 */
import assert from "node:assert/strict";
import { createServer, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { test } from "node:test";
import { catAnswer } from "../../../node/devnet/kuboRpcWire.js";

test("catAnswer: a slow reader gets every byte; backpressure waits leave no listeners behind", async () => {
  const CHUNKS = 64;
  const chunk = (i: number) => new Uint8Array(256 * 1024).fill(i);
  async function* source() {
    for (let i = 0; i < CHUNKS; i++) yield chunk(i);
  }
  let left: { drain: number; close: number } | undefined;
  const server = createServer((_req, res: ServerResponse) => {
    const before = { drain: res.listenerCount("drain"), close: res.listenerCount("close") };
    void catAnswer(res, source()).then(() => {
      left = { drain: res.listenerCount("drain") - before.drain, close: res.listenerCount("close") - before.close };
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const received = await new Promise<Buffer>((resolve, reject) => {
      request({ host: "127.0.0.1", port, method: "POST", path: "/api/v0/cat" }, async (res) => {
        const parts: Buffer[] = [];
        try {
          // Read slowly so the server's writes hit backpressure many times.
          for await (const part of res) {
            parts.push(part as Buffer);
            await delay(1);
          }
          resolve(Buffer.concat(parts));
        } catch (error) {
          reject(error);
        }
      })
        .on("error", reject)
        .end();
    });
    assert.equal(received.length, CHUNKS * 256 * 1024);
    for (let i = 0; i < CHUNKS; i++) assert.equal(received[i * 256 * 1024], i);
    for (let t = 0; left === undefined && t < 100; t++) await delay(10);
    assert.deepEqual(left, { drain: 0, close: 0 });
  } finally {
    server.close();
  }
});
