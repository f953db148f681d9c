import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Calls and bytes seen by {@link CountingProxy}, per DynamoDB operation. */
export interface CallCounts {
  calls: number;
  requestBytes: number;
  byOperation: Record<string, { calls: number; requestBytes: number }>;
}

/** DynamoDB's operation name, from `X-Amz-Target` (`DynamoDB_20120810.UpdateItem` → `UpdateItem`). */
export function dynamoOperation(req: IncomingMessage): string {
  return (
    String(req.headers["x-amz-target"] ?? "unknown")
      .split(".")
      .pop() ?? "unknown"
  );
}

/** S3's operation, from the REST method and query (`PUT` → `PutObject`, `GET ?list-type=2` → `ListObjectsV2`). */
export function s3Operation(req: IncomingMessage): string {
  const listing = /[?&]list-type=2/.test(req.url ?? "");
  if (req.method === "PUT") return "PutObject";
  if (req.method === "GET") return listing ? "ListObjectsV2" : "GetObject";
  return req.method ?? "unknown";
}

/**
 * A transparent HTTP proxy in front of an emulator (DynamoDB by default, or
 * S3) that counts every API call and its request size: the bot's real traffic,
 * measured from outside the bot. Requests are forwarded with their headers
 * unchanged, so S3 signatures stay valid.
 */
export class CountingProxy {
  private counts: CallCounts = { calls: 0, requestBytes: 0, byOperation: {} };

  private constructor(private readonly server: Server) {}

  static async start(
    targetUrl: string,
    operationOf: (req: IncomingMessage) => string = dynamoOperation,
  ): Promise<CountingProxy> {
    const target = new URL(targetUrl);
    let proxy: CountingProxy | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        proxy?.record(operationOf(req), body.length);
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (up) => {
            res.writeHead(up.statusCode ?? 500, up.headers);
            up.pipe(res);
          },
        );
        upstream.on("error", () => res.destroy());
        upstream.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    proxy = new CountingProxy(server);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Returns the counts so far and starts again from zero. */
  take(): CallCounts {
    const c = this.counts;
    this.counts = { calls: 0, requestBytes: 0, byOperation: {} };
    return c;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private record(op: string, bytes: number): void {
    this.counts.calls++;
    this.counts.requestBytes += bytes;
    const o = this.counts.byOperation[op] ?? { calls: 0, requestBytes: 0 };
    this.counts.byOperation[op] = o;
    o.calls++;
    o.requestBytes += bytes;
  }
}
