import type { Update } from "@grammyjs/types";
import * as z from "zod";
import type { AddressedMessage, Skip } from "./addressing.js";
import { chatSchema, senderSchema } from "./checked-update.js";

const pressSchema = z.object({
  id: z.string(),
  from: senderSchema,
  // Absent for buttons of inline-mode messages, which this bot never sends.
  message: z.object({
    message_id: z.number().int(),
    chat: chatSchema,
    message_thread_id: z.number().int().optional(),
    is_topic_message: z.boolean().optional(),
  }),
  data: z.string().max(64).optional(),
});

const stoppedSchema = z.object({
  chat: z.object({ id: z.number().int(), type: z.literal("private") }),
  message_thread_id: z.number().int().optional(),
  draft_id: z.number().int(),
});

/**
 * Addresses the updates that control work rather than start it: a button
 * press (`callback_query`) and Telegram's own Stop on a draft
 * (`stopped_message_generation`, private chats only, where the chat is the user).
 * @returns undefined for any other update.
 */
export function addressControl(update: Update): AddressedMessage | Skip | undefined {
  if (update.callback_query) {
    const parsed = pressSchema.safeParse(update.callback_query);
    if (!parsed.success) return { skip: "malformed", detail: "callback_query" };
    const q = parsed.data;
    if (q.from.is_bot) return { skip: "from_bot" };
    const chat = q.message.chat;
    return {
      updateId: update.update_id,
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
  if (update.stopped_message_generation) {
    const parsed = stoppedSchema.safeParse(update.stopped_message_generation);
    if (!parsed.success) return { skip: "malformed", detail: "stopped_message_generation" };
    const s = parsed.data;
    return {
      updateId: update.update_id,
      messageId: 0,
      userId: s.chat.id,
      chatId: s.chat.id,
      isGroup: false,
      ...(s.message_thread_id !== undefined ? { threadId: s.message_thread_id } : {}),
      user: { id: s.chat.id },
      incoming: { kind: "draft_stopped", draftId: s.draft_id },
    };
  }
  return undefined;
}

/**
 * Updates that must not wait behind the chat's running answer: they exist to
 * stop it. A button press, Telegram's draft Stop, and the `/stop` command.
 */
export function isUrgent({ raw: update }: { readonly raw: Update }): boolean {
  if (update.callback_query || update.stopped_message_generation) return true;
  const text = update.message?.text;
  const first = update.message?.entities?.[0];
  if (text === undefined || first?.type !== "bot_command" || first.offset !== 0) return false;
  return /^\/stop(@\w+)?$/i.test(text.slice(0, first.length));
}
