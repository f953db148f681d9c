import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { SETTINGS, type SecretSetting, type Setting } from "../handler/settings.js";
import { WEBHOOK_SECRET_RE, WEBHOOK_SECRET_RULE } from "./settings.js";

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
 * The handler's runtime settings that are Terraform variables: derived from
 * the one table of settings (`handler/settings.ts`), so a name, default or
 * description is written once. Table and bucket names come from the stack's
 * own resources instead.
 */
export const HANDLER_SETTINGS: readonly HandlerSetting[] = Object.entries(SETTINGS).flatMap(
  ([env, s]: [string, Setting]) =>
    s.variable === undefined
      ? []
      : [
          {
            variable: s.variable,
            env,
            type: s.type,
            ...(s.default !== undefined ? { default: s.default } : {}),
            ...(s.sensitive ? { sensitive: true } : {}),
            description: s.description,
          },
        ],
);

/** Settings of the function itself (not read by the handler). */
export const FUNCTION_SETTINGS = {
  timeoutSeconds: 300,
  memoryMb: 512,
  logRetentionDays: 14,
  /** -1 is Terraform's "no reservation": the function draws on the account's unreserved pool. */
  reservedConcurrency: -1,
} as const;

/** Settings of {@link BotVariables}. */
export interface BotVariablesProps {
  /**
   * Webhook mode: the secret variable also refuses, at plan, a value Telegram
   * would refuse (synth already checked the one in the environment). @default false
   */
  readonly webhook?: boolean;
  /**
   * Secrets the function reads from SSM parameters instead (e.g.
   * `TELEGRAM_BOT_TOKEN`, `OLLAMA_URL`): no variable, nothing in the environment. @default none
   */
  readonly fromParameters?: readonly SecretSetting[];
}

/** Terraform's own check of the secret, for a `TF_VAR_` set after synth (e.g. a plain `terraform apply`). */
function webhookSecretValidation(variable: string): { condition: string; errorMessage: string } {
  return {
    condition: `\${can(regex("${WEBHOOK_SECRET_RE.source}", var.${variable}))}`,
    errorMessage: `Webhook mode needs ${variable}: ${WEBHOOK_SECRET_RULE} (Telegram's rule), e.g. the output of "openssl rand -hex 32".`,
  };
}

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

  constructor(scope: Construct, id: string, props: BotVariablesProps = {}) {
    super(scope, id);
    this.environment = {};
    for (const s of HANDLER_SETTINGS) {
      if (props.fromParameters?.some((secret) => secret === s.env)) continue;
      const v = new TerraformVariable(scope, s.variable, {
        type: s.type,
        description: s.description,
        ...(s.default !== undefined ? { default: s.default } : {}),
        ...(s.sensitive ? { sensitive: true } : {}),
        nullable: false,
        ...(props.webhook && s.env === "TELEGRAM_WEBHOOK_SECRET"
          ? { validation: [webhookSecretValidation(s.variable)] }
          : {}),
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
