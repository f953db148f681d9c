import type { Logger } from "../../log.js";
import type { ChatGateway } from "../ports.js";

const TYPING_REFRESH_MS = 4_500;
const TYPING_DELAY_MS = 500;

/**
 * Sends "typing…" after a moment and then every 4.5 s (it fades after 5 s)
 * until stopped. An answer ready within the moment needs no indicator, which
 * saves a Telegram call on every quick reply.
 */
export function keepTyping(
  telegram: ChatGateway,
  where: { readonly chatId: number; readonly threadId?: number },
  log: Logger,
): { stop(): void } {
  const send = () => {
    telegram
      .sendTyping(where.chatId, where.threadId)
      .catch((err: unknown) => log.debug("typing failed", { error: String(err) }));
  };
  let timer: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    send();
    timer = setInterval(send, TYPING_REFRESH_MS);
    timer.unref?.();
  }, TYPING_DELAY_MS);
  first.unref?.();
  return {
    stop: () => {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
