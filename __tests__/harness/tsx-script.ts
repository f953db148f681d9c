import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { join } from "node:path";

/** The project's root folder. */
const ROOT = join(import.meta.dirname, "..", "..");

/**
 * Runs an ES module `script` under plain tsx in a fresh Node process at the
 * project root (a clean module cache, no jest, no inherited NODE_OPTIONS),
 * with `nodeArgs` (say `--expose-gc`) before it.
 */
export function runTsxScript(
  script: string,
  nodeArgs: readonly string[] = [],
): SpawnSyncReturns<string> {
  const args = [...nodeArgs, "--import", "tsx", "--input-type=module", "-e", script];
  return spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
    timeout: 60_000,
  });
}
