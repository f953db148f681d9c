import type { Turn } from "../conversation/turn.js";
import { currentOffer } from "../models/offer.js";

/** Installed models asked about at most (each one `/api/show`, cached). */
const MAX_MODELS_ASKED = 24;

/**
 * What to tell a user whose current model cannot see: the installed models
 * that can, on any server (so `/model <name>` is one step away), or how to
 * get one. A server that cannot list its models is left out (and logged); with
 * none, the advice to pull one remains.
 */
export async function noVisionReply(turn: Turn, model: string): Promise<string> {
  const { services, log } = turn;
  // Any server's models: the image goes to a server that has the model it is sent to.
  const { models, unreachable } = await currentOffer(turn);
  for (const away of unreachable)
    log.warn("could not list a server's models", {
      server: away.server.url,
      error: String(away.error),
    });
  const names = models.slice(0, MAX_MODELS_ASKED).map((m) => m.name);
  const checked = await Promise.all(
    names.map(async (name) =>
      (await services.capabilities.canSee(name).catch(() => false)) ? name : undefined,
    ),
  );
  const seeing = checked.filter((n): n is string => n !== undefined);
  const head = `🖼 ${model} can't look at images, so I didn't send it yours.`;
  if (seeing.length > 0) {
    const list = seeing.map((n) => `• ${n}`).join("\n");
    return `${head} These installed models can:\n${list}\nSwitch with /model ${seeing[0]} and send the image again.`;
  }
  return `${head} None of the installed models can see images: an admin can add one with /pull llava (or \`ollama pull llava\` on the server), then /model llava.`;
}
