/**
 * What is wrong with a setting, in the words of its rule: the setting's name,
 * the value given (never a sensitive setting's, and never another secret inside
 * it) and what it must be, as `npm start`, the Lambda and `npm run up` say it.
 * The schemas' own messages say each rule; zod's generic ones ("Too small:
 * expected number to be >0") are put in the same words by `readableIssue`.
 */
import type * as z from "zod";
import { SETTINGS, type Setting } from "./settings.js";

export { readableIssue } from "./setting-kinds.js";

/** A longer value is cut: it is shown to be recognised, not to be read whole. */
const SHOWN_CHARS = 60;

/**
 * One line per setting at fault (`NAME ("given") rule`), its rules once each
 * however many of its list entries broke them.
 */
export function settingProblems(
  issues: readonly z.core.$ZodIssue[],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const rules = new Map<string, Set<string>>();
  for (const issue of issues) {
    const name = String(issue.path[0] ?? "");
    rules.set(name, (rules.get(name) ?? new Set()).add(issue.message));
  }
  return [...rules].map(([name, messages]) => {
    const given = shownValue(name, env);
    return `${name}${given === undefined ? "" : ` (${given})`} ${[...messages].join(", and ")}`;
  });
}

/** The value of `name` as it may be shown, quoted; undefined when unset or secret. */
function shownValue(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const raw = env[name];
  const setting = (SETTINGS as Record<string, Setting>)[name];
  if (raw === undefined || setting?.sensitive) return undefined;
  // A secret pasted into the wrong setting (the token into TELEGRAM_API_URL) stays hidden,
  // as does a password in a URL (TRANSCRIBE_URL refuses one: it must not be shown doing so).
  const secrets = Object.entries(SETTINGS as Record<string, Setting>)
    .filter(([other, s]) => s.sensitive && (env[other] ?? "").length > 0)
    .map(([other]) => env[other] as string);
  const safe = secrets
    .reduce((text, secret) => text.split(secret).join("[REDACTED]"), raw)
    .replace(/\/\/[^/@\s]*@/g, "//<user>:<password>@");
  return JSON.stringify(safe.length > SHOWN_CHARS ? `${safe.slice(0, SHOWN_CHARS)}…` : safe);
}
