import { TelegramApiError } from "../../errors.js";
import {
  extractThinking,
  partialAnswerParts,
  renderPartial,
  toPlainText,
} from "../../format/index.js";
import type { Logger } from "../../log.js";
import type { DeliveryState } from "../conversation/turn.js";
import type { ChatGateway } from "../ports.js";
import type { Replier, ReplyTarget } from "./replies.js";
import type { AnswerStream } from "./streaming.js";
import { WritePace } from "./write-pace.js";

/** Settings of a {@link DraftReply}. */
export interface DraftOptions {
  /** The draft id (non-zero); Telegram's Stop on it comes back with this id. */
  readonly draftId: number;
  /** Least time between two draft frames. */
  readonly minIntervalMs: number;
  /** Used for the rest of the answer when the Bot API server has no drafts. */
  readonly fallback: () => AnswerStream;
  readonly now?: () => number;
}

/**
 * Shows an answer growing as a native draft (`sendMessageDraft`, private
 * chats): each frame replaces the draft with the text so far (its last 4096
 * characters' worth), and `finish` sends the final text as real messages,
 * which replace the draft. Telegram's own Stop is offered on the draft. A Bot
 * API server that does not know the method (404, an older self-hosted one)
 * switches this answer, and the rest of the invoke, to edit streaming.
 */
export class DraftReply implements AnswerStream {
  private raw = "";
  private shownAny = false;
  private readonly pace: WritePace;
  private fallback: AnswerStream | undefined;
  private readonly now: () => number;

  constructor(
    private readonly telegram: ChatGateway,
    private readonly replier: Replier,
    private readonly target: ReplyTarget,
    private readonly log: Logger,
    private readonly delivery: DeliveryState,
    private readonly options: DraftOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.pace = new WritePace(options.minIntervalMs, this.now);
  }

  get started(): boolean {
    return this.fallback?.started ?? this.shownAny;
  }

  push(content: string): void {
    this.raw += content;
    if (this.fallback) {
      this.fallback.push(content);
      return;
    }
    if (!this.pace.ready()) return;
    const parts = partialAnswerParts(this.raw);
    if (parts === undefined) return;
    // A draft is one message: show the part being written.
    const frame = parts.at(-1) ?? "";
    this.pace.lastWriteAt = this.now();
    this.pace.start(
      () => this.frame(frame),
      (err) => this.onError(err),
    );
  }

  async finish(finalHtml: string): Promise<unknown> {
    await this.pace.settled();
    if (this.fallback) return this.fallback.finish(finalHtml);
    // The final messages replace the draft in the chat.
    return this.replier.html(this.target, finalHtml);
  }

  /**
   * Ends an answer that gets no final text (the model failed mid-answer). A
   * draft vanishes on its own, so what the user saw of it is sent as a real
   * message: the partial answer stays in the chat, as it does with edits.
   */
  async settle(): Promise<void> {
    await this.pace.settled();
    if (this.fallback) return this.fallback.settle();
    if (!this.shownAny) return;
    const { answer } = extractThinking(this.raw);
    if (answer.trim().length === 0) return;
    await this.replier
      .html(this.target, renderPartial(answer))
      .catch((err: unknown) =>
        this.log.warn("could not keep the partial answer", { error: String(err) }),
      );
  }

  private async frame(html: string): Promise<void> {
    const { telegram } = this;
    const options = { threadId: this.target.threadId, canStop: true };
    try {
      await telegram.sendDraft(this.target.chatId, this.options.draftId, html, {
        ...options,
        html: true,
      });
    } catch (err) {
      if (!(err instanceof TelegramApiError && err.isParseError)) throw err;
      await telegram.sendDraft(
        this.target.chatId,
        this.options.draftId,
        toPlainText(html),
        options,
      );
    }
    this.shownAny = true;
  }

  private onError(err: unknown): void {
    if (err instanceof TelegramApiError && err.isMethodMissing) {
      if (!this.delivery.draftsUnavailable)
        this.log.warn(
          "the Bot API server has no sendMessageDraft (an older one?); streaming with edits for the rest of this invoke",
          { description: err.description },
        );
      this.delivery.draftsUnavailable = true;
      this.fallback = this.options.fallback();
      this.fallback.push(this.raw);
      return;
    }
    const flood = this.pace.backOff(err);
    if (flood) {
      this.log.warn("telegram flood limit while streaming a draft; slowing down", flood);
      return;
    }
    this.pace.stop();
    this.log.warn("draft streaming failed; the final answer will still be sent", {
      error: String(err),
    });
  }
}
