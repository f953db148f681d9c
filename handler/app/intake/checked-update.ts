import type { Update } from "@grammyjs/types";
import * as z from "zod";

const entity = z.object({
  type: z.string(),
  offset: z.number().int().min(0),
  length: z.number().int().min(0),
  user: z.object({ id: z.number() }).optional(),
});

/** A Telegram user as the bot reads one (`from` of a message or a button press). */
const senderSchema = z.object({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  username: z.string().optional(),
  first_name: z.string().optional(),
  language_code: z.string().optional(),
});

/** A chat as the bot reads one. */
const chatSchema = z.object({ id: z.number().int(), type: z.string() });

/** A voice note or audio file: the fields both carry that the bot reads. */
const audioFile = z.object({
  file_id: z.string(),
  duration: z.number().int().min(0),
  mime_type: z.string().optional(),
  file_size: z.number().optional(),
});

const messageSchema = z.object({
  message_id: z.number().int(),
  from: senderSchema,
  chat: chatSchema,
  message_thread_id: z.number().int().optional(),
  is_topic_message: z.boolean().optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(entity).optional(),
  caption_entities: z.array(entity).optional(),
  document: z
    .object({
      file_id: z.string(),
      file_name: z.string().optional(),
      mime_type: z.string().optional(),
      file_size: z.number().optional(),
    })
    .optional(),
  photo: z
    .array(
      z.object({
        file_id: z.string(),
        width: z.number().int(),
        height: z.number().int(),
        file_size: z.number().optional(),
      }),
    )
    .min(1)
    .optional(),
  voice: audioFile.optional(),
  audio: audioFile.extend({ file_name: z.string().optional() }).optional(),
  reply_to_message: z.object({ from: z.object({ id: z.number() }).optional() }).optional(),
});

/** A message whose fields the bot reads are present and of the right type. */
export type CheckedMessage = z.infer<typeof messageSchema>;

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

/** A press of one of the bot's inline buttons (`callback_query`), with the fields the bot reads. */
export type CheckedPress = z.infer<typeof pressSchema>;

const draftStopSchema = z.object({
  // Drafts exist only in private chats, where the chat is the user.
  chat: z.object({ id: z.number().int(), type: z.literal("private") }),
  message_thread_id: z.number().int().optional(),
  draft_id: z.number().int(),
});

/** Telegram's own Stop on a draft (`stopped_message_generation`), with the fields the bot reads. */
export type CheckedDraftStop = z.infer<typeof draftStopSchema>;

/** The update fields the bot acts on. */
export type UpdateField = "message" | "callback_query" | "stopped_message_generation";

/** What every checked update carries: its id, as sent, and who and where it came from. */
interface Envelope {
  readonly updateId: number;
  /**
   * When the bot took it on (epoch ms): the poller's `getUpdates`, or the
   * ledger's record of a webhook delivery; an update read back from storage
   * keeps its first time (see `domain/update-stamp.ts`).
   */
  readonly receivedAt: number;
  /** The update as Telegram sent it: what the poller state and the ledger store. */
  readonly raw: Update;
  /** The chat it came from, when it names one (lanes order a chat's updates). */
  readonly chatId?: number;
  /** Who sent it, when it says (a user's sessions have one writer). */
  readonly senderId?: number;
}

/**
 * An update checked once where it enters (poll, webhook, queued invoke, or
 * read back from storage): inner code reads these fields without guards.
 * - `message`: a message with everything the bot reads, valid;
 * - `press`: a press of one of the bot's buttons, valid;
 * - `draft_stop`: Telegram's Stop on a draft, valid;
 * - `malformed`: one of those three that lacks or mistypes a field (`field`
 *   says which of them it is, `problem` what is wrong);
 * - `other`: an update the bot does not act on (an edit, a channel post…).
 */
export type CheckedUpdate =
  | (Envelope & { readonly kind: "message"; readonly message: CheckedMessage })
  | (Envelope & { readonly kind: "press"; readonly press: CheckedPress })
  | (Envelope & { readonly kind: "draft_stop"; readonly draftStop: CheckedDraftStop })
  | (Envelope & {
      readonly kind: "malformed";
      readonly field: UpdateField;
      readonly problem: string;
    })
  | (Envelope & { readonly kind: "other" });

const envelopeSchema = z.object({ update_id: z.number().int().nonnegative() }).passthrough();

/**
 * Checks an event or body that should be an update, taken on at `receivedAt`.
 * @returns undefined when it is not one at all (no numeric `update_id`).
 */
export function parseUpdate(raw: unknown, receivedAt: number): CheckedUpdate | undefined {
  const envelope = envelopeSchema.safeParse(raw);
  return envelope.success ? checkUpdate(envelope.data as unknown as Update, receivedAt) : undefined;
}

/** Checks an update Telegram sent (or one stored after it was), taken on at `receivedAt`. Never throws. */
export function checkUpdate(raw: Update, receivedAt: number): CheckedUpdate {
  const envelope = { updateId: raw.update_id, receivedAt, raw, ...senderAndChat(raw) };
  if (raw.callback_query !== undefined) {
    const parsed = pressSchema.safeParse(raw.callback_query);
    if (parsed.success) return { ...envelope, kind: "press", press: parsed.data };
    return { ...envelope, ...malformed("callback_query", parsed.error) };
  }
  if (raw.stopped_message_generation !== undefined) {
    const parsed = draftStopSchema.safeParse(raw.stopped_message_generation);
    if (parsed.success) return { ...envelope, kind: "draft_stop", draftStop: parsed.data };
    return { ...envelope, ...malformed("stopped_message_generation", parsed.error) };
  }
  if (raw.message === undefined) return { ...envelope, kind: "other" };
  const parsed = messageSchema.safeParse(raw.message);
  if (parsed.success) return { ...envelope, kind: "message", message: parsed.data };
  return { ...envelope, ...malformed("message", parsed.error) };
}

/** What failed the check, named by its path (`message.chat: …`) for the operator's log. */
function malformed(
  field: UpdateField,
  error: z.ZodError,
): { kind: "malformed"; field: UpdateField; problem: string } {
  const issue = error.issues[0];
  const where = [field, ...(issue?.path ?? [])].join(".");
  return { kind: "malformed", field, problem: `${where}: ${issue?.message ?? "invalid"}` };
}

/** Reads ids leniently: a malformed message still has a lane (its chat or its sender) if it names one. */
function senderAndChat(u: Update): { chatId?: number; senderId?: number } {
  const from: unknown = (u.message?.from ?? u.edited_message?.from ?? u.callback_query?.from)?.id;
  const chat: unknown = (
    u.message ??
    u.edited_message ??
    u.callback_query?.message ??
    u.channel_post
  )?.chat?.id;
  return {
    ...(typeof chat === "number" ? { chatId: chat } : {}),
    ...(typeof from === "number" ? { senderId: from } : {}),
  };
}
