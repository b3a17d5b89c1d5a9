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
