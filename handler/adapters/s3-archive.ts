import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { ArchiveStore } from "../app/ports.js";
import { s3Uri } from "./lazy-archive.js";

/**
 * The store on `bucket` with the bot's S3 client. This module is a file of its
 * own in the bundle, imported on the first archive or image (see `lazy-archive.ts`).
 */
export function openS3Archive(bucket: string): S3ArchiveStore {
  // Path-style for LocalStack and emulators; checksums only when required, which
  // S3 emulators need and AWS accepts.
  const s3 = new S3Client({
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return new S3ArchiveStore(s3, bucket);
}

/**
 * {@link ArchiveStore} on the `chatbot-conversations` bucket. The client is
 * passed in (built with `forcePathStyle` for LocalStack and emulators). A
 * missing object is `undefined`; every other error is rethrown.
 */
export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await res.Body?.transformToString("utf-8")) ?? "";
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async putBytes(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async getBytes(key: string): Promise<Uint8Array | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await res.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** `s3://bucket/key`, as stored in the session's `s3_path`. */
  uri(key: string): string {
    return s3Uri(this.bucket, key);
  }
}

function isMissing(err: unknown): boolean {
  return err instanceof NoSuchKey || (err instanceof Error && err.name === "NoSuchKey");
}
