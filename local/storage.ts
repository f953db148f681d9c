/**
 * Creates the stack's table and bucket on an emulator (or LocalStack without
 * Terraform) from the synthesized Terraform JSON, so what runs locally is
 * exactly what `cdktf deploy` creates.
 */
import { resolve } from "node:path";
import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceInUseException,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { Testing } from "cdktf";
import { ChatbotStack } from "../src/chatbot-stack.js";
import { DEFAULT_SETTINGS, type StackSettings } from "../src/settings.js";

/** A `aws_dynamodb_table` block as it appears in `cdk.tf.json`. */
export interface TerraformTable {
  name: string;
  hash_key: string;
  range_key?: string;
  attribute: { name: string; type: string }[];
  global_secondary_index?: {
    name: string;
    hash_key: string;
    range_key?: string;
    projection_type: string;
    non_key_attributes?: string[];
  }[];
}

/** The storage part of a synthesized stack. */
export interface StackStorage {
  readonly table: TerraformTable;
  readonly bucket: string;
}

interface StackJson {
  resource: {
    aws_dynamodb_table?: Record<string, TerraformTable>;
    aws_s3_bucket?: Record<string, { bucket: string }>;
  };
}

/** Reads the table and bucket out of a `cdk.tf.json` document. */
export function storageFromStackJson(json: string): StackStorage {
  const parsed = JSON.parse(json) as StackJson;
  const table = Object.values(parsed.resource.aws_dynamodb_table ?? {})[0];
  const bucket = Object.values(parsed.resource.aws_s3_bucket ?? {})[0];
  if (!table || !bucket) throw new Error("the stack declares no DynamoDB table or no S3 bucket");
  return { table, bucket: bucket.bucket };
}

/** Synthesizes the stack in memory (no files, no Terraform) and returns its storage. */
export function synthesizeStorage(overrides: Partial<StackSettings> = {}): StackStorage {
  const app = Testing.app();
  const stack = new ChatbotStack(app, "chatbot", {
    settings: { ...DEFAULT_SETTINGS, ...overrides },
    // The asset is only hashed here, never deployed: any folder will do.
    bundleDir: resolve(import.meta.dirname, "..", "handler"),
  });
  return storageFromStackJson(Testing.synth(stack));
}

const keySchema = (hash: string, range?: string): KeySchemaElement[] => [
  { AttributeName: hash, KeyType: "HASH" },
  ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : []),
];

/** The CreateTable request equivalent to a Terraform table block. */
export function createTableInput(table: TerraformTable): CreateTableCommand["input"] {
  const gsis: GlobalSecondaryIndex[] = (table.global_secondary_index ?? []).map((g) => ({
    IndexName: g.name,
    KeySchema: keySchema(g.hash_key, g.range_key),
    Projection: {
      ProjectionType: g.projection_type as "ALL" | "KEYS_ONLY" | "INCLUDE",
      ...(g.non_key_attributes ? { NonKeyAttributes: g.non_key_attributes } : {}),
    },
  }));
  return {
    TableName: table.name,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: keySchema(table.hash_key, table.range_key),
    AttributeDefinitions: table.attribute.map(
      (a): AttributeDefinition => ({
        AttributeName: a.name,
        AttributeType: a.type as "S" | "N" | "B",
      }),
    ),
    ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
  };
}

/**
 * Creates the table and bucket unless they exist (a restart keeps its data).
 * @returns what was created, for the startup message.
 */
export async function ensureStorage(
  storage: StackStorage,
  clients: { readonly dynamo: DynamoDBClient; readonly s3?: S3Client },
): Promise<string[]> {
  const created: string[] = [];
  try {
    await clients.dynamo.send(new CreateTableCommand(createTableInput(storage.table)));
    created.push(`table ${storage.table.name}`);
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  // Without an S3 client (embedded storage) archives are files and need no bucket.
  if (!clients.s3) return created;
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: storage.bucket }));
  } catch {
    await clients.s3.send(new CreateBucketCommand({ Bucket: storage.bucket }));
    created.push(`bucket ${storage.bucket}`);
  }
  return created;
}
