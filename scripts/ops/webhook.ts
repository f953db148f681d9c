/**
 * `npm run webhook -- set <function-url> | delete | info`: switches the bot
 * between webhook mode (Telegram calls the function URL, see ENABLE_WEBHOOK)
 * and polling. Uses TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET.
 */
import { Api, GrammyError } from "grammy";
import { HANDLED_UPDATES } from "../../handler/app/intake/update-types.js";
import { type Io, OperatorError, processIo, runIfMain } from "./lib.js";

/** A parsed command line. */
export type WebhookCommand =
  | { action: "set"; url: string }
  | { action: "delete" }
  | { action: "info" };

/** The ports Telegram sends webhooks to (Bot API, setWebhook). */
const WEBHOOK_PORTS = ["443", "80", "88", "8443"];

/** Parses `set <https url>`, `delete` or `info`. */
export function parseWebhookArgs(argv: readonly string[]): WebhookCommand {
  const [action, url, ...extra] = argv;
  if (extra.length > 0) throw new OperatorError(`Unexpected arguments: ${extra.join(" ")}`);
  if (action === "delete" || action === "info") return { action };
  if (action === "set") {
    if (!url || !/^https:\/\//.test(url))
      throw new OperatorError(
        "Usage: npm run webhook -- set https://<function-url> (Telegram only calls HTTPS URLs)",
      );
    const port = URL.canParse(url) ? new URL(url).port || "443" : "";
    if (!WEBHOOK_PORTS.includes(port))
      throw new OperatorError(
        `Telegram sends webhooks only to ports ${WEBHOOK_PORTS.join(", ")}: ${url} is not one of them.`,
      );
    return { action, url };
  }
  throw new OperatorError("Usage: npm run webhook -- set <https-url> | delete | info");
}

/** Entry point (exported for tests). */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env = process.env,
  io: Io = processIo,
): Promise<number> {
  const command = parseWebhookArgs(argv);
  const token = env.TELEGRAM_BOT_TOKEN;
  if (!token) throw new OperatorError("Set TELEGRAM_BOT_TOKEN first.");
  const api = new Api(token, { apiRoot: env.TELEGRAM_API_URL || "https://api.telegram.org" });
  try {
    if (command.action === "set") {
      const secret = env.TELEGRAM_WEBHOOK_SECRET;
      if (!secret)
        throw new OperatorError(
          "Set TELEGRAM_WEBHOOK_SECRET (A-Z, a-z, 0-9, _ and -) here and in the stack (TF_VAR_telegram_webhook_secret), so the function can tell Telegram from strangers.",
        );
      await api.setWebhook(command.url, {
        secret_token: secret,
        allowed_updates: [...HANDLED_UPDATES],
      });
      io.out(
        `✔ Webhook set to ${command.url}. Polling now answers 409 until "npm run webhook -- delete".`,
      );
    } else if (command.action === "delete") {
      await api.deleteWebhook();
      io.out("✔ Webhook deleted; the bot polls again (npm run invoke / npm run poll).");
    } else {
      const info = await api.getWebhookInfo();
      io.out(
        info.url
          ? `Webhook: ${info.url} (${info.pending_update_count} pending${info.last_error_message ? `, last error: ${info.last_error_message}` : ""})`
          : `No webhook: the bot polls (${info.pending_update_count} pending updates).`,
      );
    }
    return 0;
  } catch (err) {
    // grammY's errors never contain the token; say what Telegram said.
    if (err instanceof GrammyError) throw new OperatorError(`Telegram refused: ${err.description}`);
    throw err;
  }
}

runIfMain(import.meta, () => main());
