/**
 * The handler's settings, one definition each: environment name (the key),
 * Terraform variable, type, default, validation and description. `config.ts`
 * parses the environment with these schemas, `src/variables.ts` turns them into
 * Terraform variables and the Lambda environment, `npm run up`/`destroy` pass
 * them from `.env` to Terraform, and a test holds the README table to them.
 */
import * as z from "zod";
import { canonicalModelName } from "./domain/model-name.js";

const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", "on", "off", ""])
    .default(fallback ? "true" : "false")
    .transform((v) => (v === "" ? fallback : ["true", "1", "yes", "on"].includes(v)));

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const url = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) => (v === "" ? fallback : v))
    .pipe(z.url({ protocol: /^https?$/ }))
    .transform((v) => v.replace(/\/+$/, ""));

const modelName = z.string().transform((v, ctx) => {
  // Canonical form, so `llama3:latest`, `Llama3` and `llama3` are one model (and one session key).
  const canonical = canonicalModelName(v);
  if (canonical === undefined) {
    ctx.addIssue({
      code: "custom",
      message: "must look like an Ollama model name, e.g. llama3 or llama3:8b",
    });
    return z.NEVER;
  }
  return canonical;
});

const ID_LIST_RULE = "must be a comma-separated list of numeric Telegram user ids";

const idList = (v: string): string[] =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const allowList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform(idList)
    .pipe(
      z
        .array(z.string().regex(/^(\d+|\*)$/, `${ID_LIST_RULE}, or * for everyone`))
        .refine((ids) => !ids.includes("*") || ids.length === 1, "* (everyone) must stand alone"),
    );

const ids = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform(idList)
    .pipe(z.array(z.string().regex(/^\d+$/, ID_LIST_RULE)));

/** What a setting is, apart from how it is validated. */
export interface SettingInfo {
  /** The stack sets the value from its own resources: no Terraform variable. */
  readonly stackSets?: true;
  readonly type: "string" | "number" | "bool";
  readonly sensitive?: boolean;
  readonly description: string;
}

/** One handler setting. */
export interface Setting<S extends z.ZodType = z.ZodType> extends SettingInfo {
  /**
   * Terraform variable (`-var name=…` or `TF_VAR_name`): derived from the
   * environment name ({@link variableOf}); absent when the stack sets the value.
   */
  readonly variable?: string;
  /** Absent for required settings. */
  readonly default?: string | number | boolean;
  readonly schema: S;
}

/** A setting with a default: the schema is built from that one value, so the two cannot differ. */
function setting<D extends string | number | boolean, S extends z.ZodType>(
  info: SettingInfo,
  fallback: D,
  schema: (fallback: D) => S,
): Setting<S> {
  return { ...info, default: fallback, schema: schema(fallback) };
}

function required<S extends z.ZodType>(info: SettingInfo, schema: S): Setting<S> {
  return { ...info, schema };
}

/** A setting's Terraform variable: its environment name in lower case (`LOG_LEVEL` → `log_level`). */
export const variableOf = (env: string): string => env.toLowerCase();

/** Adds each setting's Terraform variable, derived from its key, so the name is written once. */
function withVariables<T extends Record<string, Setting>>(table: T): { [K in keyof T]: T[K] } {
  return Object.fromEntries(
    Object.entries(table).map(([env, s]) => [
      env,
      s.stackSets ? s : { ...s, variable: variableOf(env) },
    ]),
  ) as { [K in keyof T]: T[K] };
}

/** Every handler setting, keyed by its environment name. */
export const SETTINGS = withVariables({
  TELEGRAM_BOT_TOKEN: required(
    {
      type: "string",
      sensitive: true,
      description: "Bot token from @BotFather. Required; pass it as TF_VAR_telegram_bot_token.",
    },
    z
      .string({ error: "is required: the token @BotFather gave you" })
      .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, "does not look like a bot token (<digits>:<secret>)"),
  ),
  TELEGRAM_API_URL: setting(
    {
      type: "string",
      description: "Bot API base URL (a self-hosted Bot API server works too).",
    },
    "https://api.telegram.org",
    (d) => url(d),
  ),
  TELEGRAM_WEBHOOK_SECRET: setting(
    {
      type: "string",
      sensitive: true,
      description: "Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (webhook mode).",
    },
    "",
    (d) =>
      z
        .string()
        .regex(
          /^[A-Za-z0-9_-]{0,256}$/,
          "may only contain A-Z, a-z, 0-9, _ and - (Telegram's rule)",
        )
        .default(d),
  ),
  OLLAMA_URL: setting(
    {
      type: "string",
      description: "Ollama server as seen from the Lambda container.",
    },
    "http://host.docker.internal:11434",
    (d) => url(d),
  ),
  DEFAULT_MODEL: setting(
    {
      type: "string",
      description: "Model for users who have not chosen one with /model.",
    },
    "llama3",
    (d) => modelName.default(d),
  ),
  OLLAMA_NUM_CTX: setting(
    {
      type: "number",
      description:
        "Context window (tokens) sent with every request unless /set num_ctx overrides it.",
    },
    8192,
    (d) => int(d, 256, 1_048_576),
  ),
  OLLAMA_NUM_PREDICT: setting(
    {
      type: "number",
      description: "Longest answer in tokens (1-16384) unless a conversation sets num_predict.",
    },
    2048,
    (d) => int(d, 1, 16_384),
  ),
  OLLAMA_KEEP_ALIVE: setting(
    {
      type: "string",
      description: "How long Ollama keeps the model loaded after a reply.",
    },
    "5m",
    (d) => z.string().default(d),
  ),
  SESSIONS_TABLE: setting(
    {
      type: "string",
      stackSets: true,
      description: "DynamoDB table; the stack sets it to the table it creates.",
    },
    "ChatbotSessions",
    (d) => z.string().min(3).default(d),
  ),
  ARCHIVE_BUCKET: setting(
    {
      type: "string",
      stackSets: true,
      description: "S3 bucket for archives; the stack sets it to the bucket it creates.",
    },
    "chatbot-conversations",
    (d) => z.string().min(3).default(d),
  ),
  SESSION_IDLE_MINUTES: setting(
    {
      type: "number",
      description: "An active session untouched this long is archived to S3 and closed.",
    },
    60,
    (d) => z.coerce.number().positive().default(d),
  ),
  ARCHIVE_AFTER_MESSAGES: setting(
    {
      type: "number",
      description: "Messages kept in DynamoDB before older ones move to the S3 archive.",
    },
    40,
    (d) => int(d, 4, 1000),
  ),
  ARCHIVE_AFTER_KB: setting(
    {
      type: "number",
      description: "Size of the DynamoDB message window (KiB) before older messages move to S3.",
    },
    64,
    (d) => int(d, 4, 300),
  ),
  CONTEXT_MESSAGES: setting(
    {
      type: "number",
      description: "Most recent messages sent to the model (then trimmed to fit num_ctx).",
    },
    20,
    (d) => int(d, 2, 200),
  ),
  CLOSED_SESSION_RETENTION_DAYS: setting(
    {
      type: "number",
      description:
        "Days closed-session metadata stays in DynamoDB (TTL; 0 keeps it). S3 keeps the transcript.",
    },
    365,
    (d) => z.coerce.number().min(0).default(d),
  ),
  STREAM_REPLIES: setting(
    {
      type: "bool",
      description: "Show answers growing as the model writes them.",
    },
    true,
    (d) => bool(d),
  ),
  SHOW_STATS: setting(
    {
      type: "bool",
      description: "Add a footer with model, tokens and seconds to every answer.",
    },
    false,
    (d) => bool(d),
  ),
  SHOW_THINKING: setting(
    {
      type: "string",
      description: "Reasoning of thinking models: collapsed (expandable quote) or hidden.",
    },
    "collapsed",
    (d) => z.enum(["collapsed", "hidden"]).default(d),
  ),
  MAX_CONCURRENCY: setting(
    {
      type: "number",
      description: "Chats answered at once per invoke (match OLLAMA_NUM_PARALLEL).",
    },
    4,
    (d) => int(d, 1, 64),
  ),
  MAX_UPDATE_ATTEMPTS: setting(
    {
      type: "number",
      description: "Attempts before an update that keeps failing is given up (its user is told).",
    },
    3,
    (d) => int(d, 1, 20),
  ),
  ALLOWED_USER_IDS: setting(
    {
      type: "string",
      description:
        "Who may chat: empty = closed, the first private-chat user claims the bot; * = everyone; or comma-separated Telegram user ids.",
    },
    "",
    (d) => allowList(d),
  ),
  ADMIN_USER_IDS: setting(
    {
      type: "string",
      description:
        "Comma-separated Telegram user ids allowed to use admin commands (/allow). Empty: the owner, or the first allowed id.",
    },
    "",
    (d) => ids(d),
  ),
  LOG_LEVEL: setting({ type: "string", description: "debug, info, warn or error." }, "info", (d) =>
    z.enum(["debug", "info", "warn", "error"]).default(d),
  ),
});

/** The environment names of every setting. */
export type SettingName = keyof typeof SETTINGS;
