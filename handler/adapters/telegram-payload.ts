import type { InlineButton } from "../app/ports.js";

/*
 * The parts of a Bot API request the Telegram gateway (`telegram.ts`) builds
 * the same way for every kind of message.
 */

/** Into the message's forum topic, when it came from one. */
export function inTopic(threadId: number | undefined) {
  return threadId !== undefined ? { message_thread_id: threadId } : {};
}

/** Quotes the message answered, if any; a deleted one is no reason to fail. */
export function replyTo(messageId: number | undefined) {
  return messageId
    ? { reply_parameters: { message_id: messageId, allow_sending_without_reply: true } }
    : {};
}

/** `reply_markup` for inline buttons, one per row; none when there are none. */
export function keyboard(buttons: readonly InlineButton[] | undefined) {
  if (!buttons || buttons.length === 0) return {};
  return {
    reply_markup: {
      inline_keyboard: buttons.map((b) => [{ text: b.text, callback_data: b.data }]),
    },
  };
}
