import type { UpdateRef } from "../../domain/update-stamp.js";
import type { AddressedMessage, Skip } from "./addressing.js";
import type { CheckedDraftStop, CheckedPress, CheckedUpdate } from "./checked-update.js";

/**
 * Addresses the updates that control work rather than start it: a button
 * press (`callback_query`) and Telegram's own Stop on a draft
 * (`stopped_message_generation`, private chats only, where the chat is the user).
 * Both were checked where they entered (`checked-update.ts`).
 * @returns undefined for any other update.
 */
export function addressControl(update: CheckedUpdate): AddressedMessage | Skip | undefined {
  if (update.kind === "press") return addressPress(update, update.press);
  if (update.kind === "draft_stop") return addressDraftStop(update, update.draftStop);
  return undefined;
}

function addressPress(ref: UpdateRef, q: CheckedPress): AddressedMessage | Skip {
  if (q.from.is_bot) return { skip: "from_bot" };
  const chat = q.message.chat;
  return {
    updateId: ref.updateId,
    receivedAt: ref.receivedAt,
    messageId: q.message.message_id,
    userId: q.from.id,
    chatId: chat.id,
    isGroup: chat.type === "group" || chat.type === "supergroup",
    ...(q.message.is_topic_message && q.message.message_thread_id !== undefined
      ? { threadId: q.message.message_thread_id }
      : {}),
    user: {
      id: q.from.id,
      username: q.from.username,
      firstName: q.from.first_name,
      languageCode: q.from.language_code,
    },
    incoming: { kind: "button", queryId: q.id, data: q.data ?? "" },
  };
}

function addressDraftStop(ref: UpdateRef, s: CheckedDraftStop): AddressedMessage {
  return {
    updateId: ref.updateId,
    receivedAt: ref.receivedAt,
    messageId: 0,
    userId: s.chat.id,
    chatId: s.chat.id,
    isGroup: false,
    ...(s.message_thread_id !== undefined ? { threadId: s.message_thread_id } : {}),
    user: { id: s.chat.id },
    incoming: { kind: "draft_stopped", draftId: s.draft_id },
  };
}

/**
 * Updates that must not wait behind the chat's running answer: they exist to
 * stop it. A button press, Telegram's draft Stop (malformed ones too: they are
 * skipped at once rather than queued in a lane), and the `/stop` command.
 */
export function isUrgent(update: CheckedUpdate): boolean {
  if (update.kind === "press" || update.kind === "draft_stop") return true;
  if (update.kind === "malformed") return update.field !== "message";
  if (update.kind !== "message") return false;
  const { text, entities } = update.message;
  const first = entities?.[0];
  if (text === undefined || first?.type !== "bot_command" || first.offset !== 0) return false;
  return /^\/stop(@\w+)?$/i.test(text.slice(0, first.length));
}
