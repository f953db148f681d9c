/**
 * What the operator scripts share: where the stack lives (LocalStack by
 * default), AWS clients pointed there, readable output, and the one error
 * message users need most ("LocalStack is not running").
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type ParseArgsConfig, parseArgs, parseEnv } from "node:util";
import { quietSdkNodeWarning } from "../../local/node-support.js";

/** Reads `.env` from the current folder into `env` (default `process.env`), if there is one, never overriding what is set. */
export function loadDotEnv(
  env: Record<string, string | undefined> = process.env,
  file = resolve(process.cwd(), ".env"),
): void {
  if (!existsSync(file)) return;
  for (const [key, value] of Object.entries(parseEnv(readFileSync(file, "utf8"))))
    if (env[key] === undefined) env[key] = value;
}

/** Where the scripts send AWS calls. */
export interface Target {
  /** `localstack` or `aws`. */
  readonly kind: "localstack" | "aws";
  /** LocalStack edge URL; undefined for AWS. */
  readonly endpoint?: string;
  readonly region: string;
  readonly functionName: string;
  readonly tableName: string;
  readonly bucketName: string;
}

/** Reads the target from the same variables `main.ts` uses. */
export function targetFromEnv(env: Readonly<Record<string, string | undefined>>): Target {
  const kind = env.DEPLOY_TARGET === "aws" ? "aws" : "localstack";
  return {
    kind,
    ...(kind === "localstack"
      ? { endpoint: env.LOCALSTACK_ENDPOINT || "http://localhost:4566" }
      : {}),
    region: env.AWS_REGION || "us-east-1",
    functionName: env.FUNCTION_NAME || "telegram-bot",
    tableName: env.SESSIONS_TABLE_NAME || "ChatbotSessions",
    bucketName: env.ARCHIVE_BUCKET_NAME || "chatbot-conversations",
  };
}

/** SDK client settings for a target (fake credentials for LocalStack). */
export function clientConfig(target: Target): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  return target.endpoint
    ? {
        region: target.region,
        endpoint: target.endpoint,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      }
    : { region: target.region };
}

/** A failure the user can act on; scripts print its message without a stack. */
export class OperatorError extends Error {
  override name = "OperatorError";
}

/**
 * Parses a script's options as `parseArgs` does; an unknown option or a
 * missing value is an {@link OperatorError} with the script's usage, not a stack.
 */
export function parseOptions<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code?.startsWith("ERR_PARSE_ARGS_")) throw err;
    throw new OperatorError(`${(err as Error).message}. Usage: ${usage}`, { cause: err });
  }
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH"]);

/** `err` and the errors it wraps. */
function* causes(err: unknown): Generator<Error> {
  for (let e: unknown = err; e instanceof Error; e = e.cause) yield e;
}

function connectionCode(err: unknown): string | undefined {
  for (const e of causes(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors))
      for (const inner of errors) if (connectionCode(inner)) return "ECONNREFUSED";
  }
  return undefined;
}

/** Turns "cannot connect" and "no credentials" into the advice users need; other errors pass through. */
export function explain(err: unknown, target: Target): unknown {
  const missing = [...causes(err)].find((e) => e.name === "CredentialsProviderError");
  if (missing) {
    return new OperatorError(
      `No AWS credentials for ${target.region} (${missing.message}). Provide them with AWS_PROFILE=<profile> (set one up with "aws configure" or "aws sso login"), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, in the environment or .env.`,
      { cause: err },
    );
  }
  if (!connectionCode(err)) return err;
  return target.kind === "localstack"
    ? new OperatorError(
        `LocalStack is not running at ${target.endpoint}. Start it with "docker compose up -d" (or "npm run up" to start and deploy).`,
      )
    : new OperatorError(
        `Cannot reach AWS in ${target.region}: check your network and credentials.`,
      );
}

/** Output of a script: injectable so tests can read it. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** The process's own stdout/stderr. */
export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs `main` when the file is executed directly (not when a test imports it), with
 * `.env` read first (so every operator script targets what `npm run up` deployed),
 * printing an {@link OperatorError} as one line and exiting non-zero.
 */
export function runIfMain(meta: ImportMeta, main: () => Promise<number | undefined>): void {
  const entry = process.argv[1];
  // Node loads a module by its real path: a script started through a link is still the entry.
  if (!entry || !existsSync(entry) || meta.url !== pathToFileURL(realpathSync(entry)).href) return;
  loadDotEnv();
  quietSdkNodeWarning(process.env);
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      process.stderr.write(
        `✖ ${err instanceof OperatorError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
