import { TelegramApiError } from "../../errors.js";
import {
  splitPlainText,
  splitTelegramHtml,
  TELEGRAM_TEXT_LIMIT,
  toPlainText,
} from "../../format/index.js";
import type { Logger } from "../../log.js";
import type { ChatGateway, InlineButton } from "../ports.js";

/** Where a reply goes. */
export interface ReplyTarget {
  readonly chatId: number;
  /** Message to quote (groups quote the message they answer). */
  readonly replyTo?: number;
  /** Forum topic the answered message came from: every part of the reply goes there. */
  readonly threadId?: number;
}

/** Smallest size a refused message is re-split into: below it, the refusal is not about length. */
export const MIN_RESPLIT_LIMIT = 512;

/**
 * Delivers text so that nothing is lost: split below Telegram's 4096-character
 * limit without cutting an entity; any HTML chunk Telegram refuses to parse
 * is resent as plain text, and one it finds too long (it counts after entity
 * parsing, which may differ from our count) is split again, smaller.
 */
export class Replier {
  constructor(
    private readonly telegram: ChatGateway,
    private readonly log: Logger,
  ) {}

  /** Sends rendered Telegram HTML. @returns the ids of the sent messages. */
  async html(target: ReplyTarget, html: string, limit = TELEGRAM_TEXT_LIMIT): Promise<number[]> {
    const ids: number[] = [];
    for (const [i, chunk] of splitTelegramHtml(html, limit).entries()) {
      try {
        ids.push(await this.sendHtmlChunk(target, chunk, i === 0));
      } catch (err) {
        const smaller = Math.floor(limit / 2);
        if (!(err instanceof TelegramApiError && err.isTooLong) || smaller < MIN_RESPLIT_LIMIT)
          throw err;
        this.log.warn("telegram found a message too long; splitting it smaller", {
          chars: chunk.length,
          limit: smaller,
        });
        // Only the first part quotes; every part stays in the target's forum topic.
        const rest = { ...target, replyTo: i === 0 ? target.replyTo : undefined };
        ids.push(...(await this.html(rest, chunk, smaller)));
      }
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
  async sendHtmlChunk(
    target: ReplyTarget,
    chunk: string,
    quote: boolean,
    buttons?: readonly InlineButton[],
  ): Promise<number> {
    const replyTo = quote ? target.replyTo : undefined;
    try {
      return await this.telegram.sendMessage(target.chatId, chunk, {
        html: true,
        replyTo,
        threadId: target.threadId,
        buttons,
      });
    } catch (err) {
      if (!(err instanceof TelegramApiError && err.isParseError)) throw err;
      this.log.warn("telegram rejected HTML; resending as plain text", {
        description: err.description,
      });
      return this.telegram.sendMessage(target.chatId, toPlainText(chunk), {
        replyTo,
        threadId: target.threadId,
        buttons,
      });
    }
  }

  /**
   * Edits a message to rendered HTML, falling back to plain text on a parse
   * error. Buttons left out are removed (Telegram's rule for edits).
   */
  async editHtml(
    chatId: number,
    messageId: number,
    html: string,
    buttons?: readonly InlineButton[],
  ): Promise<void> {
    try {
      await this.telegram.editMessage(chatId, messageId, html, { html: true, buttons });
    } catch (err) {
      if (!(err instanceof TelegramApiError && err.isParseError)) throw err;
      this.log.warn("telegram rejected HTML edit; using plain text", {
        description: err.description,
      });
      await this.telegram.editMessage(chatId, messageId, toPlainText(html), { buttons });
    }
  }
}
