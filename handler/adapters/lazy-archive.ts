import type { ArchiveStore } from "../app/ports.js";
import type { S3ArchiveStore } from "./s3-archive.js";

/** `s3://bucket/key`, as stored in a session's `s3_path`. */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/**
 * The S3 {@link ArchiveStore}, with the S3 client's code loaded on first use.
 * Most invokes never touch S3 (it holds archives and images), and a cold start
 * pays for every byte of code it parses: the client is about a fifth of the
 * bundle, so it is a file of its own (`s3-archive.js`) imported here.
 */
export function lazyS3Archive(bucket: string): ArchiveStore {
  let opening: Promise<S3ArchiveStore> | undefined;
  const store = (): Promise<S3ArchiveStore> => {
    opening ??= import("./s3-archive.js").then(
      (m) => m.openS3Archive(bucket),
      (err: unknown) => {
        // A failed load (a file missing from a broken deploy) is retried on the next use.
        opening = undefined;
        throw err;
      },
    );
    return opening;
  };
  return {
    put: async (key, body, contentType) => (await store()).put(key, body, contentType),
    get: async (key) => (await store()).get(key),
    putBytes: async (key, body, contentType) => (await store()).putBytes(key, body, contentType),
    getBytes: async (key) => (await store()).getBytes(key),
    list: async (prefix) => (await store()).list(prefix),
    uri: (key) => s3Uri(bucket, key),
  };
}
