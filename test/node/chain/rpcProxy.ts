/**
 * A loopback JSON-RPC proxy that fails on command, for the RPC-failure tests:
 *   pass        forward everything
 *   down        reset every connection before forwarding (endpoint gone)
 *   hang        accept requests and never answer (endpoint stuck; clients time out)
 *   lose-sends  forward eth_sendRawTransaction but reset the connection instead of answering
 *               (the transaction is mined, the sender never hears so); everything else passes
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type ProxyMode = "pass" | "down" | "hang" | "lose-sends";

export class RpcProxy {
  mode: ProxyMode = "pass";
  /** Requests seen per JSON-RPC method, and how many were sabotaged. */
  readonly seen = new Map<string, number>();
  /** The call data of every eth_estimateGas seen. */
  readonly estimated: string[] = [];
  sabotaged = 0;
  readonly #server: http.Server;
  readonly #target: string;
  readonly #sockets = new Set<Socket>();

  private constructor(server: http.Server, target: string) {
    this.#server = server;
    this.#target = target;
  }

  static async start(target: string): Promise<RpcProxy> {
    let proxy: RpcProxy | undefined;
    const server = http.createServer((req, res) => void proxy!.handle(req, res));
    proxy = new RpcProxy(server, target);
    server.on("connection", (socket) => {
      proxy!.#sockets.add(socket);
      socket.on("close", () => proxy!.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Switches mode and drops open connections, so kept-alive sockets see the change at once. */
  setMode(mode: ProxyMode): void {
    this.mode = mode;
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const calls = callsOf(body);
    const methods = calls.map((call) => String(call.method));
    for (const method of methods) this.seen.set(method, (this.seen.get(method) ?? 0) + 1);
    for (const call of calls) if (call.method === "eth_estimateGas") this.estimated.push(String(call.params?.[0]?.data ?? call.params?.[0]?.input));
    const mode = this.mode;
    if (mode === "down") {
      this.sabotaged += 1;
      req.socket.destroy();
      return;
    }
    if (mode === "hang") {
      this.sabotaged += 1;
      return; // the client times out; setMode() or close() destroys the socket
    }
    let answer: Response;
    try {
      answer = await fetch(this.#target, { method: "POST", headers: { "content-type": "application/json" }, body });
    } catch {
      req.socket.destroy();
      return;
    }
    const text = await answer.text();
    if (mode === "lose-sends" && methods.includes("eth_sendRawTransaction")) {
      this.sabotaged += 1;
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { "content-type": "application/json" }).end(text);
  }
}

interface JsonRpcCall {
  method?: string;
  params?: { data?: string; input?: string }[];
}

function callsOf(body: string): JsonRpcCall[] {
  try {
    const parsed = JSON.parse(body) as JsonRpcCall | JsonRpcCall[];
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    return [];
  }
}
