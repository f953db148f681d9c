import { isPermanentFailure, UpdateTooLargeError } from "../../errors.js";
import type { CheckedUpdate } from "../intake/checked-update.js";
import type { Replier } from "./replies.js";

/**
 * Tells a user that their update was given up (after `MAX_UPDATE_ATTEMPTS`
 * attempts, or at once when retrying cannot help), so a message never vanishes
 * without a word. Only a (valid) message has somebody to tell; nothing else can fail.
 */
export async function tellGivenUp(
  replier: Replier,
  update: CheckedUpdate,
  err: unknown,
): Promise<void> {
  if (update.kind !== "message") return;
  const { chat, is_topic_message, message_thread_id } = update.message;
  const topic = is_topic_message ? message_thread_id : undefined;
  await replier.text({ chatId: chat.id, threadId: topic }, givenUpText(err));
}

/** The apology for a given-up update; says whether sending it again can help. */
export function givenUpText(err: unknown): string {
  if (err instanceof UpdateTooLargeError) {
    return `😞 Sorry, your message is too large for me (${Math.ceil(err.bytes / 1024)} KB; I can take at most ${err.limit / 1024} KB), so I skipped it. Please send something shorter.`;
  }
  const reason = err instanceof Error ? err.name : "an internal error";
  const what = isPermanentFailure(err)
    ? `the database refused to store it (${reason}), and trying again cannot fix that`
    : `after several attempts (${reason})`;
  return `😞 Sorry, I couldn't process your message: ${what}. I've moved on so the bot keeps working; please send it again later.`;
}
