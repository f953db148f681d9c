import { withTimeLimit } from "../../time-limit.js";
import type { Turn } from "../conversation/turn.js";

/** Installed models asked about at most (each one `/api/show`, cached). */
const MAX_MODELS_ASKED = 24;

/**
 * What to tell a user whose current model cannot see: the installed models
 * that can (so `/model <name>` is one step away), or how to get one. Never
 * fails: when Ollama cannot list its models, the advice to pull one remains.
 */
export async function noVisionReply(turn: Turn, model: string): Promise<string> {
  const { services, log } = turn;
  let seeing: string[] = [];
  try {
    const installed = await withTimeLimit(10_000, [], (signal) =>
      services.model.listModels(services.config.ollama.server, signal),
    );
    const names = installed.slice(0, MAX_MODELS_ASKED).map((m) => m.name);
    const checked = await Promise.all(
      names.map(async (name) =>
        (await services.capabilities.canSee(name).catch(() => false)) ? name : undefined,
      ),
    );
    seeing = checked.filter((n): n is string => n !== undefined);
  } catch (err) {
    log.warn("could not list models that can see", { error: String(err) });
  }
  const head = `🖼 ${model} can't look at images, so I didn't send it yours.`;
  if (seeing.length > 0) {
    const list = seeing.map((n) => `• ${n.replace(/:latest$/, "")}`).join("\n");
    return `${head} These installed models can:\n${list}\nSwitch with /model ${seeing[0]?.replace(/:latest$/, "")} and send the image again.`;
  }
  return `${head} None of the installed models can see images: an admin can add one with /pull llava (or \`ollama pull llava\` on the server), then /model llava.`;
}
