import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";

/** One handler setting exposed as a Terraform variable and passed as a Lambda environment variable. */
export interface HandlerSetting {
  /** Terraform variable name (`-var name=…` or `TF_VAR_name`). */
  readonly variable: string;
  /** Environment variable the handler reads. */
  readonly env: string;
  readonly type: "string" | "number" | "bool";
  /** Omitted for required settings. */
  readonly default?: string | number | boolean;
  readonly sensitive?: boolean;
  readonly description: string;
}

/**
 * The handler's runtime settings (the environment contract), in one place.
 * Defaults equal the handler's own defaults (`handler/config.ts`); a test keeps
 * the two in step.
 */
export const HANDLER_SETTINGS: readonly HandlerSetting[] = [
  {
    variable: "telegram_bot_token",
    env: "TELEGRAM_BOT_TOKEN",
    type: "string",
    sensitive: true,
    description: "Bot token from @BotFather. Required; pass it as TF_VAR_telegram_bot_token.",
  },
  {
    variable: "telegram_webhook_secret",
    env: "TELEGRAM_WEBHOOK_SECRET",
    type: "string",
    default: "",
    sensitive: true,
    description: "Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (webhook mode).",
  },
  {
    variable: "telegram_api_url",
    env: "TELEGRAM_API_URL",
    type: "string",
    default: "https://api.telegram.org",
    description: "Bot API base URL (a self-hosted Bot API server works too).",
  },
  {
    variable: "ollama_url",
    env: "OLLAMA_URL",
    type: "string",
    default: "http://host.docker.internal:11434",
    description: "Ollama server as seen from the Lambda container.",
  },
  {
    variable: "default_model",
    env: "DEFAULT_MODEL",
    type: "string",
    default: "llama3",
    description: "Model for users who have not chosen one with /model.",
  },
  {
    variable: "ollama_num_ctx",
    env: "OLLAMA_NUM_CTX",
    type: "number",
    default: 8192,
    description:
      "Context window (tokens) sent with every request unless /set num_ctx overrides it.",
  },
  {
    variable: "ollama_keep_alive",
    env: "OLLAMA_KEEP_ALIVE",
    type: "string",
    default: "5m",
    description: "How long Ollama keeps the model loaded after a reply.",
  },
  {
    variable: "session_idle_minutes",
    env: "SESSION_IDLE_MINUTES",
    type: "number",
    default: 60,
    description: "An active session untouched this long is archived to S3 and closed.",
  },
  {
    variable: "archive_after_messages",
    env: "ARCHIVE_AFTER_MESSAGES",
    type: "number",
    default: 40,
    description: "Messages kept in DynamoDB before older ones move to the S3 archive.",
  },
  {
    variable: "archive_after_kb",
    env: "ARCHIVE_AFTER_KB",
    type: "number",
    default: 64,
    description: "Size of the DynamoDB message window (KiB) before older messages move to S3.",
  },
  {
    variable: "context_messages",
    env: "CONTEXT_MESSAGES",
    type: "number",
    default: 20,
    description: "Most recent messages sent to the model (then trimmed to fit num_ctx).",
  },
  {
    variable: "closed_session_retention_days",
    env: "CLOSED_SESSION_RETENTION_DAYS",
    type: "number",
    default: 365,
    description:
      "Days closed-session metadata stays in DynamoDB (TTL; 0 keeps it). S3 keeps the transcript.",
  },
  {
    variable: "stream_replies",
    env: "STREAM_REPLIES",
    type: "bool",
    default: true,
    description: "Show answers growing as the model writes them.",
  },
  {
    variable: "show_stats",
    env: "SHOW_STATS",
    type: "bool",
    default: false,
    description: "Add a footer with model, tokens and seconds to every answer.",
  },
  {
    variable: "show_thinking",
    env: "SHOW_THINKING",
    type: "string",
    default: "collapsed",
    description: "Reasoning of thinking models: collapsed (expandable quote) or hidden.",
  },
  {
    variable: "max_concurrency",
    env: "MAX_CONCURRENCY",
    type: "number",
    default: 4,
    description: "Chats answered at once per invoke (match OLLAMA_NUM_PARALLEL).",
  },
  {
    variable: "max_update_attempts",
    env: "MAX_UPDATE_ATTEMPTS",
    type: "number",
    default: 3,
    description: "Attempts before an update that keeps failing is given up (its user is told).",
  },
  {
    variable: "allowed_user_ids",
    env: "ALLOWED_USER_IDS",
    type: "string",
    default: "",
    description:
      "Comma-separated Telegram user ids allowed to chat. Empty: ANYONE who finds the bot.",
  },
  {
    variable: "log_level",
    env: "LOG_LEVEL",
    type: "string",
    default: "info",
    description: "debug, info, warn or error.",
  },
];

/** Settings of the function itself (not read by the handler). */
export const FUNCTION_SETTINGS = {
  timeoutSeconds: 300,
  memoryMb: 512,
  logRetentionDays: 14,
  /** -1 is Terraform's "no reservation": the function draws on the account's unreserved pool. */
  reservedConcurrency: -1,
} as const;

/**
 * The stack's Terraform variables: every handler setting plus the function's
 * timeout, memory and log retention. The token variable is `sensitive`, so
 * the synthesized JSON only ever holds a reference to it.
 */
export class BotVariables extends Construct {
  /** Environment of the Lambda function: env name → Terraform expression. */
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: TerraformVariable;
  readonly memoryMb: TerraformVariable;
  readonly logRetentionDays: TerraformVariable;
  readonly reservedConcurrency: TerraformVariable;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.environment = {};
    for (const s of HANDLER_SETTINGS) {
      const v = new TerraformVariable(scope, s.variable, {
        type: s.type,
        description: s.description,
        ...(s.default !== undefined ? { default: s.default } : {}),
        ...(s.sensitive ? { sensitive: true } : {}),
        nullable: false,
      });
      this.environment[s.env] = s.type === "string" ? v.stringValue : `\${var.${s.variable}}`;
    }
    const number = (name: string, value: number, description: string) =>
      new TerraformVariable(scope, name, {
        type: "number",
        default: value,
        description,
        nullable: false,
      });
    this.timeoutSeconds = number(
      "lambda_timeout_seconds",
      FUNCTION_SETTINGS.timeoutSeconds,
      "Lambda timeout. Local models are slow: the bot stops taking work 20 s before it.",
    );
    this.memoryMb = number("lambda_memory_mb", FUNCTION_SETTINGS.memoryMb, "Lambda memory (MB).");
    this.logRetentionDays = number(
      "log_retention_days",
      FUNCTION_SETTINGS.logRetentionDays,
      "Days CloudWatch keeps the function's logs.",
    );
    this.reservedConcurrency = number(
      "reserved_concurrency",
      FUNCTION_SETTINGS.reservedConcurrency,
      "Reserved concurrent executions of the function; -1 (default) reserves none. " +
        "Accounts with the default quota of 10 cannot reserve any.",
    );
  }
}
