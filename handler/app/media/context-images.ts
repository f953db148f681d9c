import type { ContextMessage } from "../conversation/context-window.js";
import type { Turn } from "../conversation/turn.js";
import type { ModelMessage } from "../ports.js";

/**
 * Most images sent with one request: the newest ones in the context. Follow-up
 * questions are about the last photo or two; re-reading every photo of a long
 * conversation from S3 would cost time and memory on each message.
 */
export const MAX_CONTEXT_IMAGES = 4;

/**
 * The context as Ollama takes it: image keys become base64 images (read from
 * S3, or from `fresh` for the image just sent) when the model can see, and are
 * left out when it cannot (its text stays). Only the newest
 * {@link MAX_CONTEXT_IMAGES} are sent; an image missing from S3 is skipped
 * with a log line rather than failing the answer (so does one S3 cannot
 * give: the question still deserves an answer).
 */
export async function withImages(
  turn: Turn,
  model: string,
  messages: readonly ContextMessage[],
  fresh: ReadonlyMap<string, string> = new Map(),
): Promise<ModelMessage[]> {
  const plain = messages.map(({ role, content }): ModelMessage => ({ role, content }));
  const wanted = messages.flatMap((m, i) => (m.imageKeys ?? []).map((key) => ({ i, key })));
  if (wanted.length === 0) return plain;
  let vision: boolean;
  try {
    vision = await turn.services.capabilities.canSee(model);
  } catch (err) {
    // Ollama could not say: the model call that follows will report why; send no images.
    turn.log.warn("could not read the model's capabilities; sending no images", {
      model,
      error: String(err),
    });
    vision = false;
  }
  if (!vision) return plain;
  const chosen = wanted.slice(-MAX_CONTEXT_IMAGES);
  const loaded = await Promise.all(
    chosen.map(async ({ i, key }) => {
      const known = fresh.get(key);
      if (known !== undefined) return { i, data: known };
      const bytes = await turn.services.media.getBytes(key).catch((err: unknown) => {
        turn.log.warn("could not read an image of this conversation", { key, error: String(err) });
        return undefined;
      });
      if (bytes === undefined) {
        turn.log.warn("an image of this conversation is not in storage; answering without it", {
          key,
        });
        return undefined;
      }
      return { i, data: Buffer.from(bytes).toString("base64") };
    }),
  );
  const byMessage = new Map<number, string[]>();
  for (const l of loaded) if (l) byMessage.set(l.i, [...(byMessage.get(l.i) ?? []), l.data]);
  return plain.map((m, i) => {
    const images = byMessage.get(i);
    return images ? { ...m, images } : m;
  });
}
