/**
 * The generation parameters a conversation may carry, with the ranges `/set`
 * allows. Anything that sets options (a `/set`, an imported archive) goes
 * through these same rules, so a file can never hand the model a value a user
 * could not have typed. `num_ctx` and `num_predict` are further held to the
 * admin's ceilings: each distinct `num_ctx` makes a shared Ollama reload the
 * model, with memory growing with it, and `num_predict` bounds an answer's GPU time.
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
  /** `max` is the admin's ceiling, below what the parameter itself allows. */
  readonly capped?: true;
}

/** The largest `num_ctx` and `num_predict` anyone may set (the admin's ceilings). */
export interface OptionCeilings {
  readonly num_ctx: number;
  readonly num_predict: number;
}

/** Generation parameters `/set` accepts, with their allowed ranges. */
export const PARAMETERS: Readonly<Record<keyof ModelOptions, Parameter>> = {
  temperature: { min: 0, max: 2, integer: false, help: "randomness: 0 = focused, 2 = wild" },
  num_ctx: { min: 256, max: 1_048_576, integer: true, help: "context window in tokens" },
  num_predict: { min: 1, max: 16_384, integer: true, help: "longest answer in tokens" },
  top_p: { min: 0, max: 1, integer: false, help: "nucleus sampling" },
  top_k: { min: 1, max: 1000, integer: true, help: "top-k sampling" },
  seed: { min: 0, max: 2_147_483_647, integer: true, help: "fixed seed for repeatable answers" },
};

/** {@link PARAMETERS} with `num_ctx` and `num_predict` held to `ceilings`. */
export function parametersWithin(
  ceilings: OptionCeilings,
): Readonly<Record<keyof ModelOptions, Parameter>> {
  const capped = (name: keyof OptionCeilings): Parameter => {
    const spec = PARAMETERS[name];
    return ceilings[name] < spec.max ? { ...spec, max: ceilings[name], capped: true } : spec;
  };
  return { ...PARAMETERS, num_ctx: capped("num_ctx"), num_predict: capped("num_predict") };
}

/** True when `n` is a value `spec` allows. */
export function isAllowedValue(spec: Parameter, n: number): boolean {
  return (
    Number.isFinite(n) && (!spec.integer || Number.isInteger(n)) && n >= spec.min && n <= spec.max
  );
}

/**
 * Keeps only known parameters with allowed values (what `/set` would have
 * accepted under `ceilings`); everything else is dropped, never passed to the model.
 * @returns the kept options and the names that were dropped.
 */
export function sanitizeOptions(
  raw: Readonly<Record<string, unknown>>,
  ceilings: OptionCeilings,
): {
  options: ModelOptions;
  dropped: string[];
} {
  const allowed = parametersWithin(ceilings);
  const options: Record<string, number> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const spec = Object.hasOwn(allowed, name) ? allowed[name as keyof ModelOptions] : undefined;
    if (spec && typeof value === "number" && isAllowedValue(spec, value)) options[name] = value;
    else dropped.push(name);
  }
  return { options: options as ModelOptions, dropped };
}
