/**
 * What the demo's page draws, built from what the bot did through the Bot
 * API, as a Telegram app builds its screen: the bot's messages as they read
 * now (text with entities, a rich message's blocks, a document, an inline
 * keyboard) and the draft being written, plain or rich.
 */
import { plainText, type RichJson } from "../../__tests__/harness/fake-rich.js";
import {
  type FakeTelegram,
  parseTelegramHtml,
  type TgEntity,
} from "../../__tests__/harness/fake-telegram.js";

/** A button of an inline keyboard. */
export interface ViewButton {
  readonly text: string;
  readonly data?: string;
  readonly url?: string;
}

/** One message in the chat, as the page draws it. */
export interface ViewMessage {
  /** Unique in the chat: `you-<n>` or `bot-<message_id>`. */
  readonly id: string;
  readonly from: "you" | "bot";
  /** What it reads as: the text, or a rich message's blocks as plain text. */
  readonly text: string;
  readonly entities: readonly TgEntity[];
  /** A rich message's blocks (Bot API 10.1), which the page draws instead of `text`. */
  readonly rich?: readonly RichJson[];
  readonly messageId?: number;
  readonly photo?: { readonly url: string; readonly width: number; readonly height: number };
  readonly document?: { readonly name: string; readonly size: number; readonly url?: string };
  readonly buttons?: readonly (readonly ViewButton[])[];
}

/** Everything the page shows. */
export interface ChatView {
  readonly messages: readonly ViewMessage[];
  /** The answer being written, while the bot shows it as a draft. */
  readonly draft?: {
    readonly draftId: number;
    readonly text: string;
    readonly entities: readonly TgEntity[];
    /** A rich draft's blocks (`sendRichMessageDraft`), perhaps a thinking block. */
    readonly rich?: readonly RichJson[];
    readonly canStop: boolean;
    readonly stopping: boolean;
    /** When its latest frame arrived (epoch ms). */
    readonly at: number;
  };
  /** The bot's last `typing` chat action (epoch ms); Telegram shows it for 5 s. */
  readonly typingAt?: number;
  /** The bot's answers to this person's button presses (Telegram shows them as a toast). */
  readonly notices: readonly { readonly id: string; readonly text: string }[];
  /** The bot's command menu (setMyCommands). */
  readonly commands: readonly { readonly command: string; readonly description: string }[];
}

/** An inline keyboard button as the Bot API carries it. */
interface TgButton {
  readonly text: string;
  readonly callback_data?: string;
  readonly url?: string;
}

const DRAFT_METHODS = new Set(["sendMessageDraft", "sendRichMessageDraft"]);
const ANSWER_METHODS = new Set([
  ...DRAFT_METHODS,
  "sendMessage",
  "sendRichMessage",
  "sendDocument",
]);

/**
 * The draft on screen in `chatId`: the latest frame, until a message of the
 * bot replaces it (`stops`: drafts this person pressed Stop on).
 */
export function draftOnScreen(
  telegram: FakeTelegram,
  chatId: number,
  stops: ReadonlySet<number>,
): ChatView["draft"] {
  const last = telegram
    .requests()
    .filter(
      (r) =>
        r.status === 200 && ANSWER_METHODS.has(r.method) && Number(r.params.chat_id) === chatId,
    )
    .at(-1);
  const frame = telegram.drafts(chatId).at(-1);
  if (!DRAFT_METHODS.has(last?.method ?? "") || !frame) return undefined;
  const { text, entities } =
    frame.html !== undefined ? parseTelegramHtml(frame.html) : { text: frame.text, entities: [] };
  return {
    draftId: frame.draftId,
    text,
    entities,
    ...(frame.rich ? { rich: frame.rich } : {}),
    canStop: frame.canStop,
    stopping: stops.has(frame.draftId),
    at: frame.at,
  };
}

/** A Bot API `Message` of the bot as the page draws it. */
export function botMessage(m: Record<string, unknown>): ViewMessage {
  const id = m.message_id as number;
  const document = m.document as
    | { file_id: string; file_name?: string; file_size?: number }
    | undefined;
  const keyboard = (m.reply_markup as { inline_keyboard?: TgButton[][] } | undefined)
    ?.inline_keyboard;
  const rich = (m.rich_message as { blocks: RichJson[] } | undefined)?.blocks;
  return {
    id: `bot-${id}`,
    from: "bot",
    messageId: id,
    text: rich ? plainText(rich) : String(document ? (m.caption ?? "") : (m.text ?? "")),
    entities: ((document ? m.caption_entities : m.entities) as TgEntity[] | undefined) ?? [],
    ...(rich ? { rich } : {}),
    ...(document
      ? {
          document: {
            name: document.file_name ?? "file",
            size: document.file_size ?? 0,
            url: `/api/files/${encodeURIComponent(document.file_id)}`,
          },
        }
      : {}),
    ...(keyboard
      ? {
          buttons: keyboard.map((row) =>
            row.map((b) => ({
              text: b.text,
              ...(b.callback_data !== undefined ? { data: b.callback_data } : {}),
              ...(b.url !== undefined ? { url: b.url } : {}),
            })),
          ),
        }
      : {}),
  };
}
