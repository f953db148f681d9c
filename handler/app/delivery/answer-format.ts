import { TelegramApiError } from "../../errors.js";
import {
  extractThinking,
  formatHtmlReply,
  partialAnswerParts,
  type ReplyParts,
  renderPartial,
  splitTelegramHtml,
  TELEGRAM_TEXT_LIMIT,
  toPlainText,
} from "../../format/index.js";
import type { Logger } from "../../log.js";
import type { DeliveryState } from "../conversation/turn.js";
import type { ChatGateway, InlineButton } from "../ports.js";
import type { Replier, ReplyTarget } from "./replies.js";

/** Smallest share of a format's limits a refused message is split into (below it, size is not the problem). */
export const MIN_RESPLIT_SCALE = 1 / 8;

/**
 * How an answer becomes Telegram messages (`P`: one message's content): as
 * Telegram HTML, which every Bot API server takes, or as rich messages (Bot
 * API 10.1). The streams, edited messages and drafts, work the same with both.
 */
export interface AnswerFormat<P> {
  /** True for rich messages. */
  readonly rich: boolean;
  /** The answer so far as messages; undefined while there is nothing to show. */
  partial(rawSoFar: string): P[] | undefined;
  /** What a draft (one message) shows now: the end of the answer so far, or the reasoning. */
  draftFrame(rawSoFar: string, thinkingSoFar: string): P | undefined;
  /** The final answer as messages, each within `scale` (0 < scale ≤ 1) of the format's limits. */
  pages(answer: ReplyParts, scale: number): P[];
  same(a: P, b: P): boolean;
  /** @returns the id of the sent message. */
  send(
    target: ReplyTarget,
    page: P,
    quote: boolean,
    buttons?: readonly InlineButton[],
  ): Promise<number>;
  /** Buttons left out are removed (Telegram's rule for edits). */
  edit(
    chatId: number,
    messageId: number,
    page: P,
    buttons?: readonly InlineButton[],
  ): Promise<void>;
  /** Shows a draft frame with Telegram's own Stop. */
  draft(target: ReplyTarget, draftId: number, frame: P): Promise<void>;
  /** Sends the final answer as new messages (they replace a draft). */
  sendFinal(target: ReplyTarget, answer: ReplyParts): Promise<unknown>;
  /** Sends the answer so far as new messages (what a vanishing draft showed). */
  sendPartial(target: ReplyTarget, rawSoFar: string): Promise<unknown>;
  /**
   * True when `err` means this Bot API server cannot take the call that
   * failed (recorded for the invoke): the stream goes on another way.
   */
  unavailable(err: unknown): boolean;
}

/** Answers as Telegram HTML (`parse_mode: HTML`), split below 4096 characters. */
export function htmlFormat(
  telegram: ChatGateway,
  replier: Replier,
  delivery: DeliveryState,
  log: Logger,
): AnswerFormat<string> {
  return {
    rich: false,
    partial: partialAnswerParts,
    draftFrame: (raw) => partialAnswerParts(raw)?.at(-1),
    pages: (answer, scale) =>
      splitTelegramHtml(formatHtmlReply(answer), Math.floor(TELEGRAM_TEXT_LIMIT * scale)),
    same: (a, b) => a === b,
    send: (target, page, quote, buttons) => replier.sendHtmlChunk(target, page, quote, buttons),
    edit: (chatId, messageId, page, buttons) => replier.editHtml(chatId, messageId, page, buttons),
    async draft(target, draftId, html) {
      const options = { threadId: target.threadId, canStop: true };
      try {
        await telegram.sendDraft(target.chatId, draftId, html, { ...options, html: true });
      } catch (err) {
        if (!(err instanceof TelegramApiError && err.isParseError)) throw err;
        await telegram.sendDraft(target.chatId, draftId, toPlainText(html), options);
      }
    },
    sendFinal: (target, answer) => replier.html(target, formatHtmlReply(answer)),
    async sendPartial(target, raw) {
      const { answer } = extractThinking(raw);
      if (answer.trim().length > 0) await replier.html(target, renderPartial(answer));
    },
    unavailable(err) {
      // Only drafts can be missing here (a 404 elsewhere is a rejected token).
      if (!(err instanceof TelegramApiError && err.isMethodMissing)) return false;
      if (!delivery.draftsUnavailable)
        log.warn(
          "the Bot API server has no sendMessageDraft (an older one?); streaming with edits for the rest of this invoke",
          { description: err.description },
        );
      delivery.draftsUnavailable = true;
      return true;
    },
  };
}
