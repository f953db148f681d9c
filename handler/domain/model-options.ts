/**
 * The generation parameters a conversation may carry, with the ranges `/set`
 * allows. Anything that sets options (a `/set`, an imported archive) goes
 * through these same rules, so a file can never hand the model a value a user
 * could not have typed.
 */
import type { ModelOptions } from "./session.js";

/** Longest system prompt accepted, typed or imported (it is sent with every request). */
export const MAX_SYSTEM_PROMPT_CHARS = 4000;

/** The allowed range of one parameter. */
export interface Parameter {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  readonly help: string;
}

/** Generation parameters `/set` accepts, with their allowed ranges. */
export const PARAMETERS: Readonly<Record<keyof ModelOptions, Parameter>> = {
  temperature: { min: 0, max: 2, integer: false, help: "randomness: 0 = focused, 2 = wild" },
  num_ctx: { min: 256, max: 131_072, integer: true, help: "context window in tokens" },
  num_predict: { min: 1, max: 16_384, integer: true, help: "longest answer in tokens" },
  top_p: { min: 0, max: 1, integer: false, help: "nucleus sampling" },
  top_k: { min: 1, max: 1000, integer: true, help: "top-k sampling" },
  seed: { min: 0, max: 2_147_483_647, integer: true, help: "fixed seed for repeatable answers" },
};

/** True when `n` is a value `spec` allows. */
export function isAllowedValue(spec: Parameter, n: number): boolean {
  return (
    Number.isFinite(n) && (!spec.integer || Number.isInteger(n)) && n >= spec.min && n <= spec.max
  );
}

/**
 * Keeps only known parameters with allowed values (what `/set` would have
 * accepted); everything else is dropped, never passed to the model.
 * @returns the kept options and the names that were dropped.
 */
export function sanitizeOptions(raw: Readonly<Record<string, unknown>>): {
  options: ModelOptions;
  dropped: string[];
} {
  const options: Record<string, number> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const spec = Object.hasOwn(PARAMETERS, name)
      ? PARAMETERS[name as keyof ModelOptions]
      : undefined;
    if (spec && typeof value === "number" && isAllowedValue(spec, value)) options[name] = value;
    else dropped.push(name);
  }
  return { options: options as ModelOptions, dropped };
}
