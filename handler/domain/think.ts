/**
 * A conversation's reasoning switch (`/think`): sent to Ollama as `think`.
 * `on`/`off` are Ollama's booleans, the levels its strings; unset, the model
 * decides (Ollama lets a model that can reason do so).
 */
export const THINK_SETTINGS = ["on", "off", "low", "medium", "high"] as const;

/** One of {@link THINK_SETTINGS}. */
export type ThinkSetting = (typeof THINK_SETTINGS)[number];

/** What Ollama's `/api/chat` takes as `think`. */
export type ThinkParam = boolean | "low" | "medium" | "high";

/** True for a value `/think` accepts (also what an imported file may carry). */
export function isThinkSetting(value: unknown): value is ThinkSetting {
  return typeof value === "string" && (THINK_SETTINGS as readonly string[]).includes(value);
}

/**
 * gpt-oss takes reasoning levels only: Ollama ignores `true`/`false` for it
 * (its reasoning cannot be turned off), per Ollama's thinking docs.
 */
export function takesOnlyLevels(model: string): boolean {
  return /^gpt-oss(?:[-:]|$)/.test(model);
}

/** Ollama's `think` for `setting` on `model`; undefined leaves it to the model. */
export function thinkParam(
  setting: ThinkSetting | undefined,
  model: string,
): ThinkParam | undefined {
  switch (setting) {
    case undefined:
      return undefined;
    case "on":
      // Ollama's own level for `true`.
      return takesOnlyLevels(model) ? "medium" : true;
    case "off":
      return false;
    default:
      return setting;
  }
}

/** How `/think` and `/status` name a setting. */
export function describeThink(setting: ThinkSetting | undefined): string {
  switch (setting) {
    case undefined:
      return "the model's default";
    case "on":
    case "off":
      return setting;
    default:
      return `on, ${setting} effort`;
  }
}
