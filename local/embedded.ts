/**
 * Embedded DynamoDB (dynalite on LevelDB) for `npm start`, with its data in
 * `DATA_DIR/dynamodb` so a restart keeps every session. Archives need no
 * emulator: they are plain files (see file-archive.ts).
 */
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import dynalite from "dynalite";

/** A running embedded DynamoDB. */
export interface EmbeddedAws {
  readonly dynamoUrl: string;
  /** The SDK environment that points the bot at it. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts DynamoDB on 127.0.0.1 with its data in `dataDir/dynamodb`. */
export async function startEmbeddedAws(dataDir: string): Promise<EmbeddedAws> {
  const dynamoDir = join(dataDir, "dynamodb");
  mkdirSync(dynamoDir, { recursive: true });
  const dynamo: Server = dynalite({
    path: dynamoDir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    dynamo.once("error", reject);
    dynamo.listen(0, "127.0.0.1", () => resolve());
  });
  const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  return {
    dynamoUrl,
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
      // dynalite accepts any credentials; the SDK insists on some.
      AWS_ACCESS_KEY_ID: "embedded",
      AWS_SECRET_ACCESS_KEY: "embedded",
      AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    },
    async close() {
      dynamo.closeAllConnections();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}
