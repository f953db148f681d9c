import * as z from "zod";
import { canonicalModelName } from "./domain/model-name.js";
import { ConfigError } from "./errors.js";

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

const schema = z.object({
  TELEGRAM_BOT_TOKEN: z
    .string({ error: "is required: the token @BotFather gave you" })
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, "does not look like a bot token (<digits>:<secret>)"),
  TELEGRAM_API_URL: url("https://api.telegram.org"),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,256}$/, "may only contain A-Z, a-z, 0-9, _ and - (Telegram's rule)")
    .default(""),
  OLLAMA_URL: url("http://host.docker.internal:11434"),
  DEFAULT_MODEL: modelName.default("llama3"),
  OLLAMA_NUM_CTX: int(8192, 256, 1_048_576),
  OLLAMA_NUM_PREDICT: int(2048, 1, 16_384),
  OLLAMA_KEEP_ALIVE: z.string().default("5m"),
  SESSIONS_TABLE: z.string().min(3).default("ChatbotSessions"),
  ARCHIVE_BUCKET: z.string().min(3).default("chatbot-conversations"),
  SESSION_IDLE_MINUTES: z.coerce.number().positive().default(60),
  ARCHIVE_AFTER_MESSAGES: int(40, 4, 1000),
  ARCHIVE_AFTER_KB: int(64, 4, 300),
  CONTEXT_MESSAGES: int(20, 2, 200),
  CLOSED_SESSION_RETENTION_DAYS: z.coerce.number().min(0).default(365),
  STREAM_REPLIES: bool(true),
  SHOW_STATS: bool(false),
  SHOW_THINKING: z.enum(["collapsed", "hidden"]).default("collapsed"),
  MAX_CONCURRENCY: int(4, 1, 64),
  MAX_UPDATE_ATTEMPTS: int(3, 1, 20),
  ALLOWED_USER_IDS: z
    .string()
    .default("")
    .transform(idList)
    .pipe(
      z
        .array(z.string().regex(/^(\d+|\*)$/, `${ID_LIST_RULE}, or * for everyone`))
        .refine((ids) => !ids.includes("*") || ids.length === 1, "* (everyone) must stand alone"),
    ),
  ADMIN_USER_IDS: z
    .string()
    .default("")
    .transform(idList)
    .pipe(z.array(z.string().regex(/^\d+$/, ID_LIST_RULE))),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

/**
 * Who may use the bot. `owner` (ALLOWED_USER_IDS unset): closed by default,
 * the first user who writes in a private chat claims the bot; `everyone`
 * (`*`): open by choice; `list`: those ids (plus any an admin allows).
 */
export type Access =
  | { readonly kind: "owner" }
  | { readonly kind: "everyone" }
  | { readonly kind: "list"; readonly ids: readonly number[] };

/** The validated, read-only settings the handler runs with. */
export interface Config {
  readonly telegram: {
    readonly token: string;
    readonly apiUrl: string;
    readonly webhookSecret: string;
  };
  readonly ollama: {
    readonly url: string;
    readonly numCtx: number;
    /** Longest answer in tokens where a session sets none (`/set num_predict`). */
    readonly numPredict: number;
    readonly keepAlive: string;
  };
  readonly defaultModel: string;
  readonly table: string;
  readonly bucket: string;
  readonly sessions: {
    readonly idleMs: number;
    readonly archiveAfterMessages: number;
    readonly archiveAfterBytes: number;
    readonly contextMessages: number;
    readonly closedRetentionSeconds: number;
  };
  readonly chat: {
    readonly stream: boolean;
    readonly showStats: boolean;
    readonly showThinking: "collapsed" | "hidden";
  };
  readonly maxConcurrency: number;
  readonly maxUpdateAttempts: number;
  /** Who may use the bot (see {@link Access}). */
  readonly access: Access;
  /**
   * Who may use admin commands (`/allow`). Empty: the owner (owner mode) or
   * the first id of the allowlist.
   */
  readonly adminUserIds: ReadonlySet<number>;
  readonly logLevel: "debug" | "info" | "warn" | "error";
}

/**
 * Parses the environment once into a {@link Config}.
 * @throws ConfigError naming every missing or malformed variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiUrl: e.TELEGRAM_API_URL,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
    },
    ollama: {
      url: e.OLLAMA_URL,
      numCtx: e.OLLAMA_NUM_CTX,
      numPredict: e.OLLAMA_NUM_PREDICT,
      keepAlive: e.OLLAMA_KEEP_ALIVE,
    },
    defaultModel: e.DEFAULT_MODEL,
    table: e.SESSIONS_TABLE,
    bucket: e.ARCHIVE_BUCKET,
    sessions: {
      idleMs: Math.round(e.SESSION_IDLE_MINUTES * 60_000),
      archiveAfterMessages: e.ARCHIVE_AFTER_MESSAGES,
      archiveAfterBytes: e.ARCHIVE_AFTER_KB * 1024,
      contextMessages: Math.min(e.CONTEXT_MESSAGES, e.ARCHIVE_AFTER_MESSAGES),
      closedRetentionSeconds: Math.round(e.CLOSED_SESSION_RETENTION_DAYS * 86_400),
    },
    chat: { stream: e.STREAM_REPLIES, showStats: e.SHOW_STATS, showThinking: e.SHOW_THINKING },
    maxConcurrency: e.MAX_CONCURRENCY,
    maxUpdateAttempts: e.MAX_UPDATE_ATTEMPTS,
    access:
      e.ALLOWED_USER_IDS[0] === "*"
        ? { kind: "everyone" }
        : e.ALLOWED_USER_IDS.length === 0
          ? { kind: "owner" }
          : { kind: "list", ids: [...new Set(e.ALLOWED_USER_IDS.map(Number))] },
    adminUserIds: new Set(e.ADMIN_USER_IDS.map(Number)),
    logLevel: e.LOG_LEVEL,
  };
}
