import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Calls and bytes seen by {@link CountingProxy}, per DynamoDB operation. */
export interface CallCounts {
  calls: number;
  requestBytes: number;
  byOperation: Record<string, { calls: number; requestBytes: number }>;
  /** Request units, with {@link CountingProxyOptions.consumedCapacity} (DynamoDB only). */
  units: RequestUnits;
}

/** What DynamoDB on demand bills: read and write request units. */
export interface RequestUnits {
  /** Read request units of the table, as the emulator computed them from item sizes. */
  read: number;
  /** Write request units of the table, the same way. */
  write: number;
  /**
   * Write units of the indexes, which the emulator does not compute: 2 (the old
   * index entry deleted, the new one put) for each write that sets an index's
   * sort key (`GSI1SK`, `day_tokens`): an upper bound, the entries being small.
   */
  indexWrite: number;
}

/** Options of {@link CountingProxy.start}. */
export interface CountingProxyOptions {
  /**
   * Asks DynamoDB for `ReturnConsumedCapacity: TOTAL` on every call and sums
   * what it answers (a Query, for which dynalite computes none, counts 1 read
   * unit: its items here are keys only, far below 4 KB). @default false
   */
  readonly consumedCapacity?: boolean;
}

/** Operations whose items live in an index whose sort key a write may change. */
const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem"]);
const INDEX_SORT_KEYS = /\b(GSI1SK|day_tokens)\b/;

const noUnits = (): RequestUnits => ({ read: 0, write: 0, indexWrite: 0 });

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
  private counts: CallCounts = { calls: 0, requestBytes: 0, byOperation: {}, units: noUnits() };

  private constructor(private readonly server: Server) {}

  static async start(
    targetUrl: string,
    operationOf: (req: IncomingMessage) => string = dynamoOperation,
    options: CountingProxyOptions = {},
  ): Promise<CountingProxy> {
    const target = new URL(targetUrl);
    let proxy: CountingProxy | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const operation = operationOf(req);
        let body = Buffer.concat(chunks);
        proxy?.record(operation, body.length);
        const measure = options.consumedCapacity === true;
        if (measure) {
          proxy?.recordIndexWrites(operation, body.toString("utf8"));
          // The emulator checks no signature, so the body may gain a parameter.
          body = Buffer.from(
            JSON.stringify({
              ...JSON.parse(body.toString("utf8")),
              ReturnConsumedCapacity: "TOTAL",
            }),
          );
        }
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, "content-length": String(body.length) },
          },
          (up) => {
            res.writeHead(up.statusCode ?? 500, up.headers);
            if (!measure) {
              up.pipe(res);
              return;
            }
            const answer: Buffer[] = [];
            up.on("data", (c: Buffer) => answer.push(c));
            up.on("end", () => {
              const text = Buffer.concat(answer);
              proxy?.recordUnits(operation, text.toString("utf8"));
              res.end(text);
            });
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
    this.counts = { calls: 0, requestBytes: 0, byOperation: {}, units: noUnits() };
    return c;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private recordIndexWrites(op: string, body: string): void {
    if (WRITES.has(op) && INDEX_SORT_KEYS.test(body)) this.counts.units.indexWrite += 2;
  }

  private recordUnits(op: string, answer: string): void {
    let units = op === "Query" ? 1 : 0;
    try {
      const consumed = (JSON.parse(answer) as { ConsumedCapacity?: { CapacityUnits?: number } })
        .ConsumedCapacity?.CapacityUnits;
      if (consumed !== undefined) units = consumed;
    } catch {
      // An error body has no units. (On AWS a failed conditional write still costs its
      // units; the bot's conditions fail rarely, so this undercounts by those few.)
    }
    if (WRITES.has(op)) this.counts.units.write += units;
    else this.counts.units.read += units;
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
