/**
 * The model `npm run demo` talks to when no Ollama answers: the project's own
 * fake Ollama (`__tests__/harness/fake-ollama.ts`, faithful to Ollama's API:
 * NDJSON streaming, `/api/tags`, `/api/show`, `/api/pull`), serving one
 * model, {@link STAND_IN_MODEL}, whose every answer says it is a stand-in. It
 * writes slowly on purpose, so that an answer visibly grows and Stop can be
 * pressed; asked for a long story, it writes for about half a minute; asked
 * for a table (or formatting, a formula), it "reasons" first, as a thinking
 * model does, then answers with a heading, a table and formulas.
 */
import { type ChatBody, FakeOllama, type Reply } from "../../__tests__/harness/fake-ollama.js";
import { canonicalModelName } from "../../handler/domain/model-name.js";
import type { OllamaServer } from "../../handler/domain/ollama-server.js";
import { SETTINGS } from "../../handler/settings.js";
import { installedModels, LOCAL_OLLAMA_URL } from "../hints.js";

/** The stand-in's one model (pulled models answer the same way). */
const STAND_IN_MODEL = "demo-stand-in";

/** The first line of every stand-in answer. */
const STAND_IN_LABEL = "🧪 **Stand-in model**: the demo's built-in echo, not a language model.";

/** Which model server the demo uses, and what to tell the person about it. */
export interface ModelChoice {
  /** OLLAMA_URL for the bot. */
  readonly url: string;
  /** DEFAULT_MODEL for the bot, when the demo picks it. */
  readonly defaultModel?: string;
  /** One line for the terminal and the page. */
  readonly description: string;
  /** The stand-in, when no Ollama answered; the demo closes it at the end. */
  readonly standIn?: FakeOllama;
}

/**
 * Uses the Ollama at `OLLAMA_URL` (default {@link LOCAL_OLLAMA_URL}) when it
 * lists a model, else starts the stand-in. With a real Ollama that lacks
 * the default model and no DEFAULT_MODEL set, its first model is the default.
 */
export async function chooseModel(
  env: Readonly<Record<string, string | undefined>>,
): Promise<ModelChoice> {
  const configured = env.OLLAMA_URL || LOCAL_OLLAMA_URL;
  // Public URLs only (a password in OLLAMA_URL goes in the request, never on screen).
  const servers = parsedServers(configured);
  const url =
    servers?.map((s) => s.url).join(", ") ?? configured.replace(/^([^/]*\/\/)?[^/@]*@/, "$1");
  const lists = await Promise.all((servers ?? []).map((s) => installedModels(s)));
  const names = lists.some((l) => l !== undefined)
    ? [...new Set(lists.flatMap((l) => l ?? []))]
    : undefined;
  const first = names?.[0];
  if (names && first !== undefined) {
    const fallback = canonicalModelName(String(SETTINGS.DEFAULT_MODEL.default));
    const keep = env.DEFAULT_MODEL || names.some((n) => canonicalModelName(n) === fallback);
    return {
      url: configured,
      ...(keep ? {} : { defaultModel: first }),
      description: `Model: Ollama at ${url} (${names.join(", ")})`,
    };
  }
  const standIn = await startStandIn();
  return {
    url: standIn.url,
    defaultModel: STAND_IN_MODEL,
    description: `Model: the built-in stand-in "${STAND_IN_MODEL}" (no Ollama answered at ${url}; it only echoes, to show the bot at work)`,
    standIn,
  };
}

async function startStandIn(): Promise<FakeOllama> {
  const ollama = await FakeOllama.start();
  ollama.setModels([STAND_IN_MODEL]);
  ollama.setModelDetails(STAND_IN_MODEL, {
    sizeBytes: 1_024,
    parameterSize: "stand-in",
    // "thinking": its reasoning comes in Ollama's `message.thinking`, as a reasoning model's does.
    capabilities: ["completion", "vision", "thinking"],
  });
  ollama.setDefaultReply(standInReply);
  // About 120 characters a second: an answer grows over a few seconds.
  ollama.chunkSize = 12;
  ollama.chunkDelayMs = 100;
  // A /pull lasts about ten seconds, long enough to press Cancel.
  ollama.pullSteps = 30;
  ollama.pullDelayMs = 300;
  return ollama;
}

/** What the stand-in answers: its label, what it received, and what to try next. */
function standInReply(body: ChatBody): Reply {
  const last = body.messages.filter((m) => m.role === "user").at(-1);
  const said = (last?.content ?? "").replace(/\s+/g, " ").trim();
  const quoted = said.length > 160 ? `${said.slice(0, 160)}…` : said;
  const images = last?.images?.length ?? 0;
  const lines = [STAND_IN_LABEL, ""];
  if (images > 0) {
    lines.push(
      `I received ${images === 1 ? "a photo" : `${images} photos`}; a vision model (llava, on Ollama) would describe ${images === 1 ? "it" : "them"}.`,
    );
  }
  if (quoted) lines.push(`You wrote ${said.length} characters: “${quoted}”`);
  if (/\b(long|story)\b/i.test(said)) return [...lines, "", story().join("\n\n")].join("\n");
  if (/\b(tables?|formatting|rich|formulas?|math)\b/i.test(said)) return showcase();
  lines.push(
    "",
    "I write slowly on purpose, so you can watch the answer grow. Things to try:",
    "- ask for **a long story**, then press Stop",
    "- ask for **a table**: I reason first, then show rich formatting",
    "- `/pull llava`, then press ✖️ Cancel",
    "- 📎 a photo or a text file",
    "- `/help` for every command",
    "",
    "Run Ollama (`ollama serve`, or set OLLAMA_URL) and start the demo again for real answers.",
  );
  return lines.join("\n");
}

function story(): string[] {
  const paragraphs = 12;
  return Array.from(
    { length: paragraphs },
    (_, i) =>
      `**Part ${i + 1} of ${paragraphs}.** Once more the stand-in model repeats itself: it has no story to tell, only words to send one small piece at a time, so that the draft keeps growing until you press Stop.`,
  );
}

/** `OLLAMA_URL`'s servers read as the bot reads them; undefined when it is not a list of URLs. */
function parsedServers(raw: string): readonly OllamaServer[] | undefined {
  const parsed = SETTINGS.OLLAMA_URL.schema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Rich formatting for show, after a little "reasoning" (what a thinking
 * model's draft shows first, and its answer keeps folded under the text).
 */
function showcase(): Reply {
  const thinking = [
    "Stand-in reasoning, for show: a thinking model (qwen3, deepseek-r1) writes its reasoning first.",
    "The draft shows it while it thinks; the answer keeps it folded at the end.",
    "The stand-in has nothing to weigh, so it only says where reasoning goes, slowly enough to read.",
  ].join(" ");
  const content = [
    STAND_IN_LABEL,
    "",
    "## Rich formatting, for show",
    "",
    "| Markdown | Shown as |",
    "|:--|:--:|",
    "| `## Title` | a heading |",
    "| a pipe table | this table |",
    "| `$a^2+b^2=c^2$` | $a^2+b^2=c^2$ |",
    "",
    "$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$",
    "",
    "Prices stay text: $5 and $10.",
    "",
    "- [x] a task list",
    "- [ ] real answers: run Ollama",
    "",
    "```ts",
    'const model = "stand-in";',
    "```",
  ].join("\n");
  return { thinking, content };
}
