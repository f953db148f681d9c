/**
 * `npm run invoke`: invokes the deployed function once (one poll of Telegram)
 * and prints its summary readably. Waits as long as the function runs: slow
 * models can take minutes.
 */
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from "@aws-sdk/client-lambda";
import type { PollSummary } from "../../handler/app/intake/polling/poller.js";
import {
  clientConfig,
  explain,
  type Io,
  OperatorError,
  processIo,
  runIfMain,
  type Target,
  targetFromEnv,
} from "./lib.js";

/** A Lambda client whose reads never time out (the function may run for its full timeout). */
export function lambdaClient(target: Target): LambdaClient {
  return new LambdaClient({
    ...clientConfig(target),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 0 },
  });
}

/** One line a person can read: what the poll did. */
export function formatSummary(s: PollSummary, ms: number): string {
  const seconds = (ms / 1000).toFixed(1);
  if (s.status === "busy")
    return `⏳ another poll is running (${seconds} s); try again in a moment`;
  if (s.status === "conflict") return `⚠ ${s.message ?? "Telegram answered 409 Conflict"}`;
  const parts = [`${s.updates} update${s.updates === 1 ? "" : "s"}`, `${s.handled} answered`];
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  if (s.duplicates) parts.push(`${s.duplicates} already done`);
  if (s.failed) parts.push(`${s.failed} failed (retried next time)`);
  if (s.givenUp) parts.push(`${s.givenUp} given up`);
  if (s.deferred) parts.push(`${s.deferred} left for the next invoke`);
  const errors = s.errors.length > 0 ? `\n  errors: ${s.errors.join("; ")}` : "";
  return `✔ ${parts.join(", ")} in ${seconds} s (next offset ${s.offset})${errors}`;
}

/** Invokes once. @returns the summary, or throws an {@link OperatorError}. */
export async function invokeOnce(client: LambdaClient, target: Target): Promise<PollSummary> {
  let res: InvokeCommandOutput;
  try {
    res = await client.send(
      new InvokeCommand({
        FunctionName: target.functionName,
        Payload: new TextEncoder().encode("{}"),
      }),
    );
  } catch (err) {
    const explained = explain(err, target);
    if (explained instanceof OperatorError) throw explained;
    if (err instanceof Error && err.name === "ResourceNotFoundException")
      throw new OperatorError(
        `Function ${target.functionName} is not deployed: run "npm run up" first.`,
      );
    throw err;
  }
  const text = res.Payload ? new TextDecoder().decode(res.Payload) : "";
  if (res.FunctionError) throw new OperatorError(`The function failed: ${text}`);
  return JSON.parse(text) as PollSummary;
}

/** Entry point (exported for tests). */
export async function main(env = process.env, io: Io = processIo): Promise<number> {
  const target = targetFromEnv(env);
  const client = lambdaClient(target);
  io.err(`Invoking ${target.functionName} on ${target.endpoint ?? `AWS ${target.region}`}…`);
  const started = Date.now();
  try {
    const summary = await invokeOnce(client, target);
    io.out(formatSummary(summary, Date.now() - started));
    return summary.status === "conflict" ? 2 : 0;
  } finally {
    client.destroy();
  }
}

runIfMain(import.meta, () => main());
