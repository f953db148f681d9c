/**
 * A DynamoDB fault proxy: sits between the handler and the emulator, forwards
 * every request and can refuse the requests that match a rule with a real
 * DynamoDB error (throttling, validation), the way AWS refuses one hot or
 * oversized item while serving everything else, or reset every connection
 * (an outage whose tries can be counted). It records what it answered,
 * refusals included. (Stopping DynamoDB outright and the calls the emulator
 * served are the emulator's own: `bed.aws.stopDynamo()`, `bed.aws.dynamoRequests()`.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request that went through the proxy. */
export interface DynamoCall {
  /** Operation, e.g. `UpdateItem` (from `X-Amz-Target`). */
  readonly op: string;
  /** The JSON request body. */
  readonly body: string;
  /** When the request arrived and when its answer was sent (epoch ms). */
  readonly at: number;
  readonly done: number;
  readonly status: number;
}

/** Requests to refuse, and with what. */
export interface DynamoRefusal {
  readonly match: (op: string, body: string) => boolean;
  /** DynamoDB error type, e.g. `ProvisionedThroughputExceededException`. */
  readonly type: string;
  readonly message: string;
  readonly status?: number;
}

const HOP_BY_HOP = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "content-encoding",
]);

export class DynamoProxy {
  private readonly recorded: DynamoCall[] = [];
  private refusal: DynamoRefusal | undefined;
  private port = 0;
  private resetting = false;
  private resets = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: string,
  ) {}

  /** Starts a proxy on 127.0.0.1 in front of `target` (the emulator's URL). */
  static async start(target: string): Promise<DynamoProxy> {
    const server = createServer();
    const proxy = new DynamoProxy(server, target);
    server.on("connection", (socket) => {
      if (!proxy.resetting) return;
      proxy.resets += 1;
      socket.resetAndDestroy();
    });
    server.on("request", (req, res) => {
      proxy.forward(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy.port = (server.address() as AddressInfo).port;
    return proxy;
  }

  /** What `AWS_ENDPOINT_URL_DYNAMODB` should be (the same while resetting). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * DynamoDB becomes unreachable in a way that can be counted: the port stays
   * open, but every new connection is reset at once (TCP RST, which the SDK
   * sees as `ECONNRESET`, a network error it retries like a refused connection)
   * until {@link comeBack}. {@link connectionsReset} says how many tries there were.
   */
  resetConnections(): void {
    this.resetting = true;
    this.server.closeAllConnections();
  }

  /** Connections reset since the proxy started (see {@link resetConnections}). */
  connectionsReset(): number {
    return this.resets;
  }

  /** Reachable again: new connections are forwarded (see {@link resetConnections}). */
  async comeBack(): Promise<void> {
    this.resetting = false;
  }

  /** Every request so far. */
  calls(): readonly DynamoCall[] {
    return this.recorded;
  }

  /** Refuses matching requests from now on. */
  refuse(refusal: DynamoRefusal): void {
    this.refusal = refusal;
  }

  /** Stops refusing. */
  allow(): void {
    this.refusal = undefined;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const op = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
    const refusal = this.refusal;
    if (refusal?.match(op, body)) {
      const status = refusal.status ?? 400;
      const text = JSON.stringify({
        __type: `com.amazonaws.dynamodb.v20120810#${refusal.type}`,
        message: refusal.message,
      });
      res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
      res.end(text);
      this.recorded.push({ op, body, at, done: Date.now(), status });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(k) && typeof v === "string") headers[k] = v;
    const upstream = await fetch(`${this.target}${req.url ?? "/"}`, {
      method: req.method,
      headers,
      body: req.method === "GET" ? undefined : body,
    });
    const answer = Buffer.from(await upstream.arrayBuffer());
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k)) out[k] = v;
    });
    res.writeHead(upstream.status, out);
    res.end(answer);
    this.recorded.push({ op, body, at, done: Date.now(), status: upstream.status });
  }
}
