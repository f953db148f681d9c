import { ConfigError } from "./errors.js";
import { SECRET_PARAMETERS, SETTINGS, type SecretSetting } from "./settings.js";

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
 * set both ways, when SSM has no such parameter or refuses it, or when the
 * value it holds is not valid for its setting.
 */
export async function withSecretsFromSsm(env: Env): Promise<ResolvedSettings> {
  const wanted = (Object.keys(SECRET_PARAMETERS) as SecretSetting[]).flatMap((setting) => {
    const parameterSetting = SECRET_PARAMETERS[setting];
    const name = env[parameterSetting];
    if (!name) return [];
    const checked = SETTINGS[parameterSetting].schema.safeParse(name);
    if (!checked.success)
      throw new ConfigError(
        `Invalid configuration: ${parameterSetting} ${checked.error.issues[0]?.message ?? "is invalid"}`,
      );
    if (env[setting])
      throw new ConfigError(
        `Invalid configuration: both ${setting} and ${parameterSetting} are set; keep one (the parameter keeps the secret out of the function's environment).`,
      );
    return [{ setting, name, parameterSetting }];
  });
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
    // Checked here so the error names the parameter; the value itself is never said.
    const valid = SETTINGS[setting].schema.safeParse(read.value);
    if (!valid.success)
      throw new ConfigError(
        `Invalid configuration: ${setting}, read from the SSM parameter "${name}" (${parameterSetting}), ${valid.error.issues[0]?.message ?? "is invalid"}`,
      );
    resolved[setting] = read.value;
    if (read.type !== "SecureString")
      warnings.push(
        `${parameterSetting} names "${name}", a ${read.type} parameter: its value is stored unencrypted; make it a SecureString.`,
      );
  });
  return { env: resolved, warnings };
}
