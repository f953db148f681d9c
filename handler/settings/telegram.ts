import * as z from "zod";
import { required, setting, url } from "../setting-kinds.js";

/**
 * The token `.env.example` and the README show: the right shape, so only this
 * exact value tells a copied example from a real token before Telegram is asked
 * (with no network, `npm start` would otherwise retry getMe with it forever).
 */
export const EXAMPLE_BOT_TOKEN = "123456789:AAH-your-token-from-BotFather";

/** Why {@link EXAMPLE_BOT_TOKEN} is refused: what to do instead. */
export const EXAMPLE_TOKEN_RULE =
  "is the example token from .env.example: replace it with your bot's token from @BotFather";

/** Settings: how the bot reaches Telegram: its token, the Bot API server and the webhook secret. Rows of the one table in `handler/settings.ts`. */
export const TELEGRAM_SETTINGS = {
  TELEGRAM_BOT_TOKEN: required(
    {
      type: "string",
      sensitive: true,
      description:
        "Bot token from @BotFather. Required (unless the function reads it from SSM: TELEGRAM_BOT_TOKEN_PARAMETER); pass it as TF_VAR_telegram_bot_token.",
    },
    z
      .string({ error: "is required: the token @BotFather gave you" })
      .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, "does not look like a bot token (<digits>:<secret>)")
      .refine((token) => token !== EXAMPLE_BOT_TOKEN, EXAMPLE_TOKEN_RULE),
  ),
  TELEGRAM_API_URL: setting(
    {
      type: "string",
      description: "Bot API base URL (a self-hosted Bot API server works too).",
    },
    "https://api.telegram.org",
    (d) => url(d),
  ),
  TELEGRAM_WEBHOOK_SECRET: setting(
    {
      type: "string",
      sensitive: true,
      description: "Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (webhook mode).",
    },
    "",
    (d) =>
      z
        .string()
        .regex(
          /^[A-Za-z0-9_-]{0,256}$/,
          "may only contain A-Z, a-z, 0-9, _ and - (Telegram's rule)",
        )
        .default(d),
  ),
};
