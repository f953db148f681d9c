import { int, setting } from "../setting-kinds.js";

/** Telegram's download limit for bots (`getFile`): 20 MB. */
export const TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** Settings: how much of a photo or document the bot takes in. Rows of the one table in `handler/settings.ts`. */
export const ATTACHMENT_SETTINGS = {
  IMAGE_MAX_BYTES: setting(
    {
      type: "number",
      description:
        "Largest image (photo or image file) sent to a vision model, in bytes; Telegram lets bots download at most 20 MB.",
    },
    5 * 1024 * 1024,
    (d) => int(d, 1024, TELEGRAM_DOWNLOAD_LIMIT),
  ),
  DOCUMENT_MAX_BYTES: setting(
    {
      type: "number",
      description: "Largest document (text, code or PDF) the bot reads, in bytes (at most 20 MB).",
    },
    10 * 1024 * 1024,
    (d) => int(d, 1024, TELEGRAM_DOWNLOAD_LIMIT),
  ),
  DOCUMENT_MAX_CHARS: setting(
    {
      type: "number",
      description:
        "Characters of a document's text put into the prompt; longer text is cut and the user told.",
    },
    12_000,
    (d) => int(d, 500, 18_000),
  ),
};
