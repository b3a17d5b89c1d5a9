/**
 * A validator's HTTP API over real pieces for the HTTP tests: the rewrap test network
 * (chain + contracts + Ponder indexer, test/node/validator/rewrap/helpers.ts) and its validator (real
 * store, real indexer client, real rewrap service), a real pin store in a temp dir, a real
 * metrics registry, and the server on a loopback port. Plus raw-socket clients for what fetch
 * will not do (trickled headers, lying Content-Length, chunked floods).
 */
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { keccak256, toHex, type HDAccount, type Hex } from "viem";
import {
  createValidatorHttpServer,
  type ReadinessCheck,
  type ValidatorHttpComponents,
  type ValidatorHttpOptions,
  type ValidatorHttpServer,
  type ValidatorInfo,
} from "../../../../node/validator/http/index.js";
import { createPinStore, type PinStore } from "../../../../node/ipfs/index.js";
import { createMetricsRegistry, type MetricsRegistry } from "../../../../node/validator/metrics/index.js";
import type { RewrapServiceOptions } from "../../../../node/validator/rewrap/index.js";
import { startValidator, tempDir, type TestNet, type TestValidator } from "../rewrap/helpers.js";
import type { Logger } from "../../../../node/protocol/logger.js";

export interface HttpValidator {
  validator: TestValidator;
  pins: PinStore;
  /** The pin store's directory (staging/ holds in-flight uploads). */
  pinsDir: string;
  metrics: MetricsRegistry;
  server: ValidatorHttpServer;
  url: string;
  info: ValidatorInfo;
  /** What GET /ready reports; tests flip checks. */
  checks: Record<string, ReadinessCheck>;
  /** Every log line the server wrote (JSON), to check nothing secret is logged. */
  logs: string[];
  /** Another server over the same validator (e.g. with a spying rewrap component). */
  extraServer(overrides: Partial<ValidatorHttpComponents>, options?: ValidatorHttpOptions): Promise<ValidatorHttpServer>;
  stop(): Promise<void>;
}

export async function startHttpValidator(
  net: TestNet,
  account: HDAccount,
  operator: HDAccount,
  options: { http?: ValidatorHttpOptions; service?: RewrapServiceOptions } = {},
): Promise<HttpValidator> {
  const validator = await startValidator(net, account, operator, { service: options.service });
  const pinsDir = join(tempDir("dekmesh-http-"), "pins");
  const pins = await createPinStore({ dir: pinsDir });
  const metrics = createMetricsRegistry();
  const logs: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void logs.push(JSON.stringify({ level, message, ...fields }));
  // Raw lines, without the JSON logger's redaction: the test must see anything a part logs.
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error"), child: () => logger };
  const checks: Record<string, ReadinessCheck> = { store: { ok: true }, indexer: { ok: true } };
  const info: ValidatorInfo = {
    address: account.address.toLowerCase(),
    peerId: "12D3KooWtest",
    multiaddrs: [],
    kid: "0x0102030405060708",
    kasPublicKey: `0x02${"11".repeat(32)}`,
    endpoint: "http://127.0.0.1",
    chainId: Number(net.domain.chainId),
    version: "0.1.0",
  };
  const components: ValidatorHttpComponents = {
    rewrap: validator.service,
    store: validator.store,
    pins,
    indexer: validator.indexer,
    info: () => info,
    readiness: async () => ({ ready: true, checks: structuredClone(checks) }),
    metrics,
    logger,
  };
  const servers: ValidatorHttpServer[] = [];
  async function serve(overrides: Partial<ValidatorHttpComponents>, httpOptions: ValidatorHttpOptions | undefined) {
    const server = createValidatorHttpServer({ ...components, ...overrides }, httpOptions);
    servers.push(server);
    await server.start();
    return server;
  }
  try {
    const server = await serve({}, options.http);
    return {
      validator,
      pins,
      pinsDir,
      metrics,
      server,
      url: server.url,
      info,
      checks,
      logs,
      extraServer: (overrides, httpOptions) => serve(overrides, httpOptions ?? options.http),
      async stop() {
        for (const s of servers) await s.stop();
        await pins.close();
        await validator.stop();
      },
    };
  } catch (error) {
    for (const s of servers) await s.stop();
    await pins.close();
    await validator.stop();
    throw error;
  }
}

/** Registers `cid` (a real content CID) on chain under `policyId`; returns its content id. */
export async function registerCid(net: TestNet, publisher: HDAccount, policyId: bigint, initialValidator: Hex, cid: string): Promise<Hex> {
  const bytes = CID.parse(cid).bytes;
  await net.send(publisher, "ContentRegistry", "register", [toHex(bytes), policyId, initialValidator, toHex(new Uint8Array(96).fill(7)), "0x"]);
  return keccak256(bytes);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection after answering. */
  closed: boolean;
  /** The whole answer's size on the wire: status line, headers and body. */
  bytes: number;
}

/** A raw TCP client: what it writes is exactly what the server sees. */
export class RawClient {
  readonly socket: Socket;
  #data = Buffer.alloc(0);
  #closed = false;
  readonly #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk) => {
      this.#data = Buffer.concat([this.#data, chunk]);
      this.#notify();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#notify();
    });
    socket.on("error", () => {});
  }

  static async open(url: string): Promise<RawClient> {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RawClient(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes, ignoring a server that has already closed (it may refuse mid-body). */
  write(text: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed || !this.socket.writable) return resolve();
      this.socket.write(text, () => resolve());
    });
  }

  /** Waits for one complete response (Content-Length framed) or the close, within `timeoutMs`. */
  async response(timeoutMs = 5_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#parse();
      if (parsed !== undefined) {
        // Give a closing server a moment to close, so `closed` is meaningful.
        if (parsed.headers.connection === "close") await this.waitClosed(1_000);
        return { ...parsed, closed: this.#closed };
      }
      if (this.#closed) throw new Error(`connection closed without a full response: ${JSON.stringify(this.#data.toString("latin1").slice(0, 200))}`);
      if (Date.now() > deadline) throw new Error("no response in time");
      await this.#wait(deadline - Date.now());
    }
  }

  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed && Date.now() < deadline) await this.#wait(deadline - Date.now());
    return this.#closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #parse(): Omit<RawResponse, "closed"> | undefined {
    const text = this.#data.toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    if (end === -1) return undefined;
    const [statusLine, ...headerLines] = text.slice(0, end).split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? 0);
    if (this.#data.length < end + 4 + length) return undefined;
    const body = this.#data.subarray(end + 4, end + 4 + length).toString("utf8");
    this.#data = this.#data.subarray(end + 4 + length);
    return { status: Number(statusLine!.split(" ")[1]), headers, body, bytes: end + 4 + length };
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** A request head (HTTP/1.1, Host set) for the raw client. */
export function head(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, "host: 127.0.0.1", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** One HTTP/1.1 chunk of chunked transfer coding. */
export function chunk(data: string | Uint8Array): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
