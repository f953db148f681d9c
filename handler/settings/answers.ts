import * as z from "zod";
import { bool, setting } from "../setting-kinds.js";

/** Settings: how answers look in the chat: streaming, the stats footer, reasoning. Rows of the one table in `handler/settings.ts`. */
export const ANSWER_SETTINGS = {
  STREAM_REPLIES: setting(
    {
      type: "bool",
      description: "Show answers growing as the model writes them (false: STREAM_MODE=off).",
    },
    true,
    (d) => bool(d),
  ),
  STREAM_MODE: setting(
    {
      type: "string",
      description:
        "How answers grow: draft (native drafts in private chats, edits in groups), edit (a message edited as it grows) or off. STREAM_REPLIES=false also means off.",
    },
    "draft",
    (d) => z.enum(["draft", "edit", "off"]).default(d),
  ),
  SHOW_STATS: setting(
    {
      type: "bool",
      description: "Add a footer with model, tokens and seconds to every answer.",
    },
    false,
    (d) => bool(d),
  ),
  RICH_MESSAGES: setting(
    {
      type: "string",
      description:
        "Answers as Telegram rich messages (tables, headings, formulas; Bot API 10.1): auto (where the Bot API server has them, else HTML) or off (always HTML).",
    },
    "auto",
    (d) => z.enum(["auto", "off"]).default(d),
  ),
  SHOW_THINKING: setting(
    {
      type: "string",
      description: "Reasoning of thinking models: collapsed (expandable quote) or hidden.",
    },
    "collapsed",
    (d) => z.enum(["collapsed", "hidden"]).default(d),
  ),
};
