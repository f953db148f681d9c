import { ConfigError } from "./errors.js";
import { SETTINGS } from "./settings.js";

/** Secret settings that may come from SSM Parameter Store: each, and the setting naming its parameter. */
export const SECRET_PARAMETERS = {
  TELEGRAM_BOT_TOKEN: "TELEGRAM_BOT_TOKEN_PARAMETER",
  TELEGRAM_WEBHOOK_SECRET: "TELEGRAM_WEBHOOK_SECRET_PARAMETER",
} as const;

/** A setting whose value may be read from an SSM parameter. */
export type SecretSetting = keyof typeof SECRET_PARAMETERS;

/** The environment with secrets read from SSM, and what the operator should hear about it. */
export interface ResolvedSettings {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Parameters that are not SecureStrings (stored unencrypted), to be logged once. */
  readonly warnings: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `env` with each secret whose `…_PARAMETER` setting names an SSM parameter
 * read from Parameter Store (with decryption). The result is a copy: the
 * secret never enters `process.env`, where a child process or a dump would
 * see it. The SSM client's code is imported only here, so a cold start that
 * names no parameter never parses it.
 * @throws ConfigError when a parameter name is malformed, when a secret is
 * set both ways, or when SSM has no such parameter or refuses it.
 */
export async function withSecretsFromSsm(env: Env): Promise<ResolvedSettings> {
  const wanted = (Object.entries(SECRET_PARAMETERS) as [SecretSetting, string][]).flatMap(
    ([setting, parameterSetting]) => {
      const name = env[parameterSetting];
      if (!name) return [];
      const checked = SETTINGS[parameterSetting as keyof typeof SETTINGS].schema.safeParse(name);
      if (!checked.success)
        throw new ConfigError(
          `Invalid configuration: ${parameterSetting} ${checked.error.issues[0]?.message ?? "is invalid"}`,
        );
      if (env[setting])
        throw new ConfigError(
          `Invalid configuration: both ${setting} and ${parameterSetting} are set; keep one (the parameter keeps the secret out of the function's environment).`,
        );
      return [{ setting, name, parameterSetting }];
    },
  );
  if (wanted.length === 0) return { env, warnings: [] };
  const { readParameters } = await import("./adapters/ssm-parameters.js");
  const values = await readParameters(
    wanted.map(({ name, parameterSetting }) => ({ name, setting: parameterSetting })),
  );
  const resolved: Record<string, string | undefined> = { ...env };
  const warnings: string[] = [];
  wanted.forEach(({ setting, name, parameterSetting }, i) => {
    const read = values[i];
    if (!read) return;
    resolved[setting] = read.value;
    if (read.type !== "SecureString")
      warnings.push(
        `${parameterSetting} names "${name}", a ${read.type} parameter: its value is stored unencrypted; make it a SecureString.`,
      );
  });
  return { env: resolved, warnings };
}
