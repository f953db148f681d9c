import type { Logger } from "../../log.js";
import type { ChatGateway } from "../ports.js";

const TYPING_REFRESH_MS = 4_500;
const TYPING_DELAY_MS = 500;

/**
 * Sends "typing…" after a moment and then every 4.5 s (it fades after 5 s)
 * until stopped. An answer ready within the moment needs no indicator, which
 * saves a Telegram call on every quick reply. A failed indicator (a flood
 * limit, say) is only logged: it must never hold up or fail the answer.
 */
export function keepTyping(
  telegram: ChatGateway,
  chatId: number,
  threadId: number | undefined,
  log: Logger,
): { stop(): void } {
  const send = () => {
    telegram
      .sendTyping(chatId, threadId)
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
