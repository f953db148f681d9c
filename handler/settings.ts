/**
 * The handler's settings, one definition each: environment name (the key),
 * Terraform variable, type, default, validation and description. `config.ts`
 * parses the environment with these schemas, `src/variables.ts` turns them into
 * Terraform variables and the Lambda environment, `npm run up`/`destroy` pass
 * them from `.env` to Terraform, and a test holds the README table to them.
 * The rows live in `settings/`, one file per thing they configure; this is the
 * one table they form, with a row `X_PARAMETER` derived for every sensitive
 * setting `X` (the SSM parameter that may hold it instead).
 */
import { withVariables } from "./setting-kinds.js";
import { type SecretKeys, secretParametersOf, withSecretParameters } from "./setting-parameters.js";
import { ACCESS_SETTINGS } from "./settings/access.js";
import { ANSWER_SETTINGS } from "./settings/answers.js";
import { ATTACHMENT_SETTINGS } from "./settings/attachments.js";
import { OLLAMA_SETTINGS } from "./settings/ollama.js";
import { LOGGING_SETTINGS, RUNNING_SETTINGS } from "./settings/running.js";
import { SESSION_SETTINGS } from "./settings/sessions.js";
import { TELEGRAM_SETTINGS } from "./settings/telegram.js";
import { VOICE_SETTINGS } from "./settings/voice.js";

export { type Setting, type SettingInfo, variableOf } from "./setting-kinds.js";

/** Every handler setting, keyed by its environment name. */
export const SETTINGS = withVariables(
  withSecretParameters({
    ...TELEGRAM_SETTINGS,
    ...OLLAMA_SETTINGS,
    ...SESSION_SETTINGS,
    ...ANSWER_SETTINGS,
    ...ATTACHMENT_SETTINGS,
    ...VOICE_SETTINGS,
    ...RUNNING_SETTINGS,
    ...ACCESS_SETTINGS,
    ...LOGGING_SETTINGS,
  }),
);

/** The environment names of every setting. */
export type SettingName = keyof typeof SETTINGS;

/** A setting marked `sensitive`, which may come from SSM Parameter Store. */
export type SecretSetting = SecretKeys<typeof SETTINGS>;

/**
 * Each sensitive setting, and the setting naming the SSM parameter that may
 * hold it instead (`TELEGRAM_BOT_TOKEN` → `TELEGRAM_BOT_TOKEN_PARAMETER`).
 */
export const SECRET_PARAMETERS = secretParametersOf(SETTINGS);
