/**
 * The Telegram update types the bot handles, sent as `allowed_updates`
 * wherever updates are subscribed to (setWebhook, getUpdates). Telegram keeps
 * the previous filter when the parameter is omitted, so a token used before
 * with another filter would otherwise never deliver messages.
 */
export const HANDLED_UPDATES: readonly ["message"] = ["message"];
