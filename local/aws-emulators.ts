/**
 * DynamoDB (dynalite) and, when asked, S3 (s3rver) on 127.0.0.1: the one
 * starter behind `npm start`'s embedded storage and the test bed
 * (`__tests__/harness/aws-emulators.ts`). `npm start` keeps dynalite's data in
 * `DATA_DIR/dynamodb` and needs no S3 (archives are files, see file-archive.ts);
 * tests keep DynamoDB in memory, add S3 in a temporary folder, take either
 * down and back on the same data, and read the DynamoDB calls made.
 */
import { mkdirSync } from "node:fs";
import { type IncomingMessage, Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import dynalite from "dynalite";
import type S3rver from "s3rver";
import { listenWithRetry } from "./listen.js";
import { ensureStorage, type StackStorage } from "./storage.js";

/** s3rver accepts only these credentials; dynalite accepts any (the SDK insists on some). */
export const EMULATOR_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
/** The region the emulators answer for unless told otherwise. */
export const EMULATOR_REGION = "us-east-1";

const HOST = "127.0.0.1";

/** Options of {@link AwsEmulators.start}. */
export interface AwsEmulatorOptions {
  /** dynalite's LevelDB folder (created if missing). @default in memory */
  readonly dynamoDir?: string;
  /** s3rver's folder; S3 runs only when given. @default no S3 */
  readonly s3Dir?: string;
  /** A table and bucket to create unless they exist (the bucket only with S3). @default none */
  readonly storage?: StackStorage;
  /** The region of the SDK environment ({@link AwsEmulators.env}). @default "us-east-1" */
  readonly region?: string;
  /**
   * Record every DynamoDB call ({@link AwsEmulators.dynamoCalls}); for tests,
   * as the list grows for as long as the emulator runs. @default false
   */
  readonly recordCalls?: boolean;
}

/** A DynamoDB API call the emulator received. */
export interface DynamoCall {
  /** e.g. `Query`, `Scan`, `UpdateItem` (from `X-Amz-Target`). */
  readonly operation: string;
  readonly indexName?: string;
  /** The JSON request body. */
  readonly body: string;
  /** When the request arrived (epoch ms). */
  readonly at: number;
  /** When its answer was sent, and its HTTP status (unset while unanswered). */
  readonly done?: number;
  readonly status?: number;
}

/** The parts of s3rver (a Koa app) its typings leave out. */
interface S3rverInternals {
  httpServer?: Server;
  /** Its winston logger, also the one koa-logger writes each answered request to. */
  logger: { silent: boolean };
  on(
    event: "event",
    listener: (event: { Records?: { s3?: { object?: { key?: string } } }[] }) => void,
  ): unknown;
}

/**
 * Starts s3rver on `port` (0: any free one). It is loaded here, only when S3 is
 * asked for: it is a Koa app that takes about 0.4 s to load, and `npm start` never uses it.
 */
async function runS3rver(
  port: number,
  directory: string,
): Promise<{ server: S3rver; port: number }> {
  const { default: S3rverServer } = await import("s3rver");
  const server = new S3rverServer({ port, address: HOST, silent: true, directory });
  // `silent` quiets only the console transport. s3rver closes its logger when its server
  // closes, and a request cut off by stopS3 is still logged after that: winston then prints
  // "Attempt to write logs with no transports" on the console. A silent logger writes nothing.
  (server as unknown as S3rverInternals).logger.silent = true;
  return { server, port: (await server.run()).port };
}

/** Running emulators. Stopping one keeps its data; {@link close} ends both for good. */
export class AwsEmulators {
  private dynamoPort: number;
  private dynamoUp = true;
  private s3rver: S3rver | undefined;
  private readonly s3Port: number;
  private s3Up: boolean;
  private readonly calls: { -readonly [K in keyof DynamoCall]: DynamoCall[K] }[] = [];
  private readonly putListeners = new Set<(key: string) => void>();

  private constructor(
    private readonly dynamo: Server,
    s3: { server: S3rver; port: number } | undefined,
    private readonly options: AwsEmulatorOptions,
  ) {
    this.dynamoPort = (dynamo.address() as AddressInfo).port;
    this.s3rver = s3?.server;
    this.s3Port = s3?.port ?? 0;
    this.s3Up = s3 !== undefined;
    if (s3) this.watchPuts(s3.server);
    if (options.recordCalls) dynamo.on("request", (req, res) => this.record(req, res));
  }

  /**
   * Starts dynalite (and s3rver with `s3Dir`) and creates `storage` unless it exists.
   * @returns the emulators and what was created, for a startup message.
   */
  static async start(
    options: AwsEmulatorOptions = {},
  ): Promise<{ emulators: AwsEmulators; created: string[] }> {
    if (options.dynamoDir) mkdirSync(options.dynamoDir, { recursive: true });
    const dynamo = dynalite({
      ...(options.dynamoDir ? { path: options.dynamoDir } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    await listenWithRetry(dynamo, 0, HOST);
    let s3: { server: S3rver; port: number } | undefined;
    if (options.s3Dir) s3 = await runS3rver(0, options.s3Dir);
    const emulators = new AwsEmulators(dynamo, s3, options);
    const created = options.storage ? await emulators.createStorage(options.storage) : [];
    return { emulators, created };
  }

  /** DynamoDB endpoint (read again after {@link startDynamo}: the port may change). */
  get dynamoUrl(): string {
    return `http://${HOST}:${this.dynamoPort}`;
  }

  /** S3 endpoint, when S3 runs. */
  get s3Url(): string | undefined {
    return this.s3Port ? `http://${HOST}:${this.s3Port}` : undefined;
  }

  /** The region the SDK environment names. */
  get region(): string {
    return this.options.region ?? EMULATOR_REGION;
  }

  /** The SDK environment that points a process at the emulators (what LocalStack injects into a function). */
  get env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_DYNAMODB: this.dynamoUrl,
      ...(this.s3Url ? { AWS_ENDPOINT_URL_S3: this.s3Url } : {}),
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_REGION: this.region,
    };
  }

  /**
   * Takes DynamoDB down (connections refused, requests in flight cut off) until
   * {@link startDynamo}. Only the port closes: the data stays, in memory or on disk.
   */
  async stopDynamo(): Promise<void> {
    if (!this.dynamoUp) return;
    this.dynamoUp = false;
    this.dynamo.closeAllConnections();
    // The plain HTTP close: dynalite's own close() would also close (and so empty) its store.
    await new Promise<void>((resolve) => Server.prototype.close.call(this.dynamo, () => resolve()));
  }

  /** Brings DynamoDB back with the same data, on the same port unless another process took it. */
  async startDynamo(): Promise<void> {
    if (this.dynamoUp) return;
    await listenWithRetry(this.dynamo, this.dynamoPort, HOST);
    this.dynamoPort = (this.dynamo.address() as AddressInfo).port;
    this.dynamoUp = true;
  }

  /**
   * Takes S3 down (connections refused, requests in flight cut off) until
   * {@link startS3}; stored objects are kept.
   */
  async stopS3(): Promise<void> {
    if (!this.s3Up || !this.s3rver) return;
    this.s3Up = false;
    (this.s3rver as unknown as S3rverInternals).httpServer?.closeAllConnections();
    await this.s3rver.close();
  }

  /** Brings S3 back on the same port with the same objects. */
  async startS3(): Promise<void> {
    if (this.s3Up || !this.options.s3Dir) return;
    const { server } = await runS3rver(this.s3Port, this.options.s3Dir);
    this.watchPuts(server);
    this.s3rver = server;
    this.s3Up = true;
  }

  /**
   * Calls `listener` with the key of every object S3 stores, right after it is
   * stored and before the client gets the answer. @returns a function that removes it.
   */
  onS3Put(listener: (key: string) => void): () => void {
    this.putListeners.add(listener);
    return () => this.putListeners.delete(listener);
  }

  /** Every DynamoDB call received so far, in arrival order (with `recordCalls`). */
  dynamoCalls(): readonly DynamoCall[] {
    return this.calls.map((call) => ({ ...call }));
  }

  /** Ends both emulators; dynalite closes its store (a LevelDB folder keeps its data). */
  async close(): Promise<void> {
    await this.stopS3();
    if (this.dynamoUp) this.dynamo.closeAllConnections();
    // Listening again first lets dynalite's close() run its store shutdown after a stopDynamo().
    if (!this.dynamoUp) await this.startDynamo();
    this.dynamoUp = false;
    await new Promise<void>((resolve) => this.dynamo.close(() => resolve()));
  }

  private watchPuts(s3rver: S3rver): void {
    (s3rver as unknown as S3rverInternals).on("event", (event) => {
      const key = event.Records?.[0]?.s3?.object?.key;
      if (key !== undefined) for (const listener of this.putListeners) listener(key);
    });
  }

  private record(req: IncomingMessage, res: ServerResponse): void {
    // Recorded on arrival: dynalite drops the request's listeners once it answers.
    const call: (typeof this.calls)[number] = {
      operation: String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "",
      body: "",
      at: Date.now(),
    };
    this.calls.push(call);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      call.body = Buffer.concat(chunks).toString("utf8");
      try {
        const parsed = JSON.parse(call.body) as { IndexName?: unknown };
        if (typeof parsed.IndexName === "string") call.indexName = parsed.IndexName;
      } catch {
        // Not JSON: recorded without an index.
      }
    });
    res.once("finish", () => {
      call.done = Date.now();
      call.status = res.statusCode;
    });
  }

  private async createStorage(storage: StackStorage): Promise<string[]> {
    const common = { region: this.region, credentials: EMULATOR_CREDENTIALS };
    const dynamo = new DynamoDBClient({ ...common, endpoint: this.dynamoUrl });
    const s3 = this.s3Url
      ? new S3Client({
          ...common,
          endpoint: this.s3Url,
          forcePathStyle: true,
          requestChecksumCalculation: "WHEN_REQUIRED",
        })
      : undefined;
    try {
      return await ensureStorage(storage, { dynamo, ...(s3 ? { s3 } : {}) });
    } finally {
      dynamo.destroy();
      s3?.destroy();
    }
  }
}
