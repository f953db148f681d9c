import { canonicalModelName } from "../../domain/model-name.js";
import { escapeHtml } from "../../format/index.js";
import { withTimeLimit } from "../../time-limit.js";
import { DELIVERY_RESERVE_MS } from "../conversation/chat.js";
import { say, sayHtml, type Turn } from "../conversation/turn.js";
import { labels, offerOrSay } from "./offer.js";

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
 * `/models`: each model any server has, once, with its parameters, size and
 * capabilities (and, with several servers, the ones that have it); the current one marked.
 */
export async function showModels(turn: Turn): Promise<undefined> {
  const profile = await turn.conversations.profile(turn.msg);
  const offer = await offerOrSay(turn);
  if (!offer) return undefined;
  const several = offer.reports.length > 1;
  const away =
    offer.unreachable.length > 0
      ? `\n\n⚠️ Not reachable now, so their models are not listed: ${labels(offer.unreachable.map((r) => r.server))}`
      : "";
  if (offer.models.length === 0) {
    await say(
      turn,
      `No models are installed on ${several ? "the Ollama servers" : "the Ollama server"} yet. Pull one with: ollama pull llama3${away}`,
    );
    return undefined;
  }
  // One /api/show per model, cached: a model whose lookup fails is listed all the same.
  const capabilities = await withTimeLimit(lookupMs(turn), [], (signal) =>
    Promise.all(
      offer.models.map((m) =>
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
  const lines = offer.models.map((m, i) => {
    const mark = m.name === profile.currentModel ? "✅" : "▫️";
    const facts = [
      ...(m.info.parameterSize ? [m.info.parameterSize] : []),
      formatSize(m.info.sizeBytes),
      describeCapabilities(capabilities[i]),
      ...(several ? [`on ${labels(m.servers)}`] : []),
    ];
    return `${mark} <code>${escapeHtml(m.name)}</code> · ${escapeHtml(facts.join(" · "))}`;
  });
  await sayHtml(
    turn,
    `<b>Installed models</b>\n${lines.join("\n")}\n\nSwitch with /model &lt;name&gt;.${escapeHtml(away)}`,
  );
  return undefined;
}

/** How long a lookup may take: 10 s, less when the turn must soon deliver. */
function lookupMs(turn: Turn): number {
  return Math.min(10_000, turn.deadline - Date.now() - DELIVERY_RESERVE_MS);
}
