/**
 * The building blocks of the settings table (`settings.ts`): how a setting is
 * described, and the schemas of its kinds (flag, bounded integer, URL, model
 * name, Ollama servers, keep-alive duration, id lists), each built from the setting's one default.
 */
import * as z from "zod";
import { KEEP_ALIVE_RULE, parseKeepAlive } from "./domain/keep-alive.js";
import { canonicalModelName } from "./domain/model-name.js";
import { OllamaServer, ServerUrlError } from "./domain/ollama-server.js";

/** zod's generic issues as rules; a schema's own message wins over these. */
export const readableIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_value":
      return `must be one of ${issue.values
        .filter((v) => v !== "")
        .map(String)
        .join(", ")}`;
    case "too_small":
      return issue.origin === "string"
        ? `must be at least ${issue.minimum} characters long`
        : `must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string"
        ? `must be at most ${issue.maximum} characters long`
        : `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
    case "invalid_type":
      return issue.expected === "number" ? "must be a number" : undefined;
    case "invalid_format":
      return issue.format === "url" ? "must be an http:// or https:// URL" : undefined;
    default:
      return undefined;
  }
};

/** A flag: true/false, 1/0, yes/no, on/off; empty means the default. */
export const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", "on", "off", ""], {
      error: "must be true or false (or yes/no, on/off, 1/0)",
    })
    .default(fallback ? "true" : "false")
    .transform((v) => (v === "" ? fallback : ["true", "1", "yes", "on"].includes(v)));

/** A whole number between `min` and `max`. */
export const int = (fallback: number, min: number, max: number) => {
  const rule = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number(rule).int(rule).min(min, rule).max(max, rule).default(fallback);
};

/**
 * A URL with no whitespace inside: a space there is most likely the rest of a
 * line pasted with it (`TRANSCRIBE_URL=http://…/v1  TRANSCRIBE_MODEL=…` on one
 * `.env` line), which a URL parser would take into the path.
 */
export const withoutSpaces = z
  .string()
  .refine(
    (v) => !/\s/.test(v.trim()),
    "must not contain spaces: put each setting on a line of its own",
  );

/**
 * An http(s) base URL without trailing slashes (the clients append paths to
 * it, so a ?query or #fragment would be lost or break them); empty means the default.
 */
export const url = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) => (v === "" ? fallback : v))
    .pipe(withoutSpaces)
    .pipe(z.url({ protocol: /^https?$/ }))
    .refine((v) => {
      // Refinements run after a failed check too: a malformed URL is reported once, above.
      if (!URL.canParse(v)) return true;
      const parsed = new URL(v);
      return parsed.search === "" && parsed.hash === "";
    }, "must be a base URL, without ?query or #fragment")
    .transform((v) => v.replace(/\/+$/, ""));

/**
 * Ollama servers: comma-separated http(s) base URLs, each perhaps with
 * `user:password@` (basic auth on a reverse proxy), read into
 * {@link OllamaServer}s that keep each password out of everything but that
 * server's requests; empty means the default. A problem names the server by
 * its place in the list, never by its URL (which may hold a password).
 */
export const ollamaServers = (fallback: string) => {
  const one = url(fallback);
  /** One entry's server, or what is wrong with it. */
  const read = (entry: string): OllamaServer | string[] => {
    const parsed = one.safeParse(entry, { error: readableIssue });
    if (!parsed.success) return parsed.error.issues.map((issue) => issue.message);
    try {
      return OllamaServer.parse(parsed.data);
    } catch (err) {
      if (!(err instanceof ServerUrlError)) throw err;
      return [err.message];
    }
  };
  return z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const entries = (v.trim() === "" ? fallback : v)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      if (entries.length === 0) ctx.addIssue({ code: "custom", message: "lists no server" });
      const servers = entries.map(read);
      servers.forEach((server, i) => {
        const where = entries.length > 1 ? `server ${i + 1}: ` : "";
        const same = servers.findIndex(
          (other) => other instanceof OllamaServer && other.url === (server as OllamaServer).url,
        );
        const problems = Array.isArray(server)
          ? server
          : same < i
            ? [`is server ${same + 1} again (list each server once)`]
            : [];
        for (const message of problems) ctx.addIssue({ code: "custom", message: where + message });
      });
      return servers.filter((s): s is OllamaServer => s instanceof OllamaServer);
    });
};

/** Ollama's `keep_alive`: seconds (sent as a number) or a Go duration (sent as a string); empty means the default. */
export const keepAlive = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const parsed = parseKeepAlive(v.trim() === "" ? fallback : v);
      if (parsed === undefined) {
        ctx.addIssue({ code: "custom", message: KEEP_ALIVE_RULE });
        return z.NEVER;
      }
      return parsed;
    });

/** An Ollama model name, in canonical form. */
export const modelName = z.string().transform((v, ctx) => {
  // Canonical form, so `llama3:latest`, `Llama3` and `llama3` are one model (and one session key).
  const canonical = canonicalModelName(v);
  if (canonical === undefined) {
    ctx.addIssue({
      code: "custom",
      message: "must look like an Ollama model name, e.g. llama3 or llama3:8b",
    });
    return z.NEVER;
  }
  return canonical;
});

const ID_LIST_RULE = "must be a comma-separated list of numeric Telegram user ids";

const idList = (v: string): string[] =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** Comma-separated Telegram user ids, or `*` alone for everyone. */
export const allowList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform(idList)
    .pipe(
      z
        .array(z.string().regex(/^(\d+|\*)$/, `${ID_LIST_RULE}, or * for everyone`))
        .refine(
          (ids) => !ids.includes("*") || ids.length === 1,
          "must be * (everyone) alone, or ids without *",
        ),
    );

/** Comma-separated Telegram user ids. */
export const ids = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform(idList)
    .pipe(z.array(z.string().regex(/^\d+$/, ID_LIST_RULE)));

/** What a setting is, apart from how it is validated. */
export interface SettingInfo {
  /** The stack sets the value from its own resources: no Terraform variable. */
  readonly stackSets?: true;
  readonly type: "string" | "number" | "bool";
  /**
   * A secret (a token, a key, a password in a URL): a sensitive Terraform
   * variable, redacted from every log line, and one that may live in an SSM
   * SecureString instead, named by the setting `<NAME>_PARAMETER`
   * (`setting-parameters.ts`).
   */
  readonly sensitive?: true;
  readonly description: string;
}

/** One handler setting. */
export interface Setting<S extends z.ZodType = z.ZodType> extends SettingInfo {
  /**
   * Terraform variable (`-var name=…` or `TF_VAR_name`): derived from the
   * environment name ({@link variableOf}); absent when the stack sets the value.
   */
  readonly variable?: string;
  /** Absent for required settings. */
  readonly default?: string | number | boolean;
  readonly schema: S;
}

/**
 * A setting with a default: the schema is built from that one value, so the
 * two cannot differ. Its info keeps its literal type, so the table's type knows
 * which settings are sensitive ({@link SecretKeys}).
 */
export function setting<
  D extends string | number | boolean,
  S extends z.ZodType,
  I extends SettingInfo,
>(info: I, fallback: D, schema: (fallback: D) => S): Setting<S> & I {
  return { ...info, default: fallback, schema: schema(fallback) };
}

/** A setting without a default: the handler refuses to start without it. */
export function required<S extends z.ZodType, I extends SettingInfo>(
  info: I,
  schema: S,
): Setting<S> & I {
  return { ...info, schema };
}

/** A setting's Terraform variable: its environment name in lower case (`LOG_LEVEL` → `log_level`). */
export const variableOf = (env: string): string => env.toLowerCase();

/** Adds each setting's Terraform variable, derived from its key, so the name is written once. */
export function withVariables<T extends Record<string, Setting>>(
  table: T,
): { [K in keyof T]: T[K] } {
  return Object.fromEntries(
    Object.entries(table).map(([env, s]) => [
      env,
      s.stackSets ? s : { ...s, variable: variableOf(env) },
    ]),
  ) as { [K in keyof T]: T[K] };
}
