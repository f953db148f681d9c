import { BotError } from "../../errors.js";

/** An archive in S3 is missing messages the session says it holds. */
export class ArchiveIntegrityError extends BotError {
  override readonly name = "ArchiveIntegrityError";
}

/** The archive storage (S3) failed; DynamoDB was not changed. */
export class ArchiveStorageError extends BotError {
  override readonly name = "ArchiveStorageError";
}

/** Runs one storage call; any failure becomes an {@link ArchiveStorageError} naming what and which key. */
export async function inStorage<T>(what: string, key: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new ArchiveStorageError(
      `Could not ${what} ${key} in the archive storage: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
