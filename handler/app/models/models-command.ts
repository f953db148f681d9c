import { canonicalModelName } from "../../domain/model-name.js";
import { ModelError } from "../../errors.js";
import { escapeHtml } from "../../format/index.js";
import { withTimeLimit } from "../../time-limit.js";
import { DELIVERY_RESERVE_MS } from "../conversation/chat.js";
import { describeModelError } from "../conversation/model-errors.js";
import { say, sayHtml, type Turn } from "../conversation/turn.js";
import type { ModelInfo } from "../ports.js";

/** The capabilities `/models` names; `completion` (every chat model has it) goes unsaid. */
const SHOWN_CAPABILITIES = ["vision", "thinking", "tools"] as const;

/** `4661224676` → `4.7 GB`, in Ollama's own (decimal) units. */
export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

/** What a model can do, in words: `vision, tools`, `text only`, or unknown when `/api/show` failed. */
export function describeCapabilities(capabilities: readonly string[] | undefined): string {
  if (capabilities === undefined) return "capabilities unknown";
  const shown = SHOWN_CAPABILITIES.filter((c) => capabilities.includes(c));
  return shown.length > 0 ? shown.join(", ") : "text only";
}

/**
 * The canonical form of the model name a user typed (`/model`, `/pull`), or
 * undefined after telling them it is not a valid one.
 */
export async function modelNameFrom(turn: Turn, text: string): Promise<string | undefined> {
  const name = canonicalModelName(text);
  if (name) return name;
  await say(
    turn,
    `"${text.slice(0, 100)}" is not a valid model name. Model names look like llama3 or llama3:8b.`,
  );
  return undefined;
}

/**
 * The models installed on the configured Ollama server (never a host a session
 * recorded), asked with `ms` to answer. @throws ModelError
 */
export function installedModels(turn: Turn, ms: number): Promise<ModelInfo[]> {
  return withTimeLimit(ms, [], (signal) =>
    turn.services.model.listModels(turn.services.config.ollama.server, signal),
  );
}

/**
 * The models installed on the configured Ollama server, or undefined after
 * telling the user it could not be reached.
 */
export async function listModels(turn: Turn): Promise<ModelInfo[] | undefined> {
  const { server } = turn.services.config.ollama;
  try {
    return await installedModels(turn, lookupMs(turn));
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    await say(turn, describeModelError(err, server).split("\n")[0] ?? "Ollama is not reachable.");
    return undefined;
  }
}

/** `/models`: each installed model with its parameters, size and capabilities; the current one marked. */
export async function showModels(turn: Turn): Promise<undefined> {
  const profile = await turn.conversations.profile(turn.msg);
  const models = await listModels(turn);
  if (!models) return undefined;
  if (models.length === 0) {
    await say(
      turn,
      "No models are installed on the Ollama server yet. Pull one with: ollama pull llama3",
    );
    return undefined;
  }
  // One /api/show per model, cached: a model whose lookup fails is listed all the same.
  const capabilities = await withTimeLimit(lookupMs(turn), [], (signal) =>
    Promise.all(
      models.map((m) =>
        turn.services.capabilities.capabilitiesOf(m.name, signal).catch((err: unknown) => {
          turn.log.warn("could not read a model's capabilities", {
            model: m.name,
            error: String(err),
          });
          return undefined;
        }),
      ),
    ),
  );
  const lines = models.map((m, i) => {
    const name = canonicalModelName(m.name) ?? m.name;
    const mark = name === profile.currentModel ? "✅" : "▫️";
    const facts = [
      ...(m.parameterSize ? [m.parameterSize] : []),
      formatSize(m.sizeBytes),
      describeCapabilities(capabilities[i]),
    ];
    return `${mark} <code>${escapeHtml(name)}</code> · ${escapeHtml(facts.join(" · "))}`;
  });
  await sayHtml(
    turn,
    `<b>Installed models</b>\n${lines.join("\n")}\n\nSwitch with /model &lt;name&gt;.`,
  );
  return undefined;
}

/** How long a lookup may take: 10 s, less when the turn must soon deliver. */
function lookupMs(turn: Turn): number {
  return Math.min(10_000, turn.deadline - Date.now() - DELIVERY_RESERVE_MS);
}
