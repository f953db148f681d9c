/**
 * The bot token, checked with Telegram (`getMe`) before `npm start` starts
 * polling: a token Telegram rejects is said once, clearly, instead of a
 * `poll failed … 401` line every few seconds; a Telegram that cannot be
 * reached is retried with backoff, saying what is retried.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { TelegramApiError, TokenRejectedError } from "../handler/errors.js";

/** Waits between attempts when Telegram cannot be reached; the last one repeats. */
export const TOKEN_CHECK_BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000] as const;

/** Who the token belongs to. */
export interface BotAccount {
  readonly id: number;
  readonly username: string;
}

/** Options of {@link checkBotToken}. */
export interface TokenCheckOptions {
  /** Asks Telegram who the bot is (`getMe`). */
  readonly getMe: () => Promise<BotAccount>;
  /** Where Telegram is, for the retry message (never the token). */
  readonly apiUrl: string;
  /** The token, to keep it out of every message. */
  readonly token: string;
  /** Stops retrying (Ctrl-C). */
  readonly signal: AbortSignal;
  readonly say: (line: string) => void;
  readonly backoffMs?: readonly number[];
}

/**
 * Asks Telegram who the bot is until it answers.
 * @returns the bot's account, or `undefined` when stopped while retrying.
 * @throws TokenRejectedError when Telegram says the token is not valid.
 */
export async function checkBotToken(options: TokenCheckOptions): Promise<BotAccount | undefined> {
  const backoff = options.backoffMs ?? TOKEN_CHECK_BACKOFF_MS;
  for (let attempt = 0; !options.signal.aborted; attempt++) {
    try {
      return await options.getMe();
    } catch (err) {
      // The gateway already says so for getMe (TokenRejectedError); a bare 401/404 means the same.
      if (err instanceof TokenRejectedError) throw err;
      if (err instanceof TelegramApiError && (err.code === 401 || err.code === 404)) {
        throw new TokenRejectedError("getMe", err.code, { cause: err });
      }
      const waitMs = backoff[Math.min(attempt, backoff.length - 1)] ?? 1_000;
      const reason = (err instanceof Error ? err.message : String(err))
        .split(options.token)
        .join("[REDACTED]");
      options.say(
        `⚠ Could not check the bot token with Telegram at ${options.apiUrl} (getMe): ${reason}. Retrying in ${waitMs / 1000} s (Ctrl-C stops).`,
      );
      try {
        await sleep(waitMs, undefined, { signal: options.signal });
      } catch {
        // Aborted: the loop condition ends it.
      }
    }
  }
  return undefined;
}
