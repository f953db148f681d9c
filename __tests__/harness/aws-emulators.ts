import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import S3rver from "s3rver";
import {
  createTableInput,
  type StackStorage,
  storageFromStackJson,
  type TerraformTable,
} from "../../local/storage.js";

/** The synthesized stack every integration test builds its storage from. */
export const STACK_JSON = resolve(
  import.meta.dirname,
  "..",
  "..",
  "cdktf.out",
  "stacks",
  "chatbot",
  "cdk.tf.json",
);

/** s3rver accepts only these credentials; dynalite accepts any. */
export const EMULATOR_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const EMULATOR_REGION = "us-east-1";

/** The table and bucket exactly as `cdk.tf.json` declares them (so infra and code cannot drift). */
export function readStorageFromStack(path = STACK_JSON): StackStorage {
  return storageFromStackJson(readFileSync(path, "utf8"));
}

/** A DynamoDB API call the emulator received (from the handler or the test). */
export interface DynamoCall {
  /** e.g. `Query`, `Scan`, `UpdateItem`. */
  readonly operation: string;
  readonly indexName?: string;
}

/** The parts of s3rver (a Koa app) its typings leave out. */
interface S3rverInternals {
  httpServer?: Server;
  on(
    event: "event",
    listener: (event: { Records?: { s3?: { object?: { key?: string } } }[] }) => void,
  ): unknown;
}

/** DynamoDB (dynalite, in memory) and S3 (s3rver, temp dir) on 127.0.0.1, with the stack's table and bucket. */
export class AwsEmulators {
  readonly table: string;
  readonly bucket: string;
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  private dynamoPort = 0;
  private dynamoUp = true;
  private readonly s3Port: number;
  private s3Up = true;
  private readonly calls: DynamoCall[] = [];
  private readonly putListeners = new Set<(key: string) => void>();

  private constructor(
    private readonly dynamo: Server,
    private s3rver: S3rver,
    readonly s3Url: string,
    private readonly dir: string,
    storage: { table: string; bucket: string },
  ) {
    this.dynamoPort = (dynamo.address() as AddressInfo).port;
    this.s3Port = Number(new URL(s3Url).port);
    dynamo.on("request", (req: IncomingMessage) => this.recordDynamoCall(req));
    this.watchPuts(s3rver);
    this.table = storage.table;
    this.bucket = storage.bucket;
    const common = { region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS };
    this.db = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...common, endpoint: this.dynamoUrl }),
    );
    this.s3 = new S3Client({
      ...common,
      endpoint: s3Url,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  /** Starts both emulators and creates the storage `cdk.tf.json` declares. */
  static async start(): Promise<AwsEmulators> {
    const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await listen(dynamo, 0);
    const dir = await mkdtemp(join(tmpdir(), "chatbot-s3-"));
    const s3rver = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir });
    const { port } = await s3rver.run();
    const { table, bucket } = readStorageFromStack();
    const emulators = new AwsEmulators(dynamo, s3rver, `http://127.0.0.1:${port}`, dir, {
      table: table.name,
      bucket,
    });
    await emulators.createStorage(table);
    return emulators;
  }

  /** DynamoDB endpoint. */
  get dynamoUrl(): string {
    return `http://127.0.0.1:${this.dynamoPort}`;
  }

  /** The environment the SDK in the handler reads (what LocalStack injects into a function). */
  get env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_DYNAMODB: this.dynamoUrl,
      AWS_ENDPOINT_URL_S3: this.s3Url,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_REGION: EMULATOR_REGION,
      SESSIONS_TABLE: this.table,
      ARCHIVE_BUCKET: this.bucket,
    };
  }

  /**
   * Takes DynamoDB down for good: connections are refused and dynalite drops its
   * in-memory data with the server. For "down, then back with the data", put
   * `__tests__/faults/dynamo-proxy.ts` in front instead.
   */
  async stopDynamo(): Promise<void> {
    if (!this.dynamoUp) return;
    this.dynamoUp = false;
    this.dynamo.closeAllConnections();
    await new Promise<void>((r) => this.dynamo.close(() => r()));
  }

  /**
   * Takes S3 down (connections refused, requests in flight cut off) until
   * {@link startS3}; stored objects are kept.
   */
  async stopS3(): Promise<void> {
    if (!this.s3Up) return;
    this.s3Up = false;
    (this.s3rver as unknown as S3rverInternals).httpServer?.closeAllConnections();
    await this.s3rver.close();
  }

  /** Brings S3 back on the same port with the same objects. */
  async startS3(): Promise<void> {
    if (this.s3Up) return;
    const s3rver = new S3rver({
      port: this.s3Port,
      address: "127.0.0.1",
      silent: true,
      directory: this.dir,
    });
    await s3rver.run();
    this.watchPuts(s3rver);
    this.s3rver = s3rver;
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

  /** Every DynamoDB call received so far, in arrival order. */
  dynamoCalls(): readonly DynamoCall[] {
    return [...this.calls];
  }

  async close(): Promise<void> {
    this.db.destroy();
    this.s3.destroy();
    await this.stopDynamo();
    await this.stopS3();
    await rm(this.dir, { recursive: true, force: true });
  }

  private watchPuts(s3rver: S3rver): void {
    (s3rver as unknown as S3rverInternals).on("event", (event) => {
      const key = event.Records?.[0]?.s3?.object?.key;
      if (key !== undefined) for (const listener of this.putListeners) listener(key);
    });
  }

  private recordDynamoCall(req: IncomingMessage): void {
    const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let indexName: string | undefined;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { IndexName?: unknown };
        if (typeof body.IndexName === "string") indexName = body.IndexName;
      } catch {
        // Not JSON: recorded without an index.
      }
      this.calls.push({ operation, ...(indexName !== undefined ? { indexName } : {}) });
    });
  }

  private async createStorage(table: TerraformTable): Promise<void> {
    const client = new DynamoDBClient({
      region: EMULATOR_REGION,
      credentials: EMULATOR_CREDENTIALS,
      endpoint: this.dynamoUrl,
    });
    await client.send(new CreateTableCommand(createTableInput(table)));
    client.destroy();
    await this.s3.send(new CreateBucketCommand({ Bucket: this.bucket }));
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}
