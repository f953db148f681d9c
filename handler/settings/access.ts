import { allowList, ids, int, setting } from "../setting-kinds.js";

/** Settings: who may use the bot and how much: the allow list, admins, daily limits. Rows of the one table in `handler/settings.ts`. */
export const ACCESS_SETTINGS = {
  ALLOWED_USER_IDS: setting(
    {
      type: "string",
      description:
        "Who may chat: empty = closed, the first private-chat user claims the bot; * = everyone; or comma-separated Telegram user ids.",
    },
    "",
    (d) => allowList(d),
  ),
  ADMIN_USER_IDS: setting(
    {
      type: "string",
      description:
        "Comma-separated Telegram user ids allowed to use admin commands (/allow). Empty: the owner, or the first allowed id.",
    },
    "",
    (d) => ids(d),
  ),
  DAILY_MESSAGE_LIMIT: setting(
    {
      type: "number",
      description:
        "Messages the model answers per user per UTC day (0 = no limit; admins are exempt).",
    },
    0,
    (d) => int(d, 0, 1_000_000),
  ),
  DAILY_TOKEN_LIMIT: setting(
    {
      type: "number",
      description:
        "Prompt plus answer tokens per user per UTC day (0 = no limit; admins are exempt).",
    },
    0,
    (d) => int(d, 0, 1_000_000_000),
  ),
};
