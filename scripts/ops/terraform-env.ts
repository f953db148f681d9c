/**
 * The bridge from `.env` and the environment to Terraform: every handler
 * setting that is a Terraform variable is passed as `TF_VAR_<variable>`, so
 * what `.env` says is what gets deployed (not silently the variable's default).
 */
import { settingConflicts } from "../../handler/config.js";
import { readableIssue, settingProblems } from "../../handler/setting-problems.js";
import { SECRET_PARAMETERS, SETTINGS, type Setting } from "../../handler/settings.js";
import { OperatorError } from "./lib.js";

/** The settings naming a secret's SSM parameter: no variable (the stack sets them), but checked here too. */
const PARAMETER_SETTINGS: ReadonlySet<string> = new Set(Object.values(SECRET_PARAMETERS));

/**
 * `TF_VAR_…` for every handler setting set (non-empty) in `env`, each checked
 * with the handler's own validation first (and the settings that must agree,
 * such as a default and its ceiling), so a typo fails here with the setting's
 * name instead of in the deployed function; a secret's `…_PARAMETER` name is
 * checked too, before synth would refuse it halfway through a deploy.
 * @throws OperatorError naming every malformed setting.
 */
export function terraformVariables(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const vars: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(SETTINGS) as [string, Setting][]) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    if (s.variable === undefined && !PARAMETER_SETTINGS.has(name)) continue;
    const parsed = s.schema.safeParse(raw, { error: readableIssue });
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ ...i, path: [name, ...i.path] }));
      problems.push(...settingProblems(issues, env));
      continue;
    }
    // Terraform's bool accepts only true/false; the handler also accepts yes/no/1/0/on/off.
    if (s.variable) vars[`TF_VAR_${s.variable}`] = s.type === "bool" ? String(parsed.data) : raw;
  }
  if (problems.length === 0) problems.push(...settingConflicts(env));
  if (problems.length > 0)
    throw new OperatorError(
      `Fix these settings (in .env or the environment): ${problems.join("; ")}`,
    );
  return vars;
}
