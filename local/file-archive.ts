/**
 * Archives as plain files, for `npm start` with embedded storage: the same
 * keys the bot writes to S3 (`<user_id>/model_<model>/session_<id>.json` and
 * `.txt`) become files under `DATA_DIR/archives/`, where a person can open
 * them. s3rver kept them as `…json._S3rver_object` beside metadata files, and
 * `/archives` showed an `s3://` address that existed nowhere on disk.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { ArchiveStore } from "../handler/app/ports.js";

/** Where files being written wait, so a reader never sees half an archive. */
const PARTIAL_DIR = ".partial";
/** How s3rver 3 names an object's body on disk. */
const S3RVER_OBJECT_SUFFIX = "._S3rver_object";

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

/**
 * {@link ArchiveStore} on a folder. A write goes to a temporary file first and
 * is renamed into place, so each file is whole, as an S3 object is. A missing
 * file is `undefined`; every other error is rethrown.
 */
export class FileArchiveStore implements ArchiveStore {
  constructor(readonly root: string) {}

  async put(key: string, body: string): Promise<void> {
    await this.putBytes(key, Buffer.from(body, "utf8"));
  }

  async get(key: string): Promise<string | undefined> {
    const bytes = await this.getBytes(key);
    return bytes === undefined ? undefined : Buffer.from(bytes).toString("utf8");
  }

  async putBytes(key: string, body: Uint8Array): Promise<void> {
    const target = this.path(key);
    const partial = join(this.root, PARTIAL_DIR, `${randomUUID()}.tmp`);
    await mkdir(dirname(partial), { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(partial, body);
    await rename(partial, target);
  }

  async getBytes(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** Every key that starts with `prefix`, in ascending order. */
  async list(prefix: string): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.root, { recursive: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const keys: string[] = [];
    for (const entry of entries) {
      const key = entry.split(sep).join("/");
      if (key.startsWith(`${PARTIAL_DIR}/`) || !key.startsWith(prefix)) continue;
      if (key.endsWith(".json") || key.endsWith(".txt")) keys.push(key);
    }
    return keys.sort();
  }

  /** The file's absolute path: what `/archives` shows. */
  uri(key: string): string {
    return this.path(key);
  }

  private path(key: string): string {
    const parts = key.split("/");
    if (key.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
      throw new Error(`not an archive key: ${JSON.stringify(key)}`);
    }
    return join(this.root, ...parts);
  }
}

/**
 * Copies archives an earlier `npm start` kept in s3rver's folder
 * (`<s3Dir>/<bucket>/<key>._S3rver_object`) into `store` as plain files,
 * leaving the old folder as it was. Files already in the store are kept.
 * @returns how many archives were copied.
 */
export async function adoptS3rverArchives(
  s3Dir: string,
  bucket: string,
  store: FileArchiveStore,
): Promise<number> {
  const bucketDir = join(s3Dir, bucket);
  let entries: string[];
  try {
    entries = await readdir(bucketDir, { recursive: true });
  } catch (err) {
    if (isMissing(err)) return 0;
    throw err;
  }
  let copied = 0;
  for (const entry of entries) {
    if (!entry.endsWith(S3RVER_OBJECT_SUFFIX)) continue;
    const key = relative(bucketDir, join(bucketDir, entry.slice(0, -S3RVER_OBJECT_SUFFIX.length)))
      .split(sep)
      .join("/");
    if ((await store.get(key)) !== undefined) continue;
    await store.put(key, await readFile(join(bucketDir, entry), "utf8"));
    copied++;
  }
  return copied;
}
