/** Ports for processes that restart on the same port: below the kernel's ephemeral range. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { describe, it } from "node:test";
import { LOOPBACK, stablePort } from "../../../node/devnet/index.js";

describe("stablePort", () => {
  it("is free, at least 10000 and below the ephemeral range", async () => {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    for (let i = 0; i < 20; i++) {
      const port = await stablePort();
      assert.ok(port >= 10_000 && port < low, `${port} (ephemeral range starts at ${low})`);
      await new Promise<void>((resolve, reject) => {
        const server = net.createServer().once("error", reject);
        server.listen(port, LOOPBACK, () => server.close(() => resolve()));
      });
    }
  });
});
