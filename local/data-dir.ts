/**
 * The folder `npm start` keeps its data in (`DATA_DIR`, default `.data`), made
 * ready and locked for one process: two bots on the same embedded database
 * would corrupt each other (dynalite's LevelDB allows one opener and fails the
 * second with "Database is closed"), and a folder that cannot be used should be
 * named with the reason, not shown as a stack trace.
 */
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BotError } from "../handler/errors.js";

/** The lock file inside DATA_DIR; it holds the pid of the `npm start` using the folder. */
export const LOCK_FILE = "npm-start.pid";

/** DATA_DIR cannot be used, or another `npm start` uses it. */
export class DataDirError extends BotError {
  override readonly name = "DataDirError";
}

/** A DATA_DIR held by this process. */
export interface DataDirLock {
  readonly dir: string;
  /** Gives the folder up (removes the lock file if it is still ours). Safe to call twice. */
  release(): void;
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied (this user may not create or write it)",
  EPERM: "operation not permitted (this user may not create or write it)",
  ENOTDIR: "a part of the path is a file, not a folder",
  EEXIST: "it is a file, not a folder",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "the path has a symbolic link loop",
};

function unusable(dir: string, err: unknown): DataDirError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code && REASONS[code]) ?? (err instanceof Error ? err.message : String(err));
  return new DataDirError(
    `DATA_DIR ${dir} cannot be used: ${reason}${code ? ` (${code})` : ""}. Set DATA_DIR to a folder you can write to.`,
    { cause: err },
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Creates `dir` if needed, checks it is a writable folder and takes its lock.
 * A lock left by a process that no longer runs (a crash, a power cut) is taken over.
 * @throws DataDirError naming the folder and the reason, or the pid already using it.
 */
export function lockDataDir(dir: string, pid: number = process.pid): DataDirLock {
  const file = join(dir, LOCK_FILE);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw unusable(dir, err);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw unusable(dir, err);
      const holder = readPid(file);
      if (holder !== undefined && holder !== pid && isAlive(holder)) {
        throw new DataDirError(
          `npm start is already running on DATA_DIR ${dir} (pid ${holder}): stop that one first, or use another DATA_DIR.`,
        );
      }
      rmSync(file, { force: true });
      continue;
    }
    let released = false;
    return {
      dir,
      release() {
        if (released) return;
        released = true;
        if (readPid(file) === pid) rmSync(file, { force: true });
      },
    };
  }
  throw new DataDirError(
    `Could not take the lock ${file}: another process keeps replacing it. Use another DATA_DIR.`,
  );
}
