/**
 * What `npm start` tells a new user about the two settings they set first,
 * `TELEGRAM_BOT_TOKEN` and `OLLAMA_URL`: each hint names the setting that is
 * wrong and shows a value that works.
 */
import { canonicalModelName } from "../handler/domain/model-name.js";
import type { OllamaServer } from "../handler/domain/ollama-server.js";
import { EXAMPLE_BOT_TOKEN, EXAMPLE_TOKEN_RULE } from "../handler/settings/telegram.js";
import { withTimeLimit } from "../handler/time-limit.js";

/** Ollama as seen from a process on this machine (the Lambda default is host.docker.internal). */
export const LOCAL_OLLAMA_URL = "http://127.0.0.1:11434";

/**
 * Hints for a configuration the handler refused, one per setting at fault.
 * @param problem the ConfigError's message (it names each variable at fault).
 */
export function configHints(
  problem: string,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const hints: string[] = [];
  // The example token's refusal says what to do itself; its shape is no news to that user.
  if (problem.includes("TELEGRAM_BOT_TOKEN") && !problem.includes(EXAMPLE_TOKEN_RULE)) {
    hints.push(
      `Set TELEGRAM_BOT_TOKEN (from @BotFather), e.g. TELEGRAM_BOT_TOKEN=${EXAMPLE_BOT_TOKEN} npm start, or put it in .env`,
    );
  }
  if (problem.includes("OLLAMA_URL")) {
    // A user and password stay out of the hint: it shows where they go, not what they are.
    const value = (env.OLLAMA_URL ?? "").replace(/^([^/]*\/\/)?[^/@]*@/, "$1<user>:<password>@");
    hints.push(
      /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
        ? `OLLAMA_URL must be an http:// or https:// address of Ollama, e.g. OLLAMA_URL=${LOCAL_OLLAMA_URL}`
        : `OLLAMA_URL needs http:// in front: OLLAMA_URL=http://${value.replace(/^\/+/, "")}`,
    );
  }
  return hints;
}

/**
 * Asks `server` for its models and says, in one line, whether it is a usable
 * Ollama: not reachable, reachable but not Ollama, no models, or the default
 * model missing. The line names the server by its public URL (no password).
 */
export async function checkOllama(server: OllamaServer, defaultModel: string): Promise<string> {
  const { url } = server;
  const answer = await withTimeLimit(3_000, [], async (signal) => {
    let res: Response;
    try {
      res = await fetch(`${url}/api/tags`, { headers: server.headers(), signal });
    } catch {
      return undefined;
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      return { status: res.status, refused: true, names: undefined };
    }
    return { status: res.status, refused: false, names: await modelNames(res) };
  });
  if (answer === undefined) {
    return `⚠ Ollama is not reachable at OLLAMA_URL=${url} (is "ollama serve" running? set OLLAMA_URL otherwise). The bot will tell users until it is.`;
  }
  const { status, refused, names } = answer;
  if (refused) {
    return `⚠ Ollama at ${url} (or the proxy in front of it) refused the credentials (HTTP ${status}): check the user and password in OLLAMA_URL. The bot will tell users until they are right.`;
  }
  if (names === undefined) {
    return `⚠ OLLAMA_URL=${url} answers, but not like Ollama (GET /api/tags gave HTTP ${status} without a model list). Point OLLAMA_URL at Ollama: "ollama serve" listens on ${LOCAL_OLLAMA_URL} by default.`;
  }
  if (names.length === 0) {
    return `⚠ Ollama at ${url} has no models yet: run "ollama pull ${defaultModel}"`;
  }
  const installed = names.map((n) => canonicalModelName(n) ?? n);
  if (!installed.includes(defaultModel)) {
    return `⚠ Ollama at ${url} has ${names.join(", ")}, but not DEFAULT_MODEL ${defaultModel}: run "ollama pull ${defaultModel}", or set DEFAULT_MODEL to one of those.`;
  }
  return `Ollama at ${url} has ${names.join(", ")}`;
}

/**
 * The models `server` lists (`GET /api/tags`, with its credentials); undefined
 * when nothing answers there, or not like Ollama.
 */
export async function installedModels(server: OllamaServer): Promise<string[] | undefined> {
  return withTimeLimit(3_000, [], async (signal) => {
    try {
      return await modelNames(
        await fetch(`${server.url}/api/tags`, { headers: server.headers(), signal }),
      );
    } catch {
      return undefined;
    }
  });
}

/** The model names of an `/api/tags` answer; undefined when it is not one. */
async function modelNames(res: Response): Promise<string[] | undefined> {
  if (!res.ok) return undefined;
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return undefined;
  }
  const models = (body as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return undefined;
  return models
    .map((m: unknown) => (m as { name?: unknown } | null)?.name)
    .filter((n): n is string => typeof n === "string");
}
