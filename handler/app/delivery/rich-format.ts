import { TelegramApiError } from "../../errors.js";
import {
  formatRichReply,
  RICH_LIMITS,
  type RichBlock,
  type RichLimits,
  richPartialPages,
  richThinkingFrame,
  splitRichBlocks,
} from "../../format/index.js";
import type { Logger } from "../../log.js";
import type { ChatGateway, InlineButton } from "../ports.js";
import { type AnswerFormat, MIN_RESPLIT_SCALE } from "./answer-format.js";
import type { ReplyTarget } from "./replies.js";
import { type RichSupport, RichUnavailableError } from "./rich-support.js";

type Page = readonly RichBlock[];

/** Telegram's limits on one rich message, times `scale`. */
const scaled = (scale: number): RichLimits => ({
  chars: Math.floor(RICH_LIMITS.chars * scale),
  blocks: Math.max(1, Math.floor(RICH_LIMITS.blocks * scale)),
});

/**
 * Answers as rich messages (Bot API 10.1, `blocks`): tables, headings,
 * formulas and code as the model wrote them, up to 32,768 characters and 500
 * blocks a message; drafts show the model's reasoning in a thinking block
 * until the answer starts. Every call goes through the invoke's
 * {@link RichSupport}, so a server without rich messages is tried once.
 */
export function richFormat(
  telegram: ChatGateway,
  support: RichSupport,
  showThinking: "collapsed" | "hidden",
  log: Logger,
): AnswerFormat<Page> {
  const send = (
    target: ReplyTarget,
    page: Page,
    quote: boolean,
    buttons?: readonly InlineButton[],
  ): Promise<number> =>
    support.run("sendRichMessage", () =>
      telegram.sendRich(target.chatId, page, {
        replyTo: quote ? target.replyTo : undefined,
        threadId: target.threadId,
        buttons,
      }),
    );

  /** Sends pages; one Telegram finds too large is split smaller and sent in its place. */
  const sendAll = async (target: ReplyTarget, pages: readonly Page[], scale: number) => {
    const ids: number[] = [];
    for (const [i, page] of pages.entries()) {
      try {
        ids.push(await send(target, page, i === 0));
      } catch (err) {
        const smaller = scale / 2;
        if (!(err instanceof TelegramApiError && err.isOverLimit) || smaller < MIN_RESPLIT_SCALE)
          throw err;
        log.warn("telegram found a rich message too large; splitting it smaller", {
          description: err.description,
          scale: smaller,
        });
        const rest = { ...target, replyTo: i === 0 ? target.replyTo : undefined };
        ids.push(...(await sendAll(rest, splitRichBlocks(page, scaled(smaller)), smaller)));
      }
    }
    return ids;
  };

  return {
    rich: true,
    partial: (raw) => richPartialPages(raw),
    draftFrame: (raw, thinking) =>
      richPartialPages(raw)?.at(-1) ?? richThinkingFrame(raw, thinking, showThinking),
    pages: (answer, scale) => splitRichBlocks(formatRichReply(answer), scaled(scale)),
    same: (a, b) => JSON.stringify(a) === JSON.stringify(b),
    send,
    edit: (chatId, messageId, page, buttons) =>
      telegram.editRich(chatId, messageId, page, { buttons }),
    draft: (target, draftId, frame) =>
      support.run("sendRichMessageDraft", () =>
        telegram.sendRichDraft(target.chatId, draftId, frame, {
          threadId: target.threadId,
          canStop: true,
        }),
      ),
    sendFinal: (target, answer) =>
      sendAll(target, splitRichBlocks(formatRichReply(answer), RICH_LIMITS), 1),
    sendPartial: async (target, raw) => sendAll(target, richPartialPages(raw) ?? [], 1),
    unavailable: (err) => err instanceof RichUnavailableError,
  };
}
