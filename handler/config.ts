import * as z from "zod";
import type { KeepAlive } from "./domain/keep-alive.js";
import type { OptionCeilings } from "./domain/model-options.js";
import { OllamaServer } from "./domain/ollama-server.js";
import type { DailyLimits } from "./domain/usage.js";
import { ConfigError } from "./errors.js";
import { readableIssue, settingProblems } from "./setting-problems.js";
import { SETTINGS } from "./settings.js";

const schema = z.object(
  Object.fromEntries(Object.entries(SETTINGS).map(([name, s]) => [name, s.schema])) as {
    [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]["schema"];
  },
);

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
    /**
     * The servers (`OLLAMA_URL`, at least one, in the order listed): each one's
     * public URL, and the credentials only its requests carry.
     */
    readonly servers: readonly OllamaServer[];
    /** Answers the bot asks of one server at once (`OLLAMA_PARALLEL`). */
    readonly parallel: number;
    readonly numCtx: number;
    /** Longest answer in tokens where a session sets none (`/set num_predict`). */
    readonly numPredict: number;
    /** The most `num_ctx` and `num_predict` a session may carry (`/set`, imports, requests). */
    readonly ceilings: OptionCeilings;
    /** Ollama's `keep_alive`: seconds (a JSON number) or a Go duration (a string). */
    readonly keepAlive: KeepAlive;
    /** Longest silence once an answer streams, in ms: a longer one means a stuck runner. */
    readonly stallMs: number;
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
    /** How answers are shown while written (`STREAM_MODE`; `off` also when STREAM_REPLIES=false). */
    readonly streamMode: "draft" | "edit" | "off";
    readonly showStats: boolean;
    readonly showThinking: "collapsed" | "hidden";
    /** Answers as rich messages where the Bot API server has them (`RICH_MESSAGES=auto`). */
    readonly richMessages: boolean;
  };
  /** Limits on what users send besides text. */
  readonly media: {
    readonly imageMaxBytes: number;
    readonly documentMaxBytes: number;
    readonly documentMaxChars: number;
  };
  /** Voice notes and audio files, heard through an OpenAI-compatible speech-to-text server. */
  readonly voice: {
    /** Base URL including `/v1`; empty when no server is configured. */
    readonly transcribeUrl: string;
    readonly model: string;
    /** Bearer key; empty for servers without one. */
    readonly apiKey: string;
    readonly maxSeconds: number;
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
  /** Per user per UTC day; 0 = no limit. Admins are exempt. */
  readonly limits: DailyLimits;
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /**
   * The secrets of every setting marked `sensitive` (the token, the webhook
   * secret, the transcription key, the password in OLLAMA_URL): the logger
   * redacts each wherever it appears.
   */
  readonly secrets: readonly string[];
}

/** Each default with the ceiling it may not exceed, and the `/set` parameter both are about. */
const CEILINGS = [
  ["OLLAMA_NUM_CTX", "OLLAMA_MAX_NUM_CTX", "num_ctx"],
  ["OLLAMA_NUM_PREDICT", "OLLAMA_MAX_NUM_PREDICT", "num_predict"],
] as const;

/**
 * Settings in `env` that are each valid but contradict each other (a default
 * above its ceiling; unset or empty means the default), one message each,
 * naming both settings. `npm run up` runs it too, before it deploys.
 */
export function settingConflicts(env: Readonly<Record<string, string | undefined>>): string[] {
  return CEILINGS.flatMap(([setting, ceiling, option]) => {
    const value = SETTINGS[setting].schema.safeParse(env[setting] || undefined);
    const max = SETTINGS[ceiling].schema.safeParse(env[ceiling] || undefined);
    // A malformed one is reported on its own.
    if (!value.success || !max.success || value.data <= max.data) return [];
    return [
      `${setting} (${value.data}) is above ${ceiling} (${max.data}), the largest ${option} anyone may set: lower ${setting} or raise ${ceiling}`,
    ];
  });
}

/**
 * Parses the environment once into a {@link Config}.
 * @throws ConfigError naming every missing or malformed variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = schema.safeParse(env, { error: readableIssue });
  if (!parsed.success) {
    const problems = settingProblems(parsed.error.issues, env);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const conflicts = settingConflicts(env);
  if (conflicts.length > 0) throw new ConfigError(`Invalid configuration: ${conflicts.join("; ")}`);
  return {
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiUrl: e.TELEGRAM_API_URL,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
    },
    ollama: {
      servers: e.OLLAMA_URL,
      parallel: e.OLLAMA_PARALLEL,
      numCtx: e.OLLAMA_NUM_CTX,
      numPredict: e.OLLAMA_NUM_PREDICT,
      ceilings: { num_ctx: e.OLLAMA_MAX_NUM_CTX, num_predict: e.OLLAMA_MAX_NUM_PREDICT },
      keepAlive: e.OLLAMA_KEEP_ALIVE,
      stallMs: e.OLLAMA_STALL_SECONDS * 1000,
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
    chat: {
      streamMode: e.STREAM_REPLIES ? e.STREAM_MODE : "off",
      showStats: e.SHOW_STATS,
      showThinking: e.SHOW_THINKING,
      richMessages: e.RICH_MESSAGES === "auto",
    },
    media: {
      imageMaxBytes: e.IMAGE_MAX_BYTES,
      documentMaxBytes: e.DOCUMENT_MAX_BYTES,
      documentMaxChars: e.DOCUMENT_MAX_CHARS,
    },
    voice: {
      transcribeUrl: e.TRANSCRIBE_URL,
      model: e.TRANSCRIBE_MODEL,
      apiKey: e.TRANSCRIBE_API_KEY,
      maxSeconds: e.VOICE_MAX_SECONDS,
    },
    maxConcurrency: e.MAX_CONCURRENCY,
    maxUpdateAttempts: e.MAX_UPDATE_ATTEMPTS,
    access:
      e.ALLOWED_USER_IDS[0] === "*"
        ? { kind: "everyone" }
        : e.ALLOWED_USER_IDS.length === 0
          ? { kind: "owner" }
          : { kind: "list", ids: [...new Set(e.ALLOWED_USER_IDS.map(Number))] },
    adminUserIds: new Set(e.ADMIN_USER_IDS.map(Number)),
    limits: { messages: e.DAILY_MESSAGE_LIMIT, tokens: e.DAILY_TOKEN_LIMIT },
    logLevel: e.LOG_LEVEL,
    secrets: Object.entries(SETTINGS).flatMap(([name, s]) =>
      s.sensitive ? secretsOf(e[name as keyof typeof e]) : [],
    ),
  };
}

/**
 * What of a sensitive setting's value is secret: a string whole; Ollama
 * servers only their passwords (public URLs are said in logs and replies).
 */
function secretsOf(value: unknown): readonly string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value))
    return value.flatMap((v: unknown) => (v instanceof OllamaServer ? v.secrets() : []));
  return [];
}
