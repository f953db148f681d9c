import { randomUUID } from "node:crypto";
import { resolve } from "node:path";

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
  /**
   * Invokes like Lambda: `handler(event, context)`, with `timeoutMs` as the function timeout
   * and `requestId` as `awsRequestId` (default: a new one; Lambda's retries of an event reuse it).
   */
  invoke<T = Record<string, unknown>>(
    event: unknown,
    options?: { timeoutMs?: number; requestId?: string },
  ): Promise<T>;
}

/**
 * Node's own process and `require`, not jest's. Jest runs each test file in a VM context
 * with its own `process` (a copy of the environment) and a `require` that goes through its
 * module registry, where `require.cache` cannot drop a module. The bundle is loaded the way
 * Lambda loads it: with Node's loader, in Node's realm, reading Node's `process.env`.
 * (Outside jest, as in `npm run bench`, these are simply the process's own.)
 */
export const nodeProcess = (
  process.getBuiltinModule("node:vm") as typeof import("node:vm")
).runInThisContext("process") as NodeJS.Process;
const nodeModule = nodeProcess.getBuiltinModule("node:module") as typeof import("node:module");
const nodeRequire = nodeModule.createRequire(import.meta.url);
/**
 * The test process's own environment, before any invoke changed it. Jest reuses a worker
 * process for several test files and loads this module afresh in each, so the first copy
 * of this module in a process keeps it on the process itself: a later file must not take an
 * earlier file's invoke settings (say ALLOWED_USER_IDS) for the process's own.
 */
const BASE_ENVIRONMENT = Symbol.for("chatbot.tests.baseEnvironment");
const holder = nodeProcess as NodeJS.Process & { [BASE_ENVIRONMENT]?: NodeJS.ProcessEnv };
holder[BASE_ENVIRONMENT] ??= { ...nodeProcess.env };
const baseEnvironment: NodeJS.ProcessEnv = holder[BASE_ENVIRONMENT];

/**
 * Makes `process.env` exactly the test process's own environment plus `env`,
 * as a Lambda's environment is exactly its configuration: a setting of an
 * earlier invoke (say STREAM_REPLIES=false) must not leak into a later one.
 */
function useEnvironment(env: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(nodeProcess.env))
    if (!(key in baseEnvironment)) delete nodeProcess.env[key];
  Object.assign(nodeProcess.env, baseEnvironment, env);
}
const logLines: string[] = [];
let capturing = 0;
const realWrite = nodeProcess.stdout.write.bind(nodeProcess.stdout);

/** Every line the bundle wrote to stdout during any invoke in this test file. */
export function allLogs(): readonly string[] {
  return logLines;
}

function startCapture(): void {
  if (capturing++ > 0) return;
  nodeProcess.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    for (const line of text.split("\n")) if (line.trim()) logLines.push(line);
    if (process.env.SHOW_BOT_LOGS) return realWrite(chunk, ...(rest as []));
    return true;
  }) as typeof nodeProcess.stdout.write;
}

function stopCapture(): void {
  if (--capturing > 0) return;
  nodeProcess.stdout.write = realWrite;
}

/**
 * Loads a fresh copy of the built bundle (a cold start: module state, config
 * and clients are new) that runs with `env` as its environment.
 */
export function coldStart(env: Readonly<Record<string, string>>): LambdaInstance {
  delete nodeRequire.cache[BUNDLE];
  // A require of its own for each copy: Node lists every module a require loads among the
  // children of that require's parent, so one shared require would keep each cold start's
  // copy (and all it allocated) reachable for the worker's life: over a gigabyte by the end
  // of a run, and a worker too slow to exit ("failed to exit gracefully").
  const { handler } = nodeModule.createRequire(import.meta.url)(BUNDLE) as { handler: Handler };
  return {
    async invoke<T>(
      event: unknown,
      options: { timeoutMs?: number; requestId?: string } = {},
    ): Promise<T> {
      useEnvironment(env);
      const deadline = Date.now() + (options.timeoutMs ?? 300_000);
      const context: LambdaContext = {
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        awsRequestId: options.requestId ?? randomUUID(),
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
