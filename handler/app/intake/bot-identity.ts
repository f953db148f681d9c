import type { ChatGateway } from "../ports.js";
import type { BotIdentity } from "./addressing.js";

/**
 * The bot's identity, asked of Telegram (`getMe`) on first need and kept for
 * the life of the process; a failed ask is forgotten, so the next need asks
 * again instead of failing forever.
 */
export function cachedIdentity(telegram: Pick<ChatGateway, "getMe">): () => Promise<BotIdentity> {
  let identity: Promise<BotIdentity> | undefined;
  return () => {
    identity ??= telegram.getMe().catch((err: unknown) => {
      identity = undefined;
      throw err;
    });
    return identity;
  };
}
