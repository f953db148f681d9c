/** Running the external tools `up` and `destroy` need, with their output shown as it goes. */
import { spawn, spawnSync } from "node:child_process";
import { withTimeLimit } from "../../handler/time-limit.js";
import { OperatorError } from "./lib.js";

/** Whether a command exists on PATH. */
export function hasCommand(command: string, args: readonly string[] = ["--version"]): boolean {
  const res = spawnSync(command, [...args], { stdio: "ignore" });
  return res.error === undefined && res.status === 0;
}

/** Runs a command with inherited output; rejects with an {@link OperatorError} on failure. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; what: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: "inherit", env: options.env ?? process.env });
    child.on("error", (err) => reject(new OperatorError(`${options.what} failed: ${err.message}`)));
    child.on("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new OperatorError(`${options.what} failed (exit code ${code}).`)),
    );
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
