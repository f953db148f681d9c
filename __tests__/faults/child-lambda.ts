/**
 * Runs the built bundle in a child process, as its own Lambda execution
 * environment, so a test can kill it for real (SIGKILL: no `finally`, no
 * cleanup, exactly what an out-of-memory kill or a runtime crash does), kill it
 * at its timeout as Lambda does, or collect its garbage every few hundred
 * milliseconds (`node --expose-gc`), as memory pressure in a long-lived
 * process does, so what only weak references keep alive is gone.
 */
import { spawn } from "node:child_process";
import { BUNDLE } from "../harness/lambda.js";

/** How the child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The handler's result, when it returned. */
  readonly result?: unknown;
  /** The handler's error message, when it threw. */
  readonly error?: string;
}

/** A running child Lambda. */
export interface ChildLambda {
  /** Lines the bundle wrote to stdout and stderr so far. */
  output(): readonly string[];
  /** Kills the process at once (SIGKILL). */
  kill(): void;
  readonly exited: Promise<ChildExit>;
}

const RUNNER = `
const { randomUUID } = require("node:crypto");
const { handler } = require(process.env.CHILD_BUNDLE);
const deadline = Date.now() + Number(process.env.CHILD_TIMEOUT_MS);
if (process.env.CHILD_GC_EVERY_MS)
  setInterval(() => globalThis.gc(), Number(process.env.CHILD_GC_EVERY_MS)).unref();
if (process.env.CHILD_KILL_AT_TIMEOUT)
  setTimeout(() => process.kill(process.pid, "SIGKILL"), deadline - Date.now()).unref();
const context = {
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  awsRequestId: randomUUID(),
  functionName: "telegram-bot",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:telegram-bot",
  memoryLimitInMB: "512",
  logGroupName: "/aws/lambda/telegram-bot",
  logStreamName: "child",
  callbackWaitsForEmptyEventLoop: true,
};
handler(JSON.parse(process.env.CHILD_EVENT), context).then(
  (result) => process.stdout.write("\\n@@RESULT " + JSON.stringify(result) + "\\n"),
  (err) => {
    process.stdout.write("\\n@@ERROR " + JSON.stringify(String(err && err.message)) + "\\n");
    process.exitCode = 1;
  },
);
`;

/** Options of {@link spawnLambda}. */
export interface ChildLambdaOptions {
  /** Forces a full garbage collection this often (ms) while the handler runs. */
  readonly gcEveryMs?: number;
  /** Kills the process (SIGKILL) when `timeoutMs` has passed, as Lambda ends an invoke at its timeout. */
  readonly killAtTimeout?: boolean;
}

/** Starts `handler(event, context)` of the bundle in a child process with `env` and `timeoutMs`. */
export function spawnLambda(
  env: Readonly<Record<string, string>>,
  event: unknown,
  timeoutMs: number,
  options: ChildLambdaOptions = {},
): ChildLambda {
  const lines: string[] = [];
  const nodeArgs = options.gcEveryMs ? ["--expose-gc"] : [];
  const child = spawn(process.execPath, [...nodeArgs, "-e", RUNNER], {
    env: {
      PATH: process.env.PATH ?? "",
      ...env,
      CHILD_BUNDLE: BUNDLE,
      CHILD_EVENT: JSON.stringify(event),
      CHILD_TIMEOUT_MS: String(timeoutMs),
      ...(options.gcEveryMs ? { CHILD_GC_EVERY_MS: String(options.gcEveryMs) } : {}),
      ...(options.killAtTimeout ? { CHILD_KILL_AT_TIMEOUT: "1" } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(line);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<ChildExit>((resolve) => {
    child.on("close", (code, signal) => {
      const tagged = (tag: string) => lines.find((l) => l.startsWith(tag))?.slice(tag.length);
      const result = tagged("@@RESULT ");
      const error = tagged("@@ERROR ");
      resolve({
        code,
        signal,
        ...(result !== undefined ? { result: JSON.parse(result) as unknown } : {}),
        ...(error !== undefined ? { error: String(JSON.parse(error)) } : {}),
      });
    });
  });
  return {
    output: () => lines,
    kill: () => {
      child.kill("SIGKILL");
    },
    exited,
  };
}
