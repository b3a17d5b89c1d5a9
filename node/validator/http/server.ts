/**
 * The validator's HTTP API for clients (docs/http.md) on node:http, no framework. Why
 * (measured, scripts/bench/replacements.ts): ×2.2 the requests/s of Hono on @hono/node-server
 * doing the same route work, body limit and metrics (stubbed POST /v1/session, 32 connections:
 * 26,900/s against 11,500/s; bare node:http with no limits or metrics 32,200/s).
 *
 * Limits, in the order a request meets them: `maxConnections` open sockets, `maxConnectionsPerIp`
 * of them from one address; request line and headers within `headersTimeoutMs` (Node's parser;
 * refused here with a JSON 408) and 16 KiB; `maxRequestsPerConnection` on one keep-alive
 * connection; the route and method; the content type; the declared body length (refused before
 * reading); the streamed body length and the body's clocks (`requestTimeoutMs` for a whole JSON
 * body; for an upload the same as an idle limit between chunks, plus a minimum average rate after
 * `uploadGraceMs` and `uploadTimeoutMs` in all). Node's own whole-request timeout is off because
 * an upload of a gigabyte may rightly take minutes; the upload's own clocks stop a trickling client.
 *
 * A client that disconnects aborts the AbortSignal its request runs under, which the rewrap
 * service, the indexer reads and the pin store honour. Logs carry routes, statuses and refusal
 * codes — never bodies, keys, signatures or envelopes.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { RewrapError } from "../../protocol/rewrap/index.js";
import { encodeHttpError, HttpError, type HttpErrorCode } from "./errors.js";
import { Exchange } from "./exchange.js";
import { registerHttpMetrics, type HttpMetrics } from "./metrics.js";
import {
  resolveHttpOptions,
  type ResolvedHttpOptions,
  type ValidatorHttpComponents,
  type ValidatorHttpOptions,
} from "./options.js";
import { Router } from "./router.js";
import { auditRoutes } from "./routes/audit.js";
import { contentRoutes } from "./routes/content.js";
import { recoverRoutes } from "./routes/recover.js";
import { rewrapRoutes } from "./routes/rewrap.js";
import { statusRoutes } from "./routes/status.js";

export interface ValidatorHttpServer {
  start(): Promise<void>;
  /** `http://host:port` once started. */
  readonly url: string;
  stop(): Promise<void>;
}

export function createValidatorHttpServer(components: ValidatorHttpComponents, options: ValidatorHttpOptions = {}): ValidatorHttpServer {
  return new HttpServer(components, options);
}

/** Node parser errors that mean the peer went away rather than sent something wrong. */
const GONE = new Set(["ECONNRESET", "EPIPE", "ERR_STREAM_PREMATURE_CLOSE"]);

function clientErrorCode(error: NodeJS.ErrnoException): HttpErrorCode {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return "HTTP_TIMEOUT";
  if (error.code === "HPE_HEADER_OVERFLOW") return "HTTP_HEADERS_TOO_LARGE";
  if (error.code !== undefined && GONE.has(error.code)) return "HTTP_CLIENT_GONE";
  return "HTTP_MALFORMED";
}

function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const cause = error.cause instanceof Error ? { name: error.cause.name, code: (error.cause as { code?: unknown }).code, message: error.cause.message } : undefined;
  return { name: error.name, code: (error as { code?: unknown }).code, message: error.message, ...(cause ? { cause } : {}) };
}

class HttpServer implements ValidatorHttpServer {
  readonly options: ResolvedHttpOptions;
  readonly #components: ValidatorHttpComponents;
  readonly #metrics: HttpMetrics;
  readonly #router: Router;
  readonly #server: Server;
  /** The response a socket is answering now (a client error then must not write over it). */
  readonly #current = new WeakMap<Duplex, ServerResponse>();
  /** Open connections by remote address (maxConnectionsPerIp). */
  readonly #perIp = new Map<string, number>();
  readonly #keepAliveHint: string;
  #url = "";
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #state: "new" | "started" | "stopped" = "new";

  constructor(components: ValidatorHttpComponents, options: ValidatorHttpOptions) {
    this.options = resolveHttpOptions(options);
    this.#components = components;
    this.#metrics = registerHttpMetrics(components.metrics);
    const rewrap = rewrapRoutes(components, this.options);
    const content = contentRoutes(components, this.options, this.#metrics);
    const status = statusRoutes(components);
    this.#router = new Router()
      .add("/v1/rewrap", { POST: rewrap.rewrap })
      .add("/v1/rewrap/bulk", { POST: rewrap.bulk })
      .add("/v1/rewrap/share", { POST: rewrap.share })
      .add("/v1/session", { POST: rewrap.session })
      .add("/v1/has/:contentId", { GET: content.has })
      .add("/v1/content/:cid", { PUT: content.upload, GET: content.download })
      .add("/v1/audit/:batchId", { GET: auditRoutes(components).evidence })
      .add("/v1/info", { GET: status.info })
      .add("/health", { GET: status.health })
      .add("/ready", { GET: status.ready })
      .add("/metrics", { GET: status.metrics });
    if (components.recovery !== undefined) this.#router.add("/v1/recover", { POST: recoverRoutes(components.recovery, this.options).recover });

    const o = this.options;
    this.#server = createServer(
      {
        requestTimeout: 0,
        headersTimeout: o.headersTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
        // How often Node looks for connections over the headers deadline.
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(o.headersTimeoutMs / 4))),
        noDelay: true,
      },
      (req, res) => this.#onRequest(req, res),
    );
    this.#server.maxConnections = o.maxConnections;
    this.#server.maxRequestsPerSocket = o.maxRequestsPerConnection;
    // What Node sends on a keep-alive answer; rewrap refusals write it themselves (Exchange.refusal).
    this.#keepAliveHint = `timeout=${Math.floor(o.keepAliveTimeoutMs / 1000)}, max=${o.maxRequestsPerConnection}`;
    this.#server.on("connection", (socket: Socket) => this.#onConnection(socket));
    this.#server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(error, socket));
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error("the HTTP server was already started");
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.options.port, this.options.host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    this.#state = "started";
    const address = this.#server.address();
    if (address === null || typeof address === "string") throw new Error("could not read the bound address");
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.#url = `http://${host}:${address.port}`;
    this.#components.logger.info("http server listening", { url: this.#url });
  }

  /** Stops accepting, lets in-flight requests finish within the grace period, then cuts the rest. */
  async stop(): Promise<void> {
    if (this.#state !== "started") {
      this.#state = "stopped";
      return;
    }
    this.#state = "stopped";
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    if (this.#inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#drained = resolve;
        }),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.options.shutdownGraceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#server.closeAllConnections();
    await closed;
  }

  /** Counts the connection, or closes it at once if its address already has maxConnectionsPerIp open. */
  #onConnection(socket: Socket): void {
    const ip = socket.remoteAddress;
    if (ip === undefined) return void socket.destroy();
    const open = this.#perIp.get(ip) ?? 0;
    if (open >= this.options.maxConnectionsPerIp) {
      this.#metrics.connectionsRefused.inc();
      socket.destroy();
      return;
    }
    this.#perIp.set(ip, open + 1);
    this.#metrics.connections.inc();
    socket.once("close", () => {
      this.#metrics.connections.dec();
      const left = (this.#perIp.get(ip) ?? 1) - 1;
      if (left === 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, left);
    });
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const controller = new AbortController();
    const ex = new Exchange(req, res, controller.signal, this.#keepAliveHint);
    const match = this.#router.match(req.method ?? "", req.url ?? "");
    const route = match.kind === "none" ? "other" : match.route.template;
    const socket = req.socket;
    this.#current.set(socket, res);
    this.#inFlight++;
    this.#metrics.inFlight.inc();
    if (this.#state === "stopped") res.setHeader("connection", "close");
    res.once("close", () => {
      const gone = !res.writableFinished;
      if (gone) controller.abort();
      if (this.#current.get(socket) === res) this.#current.delete(socket);
      this.#metrics.inFlight.dec();
      this.#metrics.requests.inc({ route, status: String(gone ? 499 : res.statusCode) });
      this.#metrics.duration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
      if (--this.#inFlight === 0) this.#drained?.();
    });

    try {
      if (match.kind === "none") return ex.error(new HttpError("HTTP_NOT_FOUND"));
      if (match.kind === "method") return ex.error(new HttpError("HTTP_METHOD_NOT_ALLOWED"), { allow: match.allow });
      const result = match.handler(ex, match.param);
      if (result instanceof Promise) result.catch((error: unknown) => this.#fail(ex, route, error));
    } catch (error) {
      this.#fail(ex, route, error);
    }
  }

  /** Answers a handler's failure with its typed refusal; anything untyped is a logged 500. */
  #fail(ex: Exchange, route: string, error: unknown): void {
    const logger = this.#components.logger;
    if (ex.answered || ex.res.destroyed) {
      // Mid-stream failure (download) or a client that left: the connection is all we can end.
      if (!ex.res.writableEnded) ex.res.destroy();
      if (!ex.signal.aborted) logger.warn("http response failed after its head was sent", { route, ...errorFields(error) });
      return;
    }
    if (error instanceof RewrapError) {
      ex.refusal(error);
      if (ex.status >= 500) logger.warn("rewrap refused", { route, code: error.code, cause: errorFields(error.cause) });
      else logger.debug("rewrap refused", { route, code: error.code, reason: error.reason });
      return;
    }
    if (error instanceof HttpError) {
      if (error.code === "HTTP_CLIENT_GONE") {
        ex.res.destroy();
        return;
      }
      ex.error(error);
      if (error.status >= 500) logger.warn("http request refused", { route, code: error.code, cause: errorFields(error.cause) });
      else logger.debug("http request refused", { route, code: error.code });
      return;
    }
    logger.error("http handler failed", { route, ...errorFields(error) });
    ex.error(new HttpError("HTTP_INTERNAL"));
  }

  /**
   * The parser refused the connection before a request was formed (headers timeout, header
   * overflow, garbage). Node would answer with a bare status line; this answers with the API's
   * JSON error, unless a response on this socket has already started.
   */
  #onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    const code = clientErrorCode(error);
    this.#metrics.clientErrors.inc({ code });
    const response = this.#current.get(socket);
    if (code !== "HTTP_CLIENT_GONE" && socket.writable && (response === undefined || !response.headersSent)) {
      const refusal = new HttpError(code);
      const body = encodeHttpError(refusal);
      socket.end(
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      // A peer that does not read the answer must not keep the socket.
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    socket.destroy();
  }
}
