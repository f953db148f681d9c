import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { join } from "node:path";

/** The project's root folder. */
const ROOT = join(import.meta.dirname, "..", "..");

/**
 * Runs an ES module `script` under plain tsx in a fresh Node process at the
 * project root (a clean module cache, no jest, no inherited NODE_OPTIONS).
 */
export function runTsxScript(script: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
    timeout: 60_000,
  });
}
