/**
 * The Telegram update types the bot handles, sent as `allowed_updates`
 * wherever updates are subscribed to (setWebhook, getUpdates). Telegram keeps
 * the previous filter when the parameter is omitted, so a token used before
 * with another filter would otherwise never deliver messages.
 */
export const HANDLED_UPDATES = [
  "message",
  // Button presses: Stop under a streaming answer, Cancel under a model download.
  "callback_query",
  // Telegram's own Stop on a streamed draft (Bot API 10.3).
  "stopped_message_generation",
] as const;
