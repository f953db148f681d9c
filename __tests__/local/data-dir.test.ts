import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { DataDirError, LOCK_FILE, lockDataDir } from "../../local/data-dir.js";

/** The pid of a process that has already ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

describe("DATA_DIR: one npm start per folder, and clear reasons when it cannot be used", () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "chatbot-datadir-"));
  });
  afterEach(() => {
    rmSync(base, { recursive: true, force: true });
  });

  it("creates the folder, holds it with this pid, and gives it back on release", () => {
    // Act
    const dir = join(base, "nested", "data");
    const lock = lockDataDir(dir, 4242);
    const held = readFileSync(join(dir, LOCK_FILE), "utf8");
    lock.release();

    // Assess
    expect(held).toBe("4242\n");
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("refuses a folder a running process holds, naming its pid", () => {
    // Prepare: this test process is alive.
    lockDataDir(base, process.pid);

    // Act
    const second = () => lockDataDir(base, process.pid + 1);

    // Assess
    expect(second).toThrow(DataDirError);
    expect(second).toThrow(`already running on DATA_DIR ${base} (pid ${process.pid})`);
  });

  it("takes over a lock left by a process that no longer runs", () => {
    // Prepare
    writeFileSync(join(base, LOCK_FILE), `${deadPid()}\n`);

    // Act
    lockDataDir(base, 4242);

    // Assess
    expect(readFileSync(join(base, LOCK_FILE), "utf8")).toBe("4242\n");
  });

  it("does not remove a lock another process took after this one", () => {
    // Prepare
    const lock = lockDataDir(base, 4242);
    writeFileSync(join(base, LOCK_FILE), "4343\n");

    // Act
    lock.release();

    // Assess
    expect(readFileSync(join(base, LOCK_FILE), "utf8")).toBe("4343\n");
  });

  it("names the folder and the reason when it cannot be used", () => {
    // Prepare
    const file = join(base, "a-file");
    writeFileSync(file, "");
    const cases: [string, string][] = [
      [file, "it is a file, not a folder (EEXIST)"],
      [join(file, "data"), "a part of the path is a file, not a folder (ENOTDIR)"],
      // /sys refuses new folders even to root, as a folder of another user refuses them to you.
      [
        "/sys/chatbot-data",
        "operation not permitted (this user may not create or write it) (EPERM)",
      ],
    ];

    for (const [dir, reason] of cases) {
      // Act
      const lock = () => lockDataDir(dir, 4242);

      // Assess
      expect(lock).toThrow(`DATA_DIR ${dir} cannot be used: ${reason}.`);
    }
  });
});
