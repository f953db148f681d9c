/**
 * The handler's settings, one definition each: environment name (the key),
 * Terraform variable, type, default, validation and description. `config.ts`
 * parses the environment with these schemas, `src/variables.ts` turns them into
 * Terraform variables and the Lambda environment, `npm run up`/`destroy` pass
 * them from `.env` to Terraform, and a test holds the README table to them.
 */
import * as z from "zod";
import {
  allowList,
  bool,
  ids,
  int,
  modelName,
  required,
  setting,
  url,
  withVariables,
} from "./setting-kinds.js";

export { type Setting, type SettingInfo, variableOf } from "./setting-kinds.js";

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
  OLLAMA_STALL_SECONDS: setting(
    {
      type: "number",
      description:
        "Seconds of silence after an answer has started streaming before it is given up as stalled (the user is told, the message kept).",
    },
    60,
    (d) => int(d, 1, 900),
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
