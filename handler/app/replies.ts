import { TelegramApiError } from "../errors.js";
import { splitPlainText, splitTelegramHtml, toPlainText } from "../format/index.js";
import type { Logger } from "../log.js";
import type { ChatGateway } from "./ports.js";

/** Where a reply goes. */
export interface ReplyTarget {
  readonly chatId: number;
  /** Message to quote (groups quote the message they answer). */
  readonly replyTo?: number;
  /** Forum topic the answered message came from: every part of the reply goes there. */
  readonly threadId?: number;
}

/**
 * Delivers text so that nothing is lost: split below Telegram's 4096-character
 * limit without cutting an entity, and any HTML chunk Telegram refuses to parse
 * is resent as plain text.
 */
export class Replier {
  constructor(
    private readonly telegram: ChatGateway,
    private readonly log: Logger,
  ) {}

  /** Sends rendered Telegram HTML. @returns the ids of the sent messages. */
  async html(target: ReplyTarget, html: string): Promise<number[]> {
    const ids: number[] = [];
    for (const [i, chunk] of splitTelegramHtml(html).entries()) {
      ids.push(await this.sendHtmlChunk(target, chunk, i === 0));
    }
    return ids;
  }

  /** Sends plain text (no parse mode: nothing in it can break). */
  async text(target: ReplyTarget, text: string): Promise<number[]> {
    const ids: number[] = [];
    for (const [i, chunk] of splitPlainText(text).entries()) {
      ids.push(
        await this.telegram.sendMessage(target.chatId, chunk, {
          replyTo: i === 0 ? target.replyTo : undefined,
          threadId: target.threadId,
        }),
      );
    }
    return ids;
  }

  /** Sends one HTML chunk, falling back to its plain text on a parse error. */
  async sendHtmlChunk(target: ReplyTarget, chunk: string, quote: boolean): Promise<number> {
    const replyTo = quote ? target.replyTo : undefined;
    try {
      return await this.telegram.sendMessage(target.chatId, chunk, {
        html: true,
        replyTo,
        threadId: target.threadId,
      });
    } catch (err) {
      if (!(err instanceof TelegramApiError && err.isParseError)) throw err;
      this.log.warn("telegram rejected HTML; resending as plain text", {
        description: err.description,
      });
      return this.telegram.sendMessage(target.chatId, toPlainText(chunk), {
        replyTo,
        threadId: target.threadId,
      });
    }
  }

  /** Edits a message to rendered HTML, falling back to plain text on a parse error. */
  async editHtml(chatId: number, messageId: number, html: string): Promise<void> {
    try {
      await this.telegram.editMessage(chatId, messageId, html, { html: true });
    } catch (err) {
      if (!(err instanceof TelegramApiError && err.isParseError)) throw err;
      this.log.warn("telegram rejected HTML edit; using plain text", {
        description: err.description,
      });
      await this.telegram.editMessage(chatId, messageId, toPlainText(html));
    }
  }
}
