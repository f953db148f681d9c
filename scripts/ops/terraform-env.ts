/**
 * The bridge from `.env` and the environment to Terraform: every handler
 * setting that is a Terraform variable is passed as `TF_VAR_<variable>`, so
 * what `.env` says is what gets deployed (not silently the variable's default).
 */
import { settingConflicts } from "../../handler/config.js";
import { SETTINGS, type Setting } from "../../handler/settings.js";
import { OperatorError } from "./lib.js";

/**
 * `TF_VAR_…` for every handler setting set (non-empty) in `env`, each checked
 * with the handler's own validation first (and the settings that must agree,
 * such as a default and its ceiling), so a typo fails here with the setting's
 * name instead of in the deployed function.
 * @throws OperatorError naming every malformed setting.
 */
export function terraformVariables(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const vars: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(SETTINGS) as [string, Setting][]) {
    const raw = env[name];
    if (s.variable === undefined || raw === undefined || raw === "") continue;
    const parsed = s.schema.safeParse(raw);
    if (!parsed.success) {
      problems.push(`${name} ${parsed.error.issues[0]?.message ?? "is invalid"}`);
      continue;
    }
    // Terraform's bool accepts only true/false; the handler also accepts yes/no/1/0/on/off.
    vars[`TF_VAR_${s.variable}`] = s.type === "bool" ? String(parsed.data) : raw;
  }
  if (problems.length === 0) problems.push(...settingConflicts(env));
  if (problems.length > 0)
    throw new OperatorError(
      `Fix these settings (in .env or the environment): ${problems.join("; ")}`,
    );
  return vars;
}
