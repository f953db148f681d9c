/** Running the external tools `up` and `destroy` need, with their output shown as it goes. */
import { spawn, spawnSync } from "node:child_process";
import { withTimeLimit } from "../../handler/time-limit.js";
import { OperatorError } from "./lib.js";

/** Whether a command exists on PATH. */
export function hasCommand(command: string, args: readonly string[] = ["--version"]): boolean {
  // CHECKPOINT_DISABLE: `terraform -version` would otherwise ask HashiCorp for news.
  const res = spawnSync(command, [...args], {
    stdio: "ignore",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  return res.error === undefined && res.status === 0;
}

/** How much of a command's output is kept for {@link run}'s `explain`. */
const KEPT_OUTPUT_CHARS = 256 * 1024;

/**
 * Runs a command with its output shown as it goes; rejects with an {@link OperatorError}
 * on failure. With `explain`, the output is also kept (its last 256 KB) and a failure
 * says what `explain` makes of it, in one line, instead of only the exit code.
 */
export function run(
  command: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    what: string;
    explain?: (output: string) => string | undefined;
  },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const explain = options.explain;
    const child = spawn(command, [...args], {
      stdio: explain ? ["inherit", "pipe", "pipe"] : "inherit",
      env: options.env ?? process.env,
    });
    let output = "";
    const keep = (to: NodeJS.WriteStream) => (chunk: Buffer) => {
      to.write(chunk);
      output = (output + chunk.toString()).slice(-KEPT_OUTPUT_CHARS);
    };
    child.stdout?.on("data", keep(process.stdout));
    child.stderr?.on("data", keep(process.stderr));
    child.on("error", (err) => reject(new OperatorError(`${options.what} failed: ${err.message}`)));
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const why = explain?.(output);
      reject(
        new OperatorError(`${options.what} failed (exit code ${code})${why ? `: ${why}` : "."}`),
      );
    });
  });
}

/** Polls LocalStack's health endpoint until the services the stack needs are up. */
export async function waitForLocalStack(
  endpoint: string,
  options: { timeoutMs?: number; onWait?: (waitedMs: number) => void } = {},
): Promise<void> {
  const started = Date.now();
  const needed = ["s3", "dynamodb", "lambda", "iam", "logs", "sts"];
  for (;;) {
    try {
      const body = await withTimeLimit(2_000, [], async (signal) => {
        const res = await fetch(`${endpoint}/_localstack/health`, { signal });
        return (await res.json()) as { services?: Record<string, string> };
      });
      const services = body.services ?? {};
      if (needed.every((s) => ["available", "running"].includes(services[s] ?? ""))) return;
    } catch {
      // not up yet
    }
    const waited = Date.now() - started;
    if (waited >= (options.timeoutMs ?? 120_000))
      throw new OperatorError(
        `LocalStack did not become healthy at ${endpoint} within ${Math.round(waited / 1000)} s. See "docker compose logs localstack".`,
      );
    options.onWait?.(waited);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}
