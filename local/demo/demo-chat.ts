/**
 * The demo's Telegram client: one person in a private chat with the bot, on
 * the project's stand-in Telegram (`__tests__/harness/fake-telegram.ts`). It
 * sends what the person does as the updates Telegram would queue (a message,
 * a photo, a document, a button press, Stop on a draft) and keeps the chat
 * in the order an app shows it: what the person sent, and the bot's messages
 * (`chat-view.ts`) where they arrived, with the draft, "typing…" and the
 * answers to presses.
 */
import type { FakeTelegram, TgUser } from "../../__tests__/harness/fake-telegram.js";
import { botMessage, type ChatView, draftOnScreen, type ViewMessage } from "./chat-view.js";

/** A file the person sends. */
export interface OutgoingFile {
  readonly fileName: string;
  readonly bytes: Buffer;
  readonly mimeType?: string;
  readonly caption?: string;
}

type Sent =
  | { readonly kind: "bot"; readonly messageId: number }
  | { readonly kind: "you"; readonly message: ViewMessage };

/** One person's private chat with the bot on the stand-in Telegram. */
export class DemoChat {
  private readonly sent: Sent[] = [];
  private readonly botMessages = new Set<number>();
  private readonly photos: { readonly bytes: Buffer; readonly mimeType?: string }[] = [];
  private readonly presses = new Set<string>();
  private readonly stops = new Set<number>();
  private readonly chat: { id: number; type: "private" };
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly telegram: FakeTelegram,
    readonly user: TgUser,
  ) {
    this.chat = { id: user.id, type: "private" };
    this.unsubscribe = telegram.onAnswered(() => this.changed());
  }

  /** Calls `listener` whenever what the chat shows may have changed; returns its remover. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following the bot's calls. */
  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  /** Sends a text message (a leading `/command` is one, as in Telegram). */
  sendText(text: string): void {
    this.mine({ text, entities: [] });
    this.telegram.pushText(this.user, this.chat, text);
  }

  /** Sends a photo (one size, as it was chosen) with an optional caption. */
  sendPhoto(file: OutgoingFile, size: { width: number; height: number }): void {
    this.photos.push({ bytes: file.bytes, ...(file.mimeType ? { mimeType: file.mimeType } : {}) });
    const url = `/api/sent/${this.photos.length - 1}`;
    this.mine({ text: file.caption ?? "", entities: [], photo: { url, ...size } });
    this.telegram.pushPhoto(this.user, this.chat, [{ ...size, content: file.bytes }], {
      ...(file.caption ? { caption: file.caption } : {}),
    });
  }

  /** Sends a file as a document with an optional caption. */
  sendDocument(file: OutgoingFile): void {
    const document = { name: file.fileName, size: file.bytes.length };
    this.mine({ text: file.caption ?? "", entities: [], document });
    this.telegram.pushDocument(
      this.user,
      this.chat,
      {
        fileName: file.fileName,
        content: file.bytes,
        ...(file.mimeType ? { mimeType: file.mimeType } : {}),
      },
      file.caption || undefined,
    );
  }

  /** Presses a button the bot's message carries (or carried); throws for any other. */
  press(messageId: number, data: string): void {
    const update = this.telegram.pressUpdate(this.user, this.chat, messageId, data);
    const query = update.callback_query as { id: string };
    this.presses.add(query.id);
    this.telegram.pushUpdate(update);
    this.changed();
  }

  /** Presses Telegram's own Stop on the draft being written; throws when it has none. */
  stopDraft(draftId: number): void {
    this.telegram.pushDraftStop(this.user, draftId);
    this.stops.add(draftId);
    this.changed();
  }

  /** A photo this person sent (by its place among the chat's photos). */
  photo(index: number): { readonly bytes: Buffer; readonly mimeType?: string } | undefined {
    return this.photos[index];
  }

  /** What a Telegram app would show now. */
  view(): ChatView {
    const bot = this.botMessagesById();
    const messages = this.sent.flatMap((s) => {
      if (s.kind === "you") return [s.message];
      const message = bot.get(s.messageId);
      return message ? [botMessage(message)] : [];
    });
    const draft = draftOnScreen(this.telegram, this.chat.id, this.stops);
    const typing = this.telegram.requests("sendChatAction").filter((r) => r.status === 200);
    const typingAt = typing.at(-1)?.at;
    return {
      messages,
      ...(draft ? { draft } : {}),
      ...(typingAt !== undefined ? { typingAt } : {}),
      notices: this.telegram
        .callbackAnswers()
        .filter((a) => this.presses.has(a.queryId) && a.text)
        .map((a) => ({ id: a.queryId, text: a.text ?? "" })),
      commands: this.telegram.commands(),
    };
  }

  /**
   * The bot's messages by id; each one new to the chat takes its place after
   * everything shown so far, as a message arriving in an app does.
   */
  private botMessagesById(): Map<number, Record<string, unknown>> {
    const bot = new Map(
      this.telegram.chatMessages(this.chat.id).map((m) => [m.message_id as number, m]),
    );
    for (const id of bot.keys()) {
      if (this.botMessages.has(id)) continue;
      this.botMessages.add(id);
      this.sent.push({ kind: "bot", messageId: id });
    }
    return bot;
  }

  private mine(message: Omit<ViewMessage, "id" | "from">): void {
    // A bot message stored but not yet announced (its answer still being written) came first.
    this.botMessagesById();
    this.sent.push({
      kind: "you",
      message: { id: `you-${this.sent.length}`, from: "you", ...message },
    });
    this.changed();
  }

  private changed(): void {
    this.botMessagesById();
    for (const listener of this.listeners) listener();
  }
}
