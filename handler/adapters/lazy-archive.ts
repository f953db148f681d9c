import type { ArchiveStore } from "../app/ports.js";
import { onFirstUse } from "./on-first-use.js";

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
  const store = onFirstUse(async () => (await import("./s3-archive.js")).openS3Archive(bucket));
  return {
    put: async (key, body, contentType) => (await store()).put(key, body, contentType),
    get: async (key) => (await store()).get(key),
    putBytes: async (key, body, contentType) => (await store()).putBytes(key, body, contentType),
    getBytes: async (key) => (await store()).getBytes(key),
    list: async (prefix) => (await store()).list(prefix),
    uri: (key) => s3Uri(bucket, key),
  };
}
