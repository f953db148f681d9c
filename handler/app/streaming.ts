import { TelegramApiError } from "../errors.js";
import { extractThinking, renderPartial, splitTelegramHtml } from "../format/index.js";
import type { Logger } from "../log.js";
import type { Replier, ReplyTarget } from "./replies.js";

/** Settings of a {@link StreamingReply}. */
export interface StreamingOptions {
  /** Least time between two edits of one chat (Telegram counts edits against flood limits). */
  readonly minEditIntervalMs: number;
  readonly now?: () => number;
}

/**
 * Shows an answer growing in the chat: the first text becomes a message, later
 * text edits it at most once per interval, and text past one message's limit
 * rolls over into a new message. Edits never block reading the model's stream;
 * `finish` waits for them and writes the final, fully formatted text.
 */
export class StreamingReply {
  private raw = "";
  private readonly messageIds: number[] = [];
  private readonly shown: string[] = [];
  private lastEditAt = 0;
  private blockedUntil = 0;
  private pending: Promise<void> = Promise.resolve();
  private flushing = false;
  private failed = false;
  private readonly now: () => number;

  constructor(
    private readonly replier: Replier,
    private readonly target: ReplyTarget,
    private readonly log: Logger,
    private readonly options: StreamingOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** True once any text reached the chat. */
  get started(): boolean {
    return this.messageIds.length > 0;
  }

  /** Feeds newly generated content. */
  push(content: string): void {
    this.raw += content;
    if (this.flushing || this.failed) return;
    const now = this.now();
    if (
      this.started &&
      (now - this.lastEditAt < this.options.minEditIntervalMs || now < this.blockedUntil)
    )
      return;
    const { answer } = extractThinking(this.raw);
    if (answer.trim().length === 0) return;
    this.flushing = true;
    this.lastEditAt = now;
    this.pending = this.show(splitTelegramHtml(renderPartial(answer)))
      .catch((err: unknown) => this.onEditError(err))
      .finally(() => {
        this.flushing = false;
      });
  }

  /** Replaces the streamed text with the final HTML. @returns ids of every message used. */
  async finish(finalHtml: string): Promise<number[]> {
    await this.pending;
    await this.show(splitTelegramHtml(finalHtml));
    return [...this.messageIds];
  }

  /** Waits for edits in flight (before reporting an error, say). */
  async settle(): Promise<void> {
    await this.pending;
  }

  private async show(chunks: readonly string[]): Promise<void> {
    for (const [i, chunk] of chunks.entries()) {
      if (this.shown[i] === chunk) continue;
      const id = this.messageIds[i];
      if (id === undefined) {
        this.messageIds.push(await this.replier.sendHtmlChunk(this.target, chunk, i === 0));
      } else {
        await this.replier.editHtml(this.target.chatId, id, chunk);
      }
      this.shown[i] = chunk;
    }
  }

  private onEditError(err: unknown): void {
    if (err instanceof TelegramApiError && err.code === 429) {
      // Back off for as long as Telegram asked; the final text is written by finish().
      this.blockedUntil = this.now() + (err.retryAfterSeconds ?? 1) * 1000;
      this.log.warn("telegram flood limit while streaming; slowing edits", {
        retryAfter: err.retryAfterSeconds,
      });
      return;
    }
    this.failed = true;
    this.log.warn("streaming edit failed; the final answer will still be sent", {
      error: String(err),
    });
  }
}
