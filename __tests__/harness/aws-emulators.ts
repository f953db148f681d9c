import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  type DynamoCall,
  EMULATOR_CREDENTIALS,
  EMULATOR_REGION,
  AwsEmulators as Emulators,
} from "../../local/aws-emulators.js";
import { type StackStorage, storageFromStackJson } from "../../local/storage.js";

export type { DynamoCall };
export { EMULATOR_CREDENTIALS, EMULATOR_REGION };

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

/** The table and bucket exactly as `cdk.tf.json` declares them (so infra and code cannot drift). */
export function readStorageFromStack(path = STACK_JSON): StackStorage {
  return storageFromStackJson(readFileSync(path, "utf8"));
}

/**
 * The emulators `npm start` runs (local/aws-emulators.ts) as the tests use them:
 * DynamoDB in memory with its calls recorded, S3 in a temporary folder, the
 * stack's table and bucket, and SDK clients for the test to read what the handler stored.
 */
export class AwsEmulators {
  readonly table: string;
  readonly bucket: string;
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;

  private constructor(
    private readonly emulators: Emulators,
    private readonly dir: string,
    storage: StackStorage,
  ) {
    this.table = storage.table.name;
    this.bucket = storage.bucket;
    const common = { region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS };
    this.db = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...common, endpoint: emulators.dynamoUrl }),
    );
    this.s3 = new S3Client({
      ...common,
      endpoint: this.s3Url,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  /** Starts both emulators and creates the storage `cdk.tf.json` declares. */
  static async start(): Promise<AwsEmulators> {
    const dir = await mkdtemp(join(tmpdir(), "chatbot-s3-"));
    const storage = readStorageFromStack();
    const { emulators } = await Emulators.start({ s3Dir: dir, storage, recordCalls: true });
    return new AwsEmulators(emulators, dir, storage);
  }

  /** DynamoDB endpoint. */
  get dynamoUrl(): string {
    return this.emulators.dynamoUrl;
  }

  /** S3 endpoint. */
  get s3Url(): string {
    return this.emulators.s3Url ?? "";
  }

  /** The environment the SDK in the handler reads, with the stack's table and bucket. */
  get env(): Record<string, string> {
    return { ...this.emulators.env, SESSIONS_TABLE: this.table, ARCHIVE_BUCKET: this.bucket };
  }

  /**
   * Takes DynamoDB down (connections refused) until {@link startDynamo}; the
   * data stays. The port is the same after a restart unless another process
   * took it meanwhile (then {@link env} names the new one).
   */
  stopDynamo(): Promise<void> {
    return this.emulators.stopDynamo();
  }

  /** Brings DynamoDB back with the same data. */
  startDynamo(): Promise<void> {
    return this.emulators.startDynamo();
  }

  /** Takes S3 down (connections refused, requests in flight cut off) until {@link startS3}. */
  stopS3(): Promise<void> {
    return this.emulators.stopS3();
  }

  /** Brings S3 back on the same port with the same objects. */
  startS3(): Promise<void> {
    return this.emulators.startS3();
  }

  /** See {@link Emulators.onS3Put}. */
  onS3Put(listener: (key: string) => void): () => void {
    return this.emulators.onS3Put(listener);
  }

  /** Every DynamoDB call received so far, in arrival order: operation and index. */
  dynamoCalls(): readonly Pick<DynamoCall, "operation" | "indexName">[] {
    return this.emulators
      .dynamoCalls()
      .map(({ operation, indexName }) => ({ operation, ...(indexName ? { indexName } : {}) }));
  }

  /** Every DynamoDB call so far with its body, arrival and answer time and status. */
  dynamoRequests(): readonly DynamoCall[] {
    return this.emulators.dynamoCalls();
  }

  async close(): Promise<void> {
    this.db.destroy();
    this.s3.destroy();
    await this.emulators.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
