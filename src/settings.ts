/**
 * Synth-time settings of the stack. Each comes from cdktf context (`cdktf.json`
 * or `-c key=value`) or, when absent there, from the environment variable of
 * the same meaning. Runtime settings of the bot (token, Ollama URL, model, …)
 * are Terraform variables instead; see `variables.ts`.
 */
import { parameterNameProblem } from "../handler/setting-parameters.js";
import { SECRET_PARAMETERS, type SecretSetting } from "../handler/settings.js";
import { namedParameters, type SecretParameters } from "./secret-parameters.js";

/** Where the stack is deployed. */
export type DeployTarget = "localstack" | "aws";

/** Everything that changes what is synthesized. */
export interface StackSettings {
  /** `localstack` (default): fake credentials and endpoints; `aws`: the real thing. */
  readonly target: DeployTarget;
  /** LocalStack edge URL used for every service endpoint. */
  readonly localstackEndpoint: string;
  /** AWS region. */
  readonly region: string;
  /** S3 bucket for archived transcripts. */
  readonly bucketName: string;
  /** DynamoDB table for live sessions. */
  readonly tableName: string;
  /** Lambda function name (its log group is `/aws/lambda/<name>`). */
  readonly functionName: string;
  /** Adds a Lambda function URL for Telegram webhooks. */
  readonly webhook: boolean;
  /** Adds an EventBridge rule that invokes the function every minute. */
  readonly schedule: boolean;
  /**
   * The webhook secret, read only to check it at synth when `webhook` is on
   * (Telegram's rule: 1–256 of `A-Z a-z 0-9 _ -`). Never written into the
   * synthesized JSON: the function gets it from the sensitive Terraform
   * variable `telegram_webhook_secret`. @default undefined
   */
  readonly webhookSecret?: string;
  /**
   * E-mail address subscribed to the alarms' SNS topic (AWS sends it a
   * confirmation first). Without it the topic's ARN is an output to subscribe
   * to. @default undefined
   */
  readonly alarmEmail?: string;
  /**
   * SSM SecureStrings holding secrets, by the sensitive setting each holds
   * (`TELEGRAM_BOT_TOKEN`, `TELEGRAM_WEBHOOK_SECRET`, `OLLAMA_URL`,
   * `TRANSCRIBE_API_KEY`: every row of the handler's table marked `sensitive`),
   * set with `<SETTING>_PARAMETER`: the function reads each at cold start, the
   * role may read exactly those parameters, and the secret is neither a
   * Terraform variable nor in the function's environment. @default {} (each
   * secret is a sensitive Terraform variable)
   */
  readonly secretParameters: SecretParameters;
}

/**
 * Name of the SQS queue that gets asynchronous invocations which failed every
 * attempt (webhook mode's on-failure destination): one rule for the stack and
 * for `npm run failed`, which finds the queue by it.
 */
export const failedUpdatesQueueName = (functionName: string): string =>
  `${functionName}-failed-updates`;

/** Defaults: the names of the design document, LocalStack on localhost. */
export const DEFAULT_SETTINGS: StackSettings = {
  target: "localstack",
  localstackEndpoint: "http://localhost:4566",
  region: "us-east-1",
  bucketName: "chatbot-conversations",
  tableName: "ChatbotSessions",
  functionName: "telegram-bot",
  webhook: false,
  schedule: false,
  secretParameters: {},
};

/** `{ key: value }` when the value is set (not empty), else nothing: unset optional settings stay absent. */
const optional = <K extends keyof StackSettings>(key: K, value: string | undefined) =>
  value ? { [key]: value } : {};

/** A source of raw values: cdktf context first, then environment. */
export type Lookup = (contextKey: string, envKey: string) => string | undefined;

function parseBool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function parseTarget(raw: string | undefined): DeployTarget {
  if (raw === undefined || raw === "") return DEFAULT_SETTINGS.target;
  if (raw === "localstack" || raw === "aws") return raw;
  throw new Error(`DEPLOY_TARGET must be "localstack" or "aws", got "${raw}"`);
}

/** AWS's naming rules, checked at synth so a bad name fails here and not halfway through a deploy. */
const NAME_RULES: readonly {
  key: keyof StackSettings;
  setting: string;
  re: RegExp;
  rule: string;
}[] = [
  {
    key: "bucketName",
    setting: "ARCHIVE_BUCKET_NAME",
    re: /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    rule: "3–63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
  },
  {
    key: "tableName",
    setting: "SESSIONS_TABLE_NAME",
    re: /^[A-Za-z0-9_.-]{3,255}$/,
    rule: "3–255 letters, digits, '_', '.' and '-'",
  },
  {
    key: "functionName",
    setting: "FUNCTION_NAME",
    re: /^[A-Za-z0-9_-]{1,64}$/,
    rule: "1–64 letters, digits, '_' and '-'",
  },
];

/** Telegram's rule for `secret_token` (setWebhook): 1–256 characters, A-Z a-z 0-9 _ -. */
export const WEBHOOK_SECRET_RE = /^[A-Za-z0-9_-]{1,256}$/;
/** The rule in words, for error messages and the Terraform variable's validation. */
export const WEBHOOK_SECRET_RULE = "1–256 characters, only A-Z, a-z, 0-9, _ and -";

/**
 * Webhook mode without a usable secret would answer every delivery 401 (an
 * empty one) or be refused by Telegram's setWebhook (a malformed one): refused
 * at synth, before anything is deployed. The value itself is never echoed.
 * @throws Error naming the setting, the rule and how to make a secret.
 */
export function checkWebhookSecret(secret: string | undefined): void {
  if (secret === undefined || secret === "")
    throw new Error(
      "ENABLE_WEBHOOK=true needs TELEGRAM_WEBHOOK_SECRET (or TF_VAR_telegram_webhook_secret): " +
        `Telegram sends it with every delivery and the function refuses requests without it. Use ${WEBHOOK_SECRET_RULE}, e.g. the output of "openssl rand -hex 32".`,
    );
  if (!WEBHOOK_SECRET_RE.test(secret))
    throw new Error(
      `TELEGRAM_WEBHOOK_SECRET is not a valid webhook secret (${secret.length} characters): Telegram accepts ${WEBHOOK_SECRET_RULE}, e.g. the output of "openssl rand -hex 32".`,
    );
}

/** An address SNS can send to: one @, no spaces, a dot in the domain. */
const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function validate(settings: StackSettings): StackSettings {
  if (settings.alarmEmail !== undefined && !EMAIL_RE.test(settings.alarmEmail))
    throw new Error(
      `ALARM_EMAIL "${settings.alarmEmail}" is not an e-mail address: the alarms' SNS topic would refuse to subscribe it.`,
    );
  for (const [secret, name] of namedParameters(settings.secretParameters)) {
    const problem = parameterNameProblem(name);
    if (problem)
      throw new Error(
        `${SECRET_PARAMETERS[secret]} "${name}" is not a valid SSM parameter name: it ${problem}.`,
      );
  }
  for (const { key, setting, re, rule } of NAME_RULES) {
    const value = String(settings[key]);
    if (!re.test(value)) throw new Error(`${setting} "${value}" is not a valid name: use ${rule}.`);
  }
  if (!/^https?:\/\/[^\s/]+/.test(settings.localstackEndpoint))
    throw new Error(
      `LOCALSTACK_ENDPOINT "${settings.localstackEndpoint}" must be an http(s) URL, e.g. http://localhost:4566.`,
    );
  return settings;
}

/** Context keys kept as they were when only these two secrets could live in SSM; the others' are derived. */
const PARAMETER_CONTEXT_KEYS: Partial<Record<SecretSetting, string>> = {
  TELEGRAM_BOT_TOKEN: "tokenParameter",
  TELEGRAM_WEBHOOK_SECRET: "webhookSecretParameter",
};

/**
 * The context key of a secret's parameter setting: its name in camelCase
 * (`OLLAMA_URL_PARAMETER` → `ollamaUrlParameter`), but `tokenParameter` and
 * `webhookSecretParameter` for the token and the webhook secret.
 */
export const parameterContextKey = (secret: SecretSetting): string =>
  PARAMETER_CONTEXT_KEYS[secret] ??
  SECRET_PARAMETERS[secret].toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The secrets whose `<SETTING>_PARAMETER` is set, each with the parameter's name. */
function readSecretParameters(lookup: Lookup): SecretParameters {
  return Object.fromEntries(
    (Object.keys(SECRET_PARAMETERS) as SecretSetting[]).flatMap((secret) => {
      const name = lookup(parameterContextKey(secret), SECRET_PARAMETERS[secret]);
      return name ? [[secret, name]] : [];
    }),
  );
}

/**
 * Reads the settings. Context keys: `target`, `localstackEndpoint`, `region`,
 * `bucketName`, `tableName`, `functionName`, `webhook`, `schedule`, `alarmEmail`,
 * and one per secret's parameter ({@link parameterContextKey}). Environment:
 * `DEPLOY_TARGET`, `LOCALSTACK_ENDPOINT`, `AWS_REGION`, `ARCHIVE_BUCKET_NAME`,
 * `SESSIONS_TABLE_NAME`, `FUNCTION_NAME`, `ENABLE_WEBHOOK`, `ENABLE_SCHEDULE`,
 * `ALARM_EMAIL`, `<SETTING>_PARAMETER` for each sensitive handler setting
 * (`TELEGRAM_BOT_TOKEN_PARAMETER`, `OLLAMA_URL_PARAMETER`, …), and
 * `TELEGRAM_WEBHOOK_SECRET` (or `TF_VAR_telegram_webhook_secret`), checked when
 * the webhook is on and no parameter holds it.
 * @throws Error naming the setting and the rule when a value is malformed.
 */
export function readSettings(lookup: Lookup): StackSettings {
  const d = DEFAULT_SETTINGS;
  const str = (ctx: string, env: string, fallback: string): string => {
    const v = lookup(ctx, env);
    return v === undefined || v === "" ? fallback : v;
  };
  return validate({
    target: parseTarget(lookup("target", "DEPLOY_TARGET")),
    localstackEndpoint: str("localstackEndpoint", "LOCALSTACK_ENDPOINT", d.localstackEndpoint),
    region: str("region", "AWS_REGION", d.region),
    bucketName: str("bucketName", "ARCHIVE_BUCKET_NAME", d.bucketName),
    tableName: str("tableName", "SESSIONS_TABLE_NAME", d.tableName),
    functionName: str("functionName", "FUNCTION_NAME", d.functionName),
    webhook: parseBool("ENABLE_WEBHOOK", lookup("webhook", "ENABLE_WEBHOOK"), d.webhook),
    schedule: parseBool("ENABLE_SCHEDULE", lookup("schedule", "ENABLE_SCHEDULE"), d.schedule),
    webhookSecret:
      lookup("webhookSecret", "TELEGRAM_WEBHOOK_SECRET") ||
      lookup("webhookSecret", "TF_VAR_telegram_webhook_secret"),
    ...optional("alarmEmail", lookup("alarmEmail", "ALARM_EMAIL")),
    secretParameters: readSecretParameters(lookup),
  });
}
