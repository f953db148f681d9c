/**
 * Secrets in SSM Parameter Store, as rows of the settings table: Parameter
 * Store's naming rules, and the row `X_PARAMETER` derived for every setting
 * `X` marked `sensitive` (see `settings.ts`).
 */
import * as z from "zod";
import { type Setting, setting } from "./setting-kinds.js";

/**
 * What is wrong with an SSM parameter name, by Parameter Store's rules
 * (PutParameter's `Name`), or undefined when nothing is. Checked at synth and
 * by the handler, so a typo is named before AWS refuses it.
 */
export function parameterNameProblem(name: string): string | undefined {
  if (name.length > 1011) return "is longer than 1011 characters";
  if (!/^[A-Za-z0-9_.\-/]+$/.test(name)) return "may only contain A-Z, a-z, 0-9, _ . - and /";
  if (name.includes("/") && !name.startsWith("/"))
    return "must start with / when it has a path, e.g. /chatbot/telegram-token";
  if (/^\/?(aws|ssm)/i.test(name)) return "may not start with aws or ssm";
  if (name.split("/").length - 1 > 15) return "has more than 15 levels";
  return undefined;
}

/** The name of an SSM parameter (Parameter Store's rules); empty means none. */
export const parameterName = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .superRefine((name, ctx) => {
      const problem = name === "" ? undefined : parameterNameProblem(name);
      if (problem) ctx.addIssue({ code: "custom", message: `${problem} (an SSM parameter name)` });
    });

/** The setting naming the SSM parameter that may hold a sensitive one (`OLLAMA_URL` → `OLLAMA_URL_PARAMETER`). */
export const parameterOf = <K extends string>(env: K): `${K}_PARAMETER` => `${env}_PARAMETER`;

/** The names of a table's sensitive settings. */
export type SecretKeys<T> = {
  [K in keyof T]: T[K] extends { readonly sensitive: true } ? K : never;
}[keyof T] &
  string;

/** A table with, for each sensitive setting, the setting naming its SSM parameter. */
export type WithSecretParameters<T> = T & {
  readonly [K in SecretKeys<T> as `${K}_PARAMETER`]: Setting<ReturnType<typeof parameterName>>;
};

/** What a parameter setting is for: said once, for every secret. */
const parameterDescription = (env: string): string =>
  `Name of an SSM SecureString holding ${env}, read with decryption once per cold start instead of ${env} (into the config, never into the environment); the stack sets it, and the grant to read that parameter only, from the synth-time setting of the same name.`;

/**
 * `table` with a row `X_PARAMETER` added for every sensitive setting `X`, so
 * that each secret can live in SSM Parameter Store by being marked
 * `sensitive`, and in no other way: the handler reads the named parameter
 * (`settings-from-ssm.ts`), the stack sets the name and grants reading it
 * (`src/secret-parameters.ts`), and X's own Terraform variable is dropped.
 */
export function withSecretParameters<T extends Record<string, Setting>>(
  table: T,
): WithSecretParameters<T> {
  const rows = Object.entries(table).flatMap(([env, s]) =>
    s.sensitive
      ? [
          [
            parameterOf(env),
            setting(
              { type: "string", stackSets: true, description: parameterDescription(env) },
              "",
              (d) => parameterName(d),
            ),
          ] as const,
        ]
      : [],
  );
  return { ...table, ...Object.fromEntries(rows) } as WithSecretParameters<T>;
}

/** Each sensitive setting of `table`, and the setting naming its parameter. */
export function secretParametersOf<T extends Record<string, Setting>>(
  table: T,
): { readonly [K in SecretKeys<T>]: `${K}_PARAMETER` } {
  return Object.fromEntries(
    Object.entries(table).flatMap(([env, s]) => (s.sensitive ? [[env, parameterOf(env)]] : [])),
  ) as { readonly [K in SecretKeys<T>]: `${K}_PARAMETER` };
}
