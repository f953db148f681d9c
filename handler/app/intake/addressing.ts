import type { UserMeta } from "../../domain/session.js";
import type { UpdateRef } from "../../domain/update-stamp.js";
import type { CheckedMessage, CheckedUpdate } from "./checked-update.js";
import { addressControl } from "./controls.js";

/** Largest text the bot accepts from a user (Telegram's own limit). */
export const MAX_INPUT_CHARS = 4096;

/** One size of a photo, as Telegram offers it (smallest first). */
export interface PhotoSize {
  readonly fileId: string;
  readonly width: number;
  readonly height: number;
  /** Bytes, when Telegram says (it usually does). */
  readonly size?: number;
}

/** A file the user sent (`message.document`). */
export interface IncomingDocument {
  readonly kind: "document";
  readonly fileId: string;
  readonly fileName: string;
  /** Bytes as Telegram reports them (0 when it does not say). */
  readonly size: number;
  readonly mimeType?: string;
  /** The caption, the user's question about the file (a group mention removed). */
  readonly caption?: string;
}

/** A photo the user sent (`message.photo`). */
export interface IncomingPhoto {
  readonly kind: "photo";
  /** Smallest first, as Telegram lists them. */
  readonly sizes: readonly PhotoSize[];
  readonly caption?: string;
}

/**
 * Audio to hear: a voice note (`message.voice`), an audio file
 * (`message.audio`) or a document holding audio.
 */
export interface IncomingVoice {
  readonly kind: "voice";
  readonly source: "voice" | "audio" | "document";
  readonly fileId: string;
  /** Length in seconds as Telegram reports it (a document has none). */
  readonly seconds?: number;
  /** Bytes as Telegram reports them, when it does. */
  readonly size?: number;
  readonly mimeType?: string;
  readonly fileName?: string;
  /** Goes with the transcript (a group mention removed). */
  readonly caption?: string;
}

/** What an update asks of the bot, once validated and addressed. */
export type Incoming =
  | { readonly kind: "command"; readonly name: string; readonly args: string }
  | { readonly kind: "text"; readonly text: string }
  | IncomingDocument
  | IncomingPhoto
  | IncomingVoice
  | { readonly kind: "unsupported"; readonly what: string }
  /** A press of one of the bot's inline buttons (`callback_query`). */
  | { readonly kind: "button"; readonly queryId: string; readonly data: string }
  /** The user pressed Telegram's own Stop on a draft (`stopped_message_generation`). */
  | { readonly kind: "draft_stopped"; readonly draftId: number };

/**
 * A message meant for the bot (in a group: a command, a mention or a reply to
 * it), reduced to what the bot acts on: who sent it, where, and what it asks.
 */
export interface AddressedMessage extends UpdateRef {
  readonly messageId: number;
  readonly userId: number;
  readonly chatId: number;
  readonly isGroup: boolean;
  /** The forum topic the message was written in; replies go to the same topic. */
  readonly threadId?: number;
  readonly user: UserMeta;
  readonly incoming: Incoming;
}

/** Why an update needs no answer. */
export type Skip = {
  readonly skip: "no_message" | "not_addressed" | "from_bot" | "malformed";
  readonly detail?: string;
};

/** The bot's identity, needed to tell whether a group message is meant for it. */
export interface BotIdentity {
  readonly id: number;
  readonly username: string;
}

/**
 * True when the bot's username is needed: for group messages, and for a
 * command addressed to a bot by name (`/help@my_bot`), in any chat.
 */
export function needsIdentity(update: CheckedUpdate): boolean {
  if (update.kind !== "message") return false;
  const m = update.message;
  if (m.chat.type === "group" || m.chat.type === "supergroup") return true;
  const text = m.text ?? "";
  const command = m.entities?.find((e) => e.type === "bot_command" && e.offset === 0);
  return command !== undefined && text.slice(0, command.length).includes("@");
}

/**
 * Decides whether and how the bot should answer a checked update.
 * In groups the bot answers only commands, mentions (found from `entities`,
 * never by string prefix) and replies to its own messages.
 */
export function addressUpdate(
  update: CheckedUpdate,
  bot: BotIdentity | undefined,
): AddressedMessage | Skip {
  // Presses and draft stops carry no message: they are addressed on their own.
  const control = addressControl(update);
  if (control) return control;
  if (update.kind === "malformed") return { skip: "malformed", detail: update.problem };
  if (update.kind !== "message") return { skip: "no_message" };
  const m = update.message;
  if (m.from.is_bot) return { skip: "from_bot" };
  const isGroup = m.chat.type === "group" || m.chat.type === "supergroup";
  const base = {
    updateId: update.updateId,
    receivedAt: update.receivedAt,
    messageId: m.message_id,
    userId: m.from.id,
    chatId: m.chat.id,
    isGroup,
    // Only topic messages: in other chats message_thread_id names a reply thread, not a topic.
    ...(m.is_topic_message && m.message_thread_id !== undefined
      ? { threadId: m.message_thread_id }
      : {}),
    user: {
      id: m.from.id,
      username: m.from.username,
      firstName: m.from.first_name,
      languageCode: m.from.language_code,
    },
  };
  if (m.text !== undefined) {
    const command = parseCommand(m, bot, isGroup);
    if (command === "other_bot") return { skip: "not_addressed" };
    if (command) return { ...base, incoming: command };
    if (isGroup) {
      const text = addressedText(m.text, m.entities, m, bot);
      if (text === undefined) return { skip: "not_addressed" };
      return { ...base, incoming: { kind: "text", text } };
    }
    return { ...base, incoming: { kind: "text", text: m.text } };
  }
  // A file in a group is for the bot when its caption mentions it or it replies to the bot.
  const caption = isGroup
    ? addressedText(m.caption, m.caption_entities, m, bot)
    : m.caption || undefined;
  if (isGroup && caption === undefined && !(bot && m.reply_to_message?.from?.id === bot.id))
    return { skip: "not_addressed" };
  const withCaption = caption ? { caption } : {};
  if (m.document) {
    return {
      ...base,
      incoming: {
        kind: "document",
        fileId: m.document.file_id,
        fileName: m.document.file_name ?? "file",
        size: m.document.file_size ?? 0,
        ...(m.document.mime_type ? { mimeType: m.document.mime_type } : {}),
        ...withCaption,
      },
    };
  }
  if (m.photo) {
    const sizes = m.photo.map((p) => ({
      fileId: p.file_id,
      width: p.width,
      height: p.height,
      ...(p.file_size !== undefined ? { size: p.file_size } : {}),
    }));
    return { ...base, incoming: { kind: "photo", sizes, ...withCaption } };
  }
  const audio = m.voice ?? m.audio;
  if (audio) {
    const fileName = m.audio?.file_name;
    return {
      ...base,
      incoming: {
        kind: "voice",
        source: m.voice ? "voice" : "audio",
        fileId: audio.file_id,
        seconds: audio.duration,
        ...(audio.file_size !== undefined ? { size: audio.file_size } : {}),
        ...(audio.mime_type ? { mimeType: audio.mime_type } : {}),
        ...(fileName ? { fileName } : {}),
        ...withCaption,
      },
    };
  }
  return {
    ...base,
    incoming: { kind: "unsupported", what: describeNonText(update.raw.message ?? {}) },
  };
}

function parseCommand(
  m: CheckedMessage,
  bot: BotIdentity | undefined,
  isGroup: boolean,
): Incoming | "other_bot" | undefined {
  const first = m.entities?.find((e) => e.type === "bot_command" && e.offset === 0);
  if (!first || m.text === undefined) return undefined;
  const token = m.text.slice(1, first.length);
  const [rawName = "", target] = token.split("@");
  if (target && (!bot || target.toLowerCase() !== bot.username.toLowerCase())) return "other_bot";
  if (isGroup && !target && !bot) return "other_bot";
  return { kind: "command", name: rawName.toLowerCase(), args: m.text.slice(first.length).trim() };
}

function addressedText(
  text: string | undefined,
  entities: CheckedMessage["entities"],
  m: CheckedMessage,
  bot: BotIdentity | undefined,
): string | undefined {
  if (!bot || text === undefined) return undefined;
  const mention = entities?.find(
    (e) =>
      (e.type === "mention" &&
        text.slice(e.offset, e.offset + e.length).toLowerCase() ===
          `@${bot.username.toLowerCase()}`) ||
      (e.type === "text_mention" && e.user?.id === bot.id),
  );
  if (mention) {
    // "hey @bot what is…" → "hey what is…": the mention goes, and so does the gap it leaves.
    const before = text.slice(0, mention.offset).trimEnd();
    const after = text.slice(mention.offset + mention.length).trimStart();
    const stripped = [before, after].filter(Boolean).join(" ");
    return stripped.length > 0 ? stripped : text;
  }
  if (m.reply_to_message?.from?.id === bot.id) return text;
  return undefined;
}

function describeNonText(message: object): string {
  const kinds = ["sticker", "video", "video_note", "animation", "location", "contact", "poll"];
  return kinds.find((k) => k in message) ?? "message";
}
