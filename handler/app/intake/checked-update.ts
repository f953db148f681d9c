import type { Update } from "@grammyjs/types";
import * as z from "zod";

const entity = z.object({
  type: z.string(),
  offset: z.number().int().min(0),
  length: z.number().int().min(0),
  user: z.object({ id: z.number() }).optional(),
});

/** A Telegram user as the bot reads one (`from` of a message or a button press). */
export const senderSchema = z.object({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  username: z.string().optional(),
  first_name: z.string().optional(),
  language_code: z.string().optional(),
});

/** A chat as the bot reads one. */
export const chatSchema = z.object({ id: z.number().int(), type: z.string() });

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
  reply_to_message: z.object({ from: z.object({ id: z.number() }).optional() }).optional(),
});

/** A message whose fields the bot reads are present and of the right type. */
export type CheckedMessage = z.infer<typeof messageSchema>;

/** What every checked update carries: its id, as sent, and who and where it came from. */
interface Envelope {
  readonly updateId: number;
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
 * - `malformed`: a message that lacks or mistypes a field (`problem` says which);
 * - `other`: an update that carries no message (an edit, a channel post…).
 */
export type CheckedUpdate =
  | (Envelope & { readonly kind: "message"; readonly message: CheckedMessage })
  | (Envelope & { readonly kind: "malformed"; readonly problem: string })
  | (Envelope & { readonly kind: "other" });

const envelopeSchema = z.object({ update_id: z.number().int().nonnegative() }).passthrough();

/**
 * Checks an event or body that should be an update.
 * @returns undefined when it is not one at all (no numeric `update_id`).
 */
export function parseUpdate(raw: unknown): CheckedUpdate | undefined {
  const envelope = envelopeSchema.safeParse(raw);
  return envelope.success ? checkUpdate(envelope.data as unknown as Update) : undefined;
}

/** Checks an update Telegram sent (or one stored after it was). Never throws. */
export function checkUpdate(raw: Update): CheckedUpdate {
  const envelope = { updateId: raw.update_id, raw, ...senderAndChat(raw) };
  if (raw.message === undefined) return { ...envelope, kind: "other" };
  const parsed = messageSchema.safeParse(raw.message);
  if (parsed.success) return { ...envelope, kind: "message", message: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `message.${issue.path.join(".")}: ` : "";
  return { ...envelope, kind: "malformed", problem: `${where}${issue?.message ?? "invalid"}` };
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
