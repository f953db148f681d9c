import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { jest } from "@jest/globals";

/** The built bundle, exactly what Lambda runs. */
export const BUNDLE = resolve(import.meta.dirname, "..", "..", "dist", "handler", "index.js");

/** What the bundle exports. */
type Handler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** The parts of Lambda's context object the handler (or a reasonable handler) reads. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
}

/** A loaded copy of the bundle: one "execution environment". */
export interface LambdaInstance {
  /** Invokes like Lambda: `handler(event, context)`, with `timeoutMs` as the function timeout. */
  invoke<T = Record<string, unknown>>(event: unknown, options?: { timeoutMs?: number }): Promise<T>;
}

const localRequire = createRequire(import.meta.url);
/** The test process's own environment, before any invoke changed it. */
const baseEnvironment = { ...process.env };

/**
 * Makes `process.env` exactly the test process's own environment plus `env`,
 * as a Lambda's environment is exactly its configuration: a setting of an
 * earlier invoke (say STREAM_REPLIES=false) must not leak into a later one.
 */
function useEnvironment(env: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(process.env))
    if (!(key in baseEnvironment)) delete process.env[key];
  Object.assign(process.env, baseEnvironment, env);
}
const logLines: string[] = [];
let capturing = 0;
const realWrite = process.stdout.write.bind(process.stdout);

/** Every line the bundle wrote to stdout during any invoke in this test file. */
export function allLogs(): readonly string[] {
  return logLines;
}

function startCapture(): void {
  if (capturing++ > 0) return;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    for (const line of text.split("\n")) if (line.trim()) logLines.push(line);
    if (process.env.SHOW_BOT_LOGS) return realWrite(chunk, ...(rest as []));
    return true;
  }) as typeof process.stdout.write;
}

function stopCapture(): void {
  if (--capturing > 0) return;
  process.stdout.write = realWrite;
}

/**
 * Loads a fresh copy of the built bundle (a cold start: module state, config
 * and clients are new) that runs with `env` as its environment.
 */
export function coldStart(env: Readonly<Record<string, string>>): LambdaInstance {
  // Under jest, `require` goes through jest's module registry, where deleting from
  // `require.cache` does nothing: an isolated registry is what gives a fresh copy.
  let loaded: { handler: Handler } | undefined;
  jest.isolateModules(() => {
    loaded = localRequire(BUNDLE) as { handler: Handler };
  });
  if (!loaded) throw new Error(`the bundle at ${BUNDLE} exported nothing`);
  const { handler } = loaded;
  return {
    async invoke<T>(event: unknown, options: { timeoutMs?: number } = {}): Promise<T> {
      useEnvironment(env);
      const deadline = Date.now() + (options.timeoutMs ?? 300_000);
      const context: LambdaContext = {
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        awsRequestId: randomUUID(),
        functionName: "telegram-bot",
        functionVersion: "$LATEST",
        invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:telegram-bot",
        memoryLimitInMB: "512",
        logGroupName: "/aws/lambda/telegram-bot",
        logStreamName: "test",
        callbackWaitsForEmptyEventLoop: true,
      };
      startCapture();
      try {
        return (await handler(event, context)) as T;
      } finally {
        stopCapture();
      }
    },
  };
}
