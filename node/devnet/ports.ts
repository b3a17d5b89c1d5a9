import { readFileSync } from "node:fs";
import net from "node:net";

/** The only interface devnet servers bind to (machines here may serve loopback only). */
export const LOOPBACK = "127.0.0.1";

/**
 * A TCP port that was free on loopback a moment ago. The OS picks it, so parallel runs do not
 * collide on fixed ports; a process that then loses the race fails to start and the caller
 * retries with a fresh port.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the bound port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

const EPHEMERAL_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range";
const STABLE_PORT_FLOOR = 10_000;

/**
 * A free loopback port *below* the kernel's ephemeral range, for a process that is restarted
 * on the same port. A port from `freePort()` is in the ephemeral range, so between a kill and
 * the restart an outgoing connection of another process may take it as its source port; a
 * crash test saw exactly that in CI (EADDRINUSE on restart). Ports below the range are never
 * handed out that way.
 */
export async function stablePort(): Promise<number> {
  let below = 32_768;
  try {
    const [low] = readFileSync(EPHEMERAL_RANGE_FILE, "utf8").trim().split(/\s+/).map(Number);
    if (Number.isSafeInteger(low) && low! > STABLE_PORT_FLOOR + 1_000) below = low!;
  } catch {
    // Not Linux: the IANA dynamic range starts at 49152, and Linux's default at 32768.
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = STABLE_PORT_FLOOR + Math.floor(Math.random() * (below - STABLE_PORT_FLOOR));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${STABLE_PORT_FLOOR} and ${below}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}
