/**
 * Embedded DynamoDB (dynalite on LevelDB) and S3 (s3rver on the file system)
 * for `npm start`, with data kept under one folder so a restart keeps every
 * session and archive.
 */
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import dynalite from "dynalite";
import S3rver from "s3rver";

/** Credentials s3rver accepts (dynalite accepts any). */
export const EMBEDDED_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/** Running embedded services. */
export interface EmbeddedAws {
  readonly dynamoUrl: string;
  readonly s3Url: string;
  /** The SDK environment that points the bot at them. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts both services on 127.0.0.1 with their data in `dataDir`. */
export async function startEmbeddedAws(dataDir: string): Promise<EmbeddedAws> {
  const dynamoDir = join(dataDir, "dynamodb");
  const s3Dir = join(dataDir, "s3");
  mkdirSync(dynamoDir, { recursive: true });
  mkdirSync(s3Dir, { recursive: true });
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
  const s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: s3Dir });
  const { port } = await s3.run();
  const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const s3Url = `http://127.0.0.1:${port}`;
  return {
    dynamoUrl,
    s3Url,
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
      AWS_ENDPOINT_URL_S3: s3Url,
      AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey,
      AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
    },
    async close() {
      dynamo.closeAllConnections();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      await s3.close();
    },
  };
}
