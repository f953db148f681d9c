import { TelegramApiError } from "../../errors.js";
import type { ReplyParts } from "../../format/index.js";
import type { Logger } from "../../log.js";
import type { InlineButton } from "../ports.js";
import { type AnswerFormat, MIN_RESPLIT_SCALE } from "./answer-format.js";
import type { ReplyTarget } from "./replies.js";
import { WritePace } from "./write-pace.js";

/** Settings of a {@link StreamingReply}. */
export interface StreamingOptions<P> {
  /** HTML or rich messages. */
  readonly format: AnswerFormat<P>;
  /** Least time between two edits of one chat (Telegram counts edits against flood limits). */
  readonly minEditIntervalMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Buttons under the message still growing (a Stop button); the final text has none. */
  readonly buttons?: readonly InlineButton[];
  /** Used for the whole answer when the Bot API server cannot take the format (no rich messages). */
  readonly fallback?: () => AnswerStream;
}

/** An answer shown while it is written: by edits ({@link StreamingReply}) or as a draft. */
export interface AnswerStream {
  /** True once any text reached the chat. */
  readonly started: boolean;
  /** True while the answer is written as rich messages. */
  readonly rich: boolean;
  /** Feeds newly generated content, and reasoning (which only a draft may show). */
  push(content: string, thinking?: string): void;
  /** Shows the final answer for good. */
  finish(answer: ReplyParts): Promise<unknown>;
  /** Waits for writes in flight (before reporting an error, say); removes a Stop button. */
  settle(): Promise<void>;
}

/** Longest wait before the final text (a longer flood penalty is waited out by the retry policy). */
const MAX_FINAL_WAIT_MS = 5_000;

/** Smallest share of the limits the final text is re-split into to fill messages already shown. */
const MIN_FILL_SCALE = 1 / 16;

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Shows an answer growing in the chat: the first text becomes a message, later
 * text edits it at most once per interval, and text past one message's limit
 * rolls over into a new message. Edits never block reading the model's stream;
 * `finish` waits for them and writes the final, fully formatted text.
 */
export class StreamingReply<P> implements AnswerStream {
  private raw = "";
  private readonly messageIds: number[] = [];
  private readonly shown: P[] = [];
  private readonly pace: WritePace;
  private readonly format: AnswerFormat<P>;
  /** Which message carries the buttons now, if any. */
  private buttonsOn: number | undefined;
  private fallback: AnswerStream | undefined;
  private readonly now: () => number;

  constructor(
    private readonly target: ReplyTarget,
    private readonly log: Logger,
    private readonly options: StreamingOptions<P>,
  ) {
    this.format = options.format;
    this.now = options.now ?? Date.now;
    this.pace = new WritePace(options.minEditIntervalMs, this.now);
  }

  /** True once any text reached the chat. */
  get started(): boolean {
    return this.fallback?.started ?? this.messageIds.length > 0;
  }

  get rich(): boolean {
    return this.fallback?.rich ?? this.format.rich;
  }

  /** Feeds newly generated content. */
  push(content: string): void {
    this.raw += content;
    if (this.fallback) {
      this.fallback.push(content);
      return;
    }
    if (!this.pace.ready(!this.started)) return;
    const parts = this.format.partial(this.raw);
    if (parts === undefined) return;
    this.pace.start(
      () => this.show(parts),
      (err) => this.onEditError(err),
    );
  }

  /** Replaces the streamed text with the final answer. @returns ids of every message used. */
  async finish(answer: ReplyParts): Promise<unknown> {
    await this.pace.settled();
    if (this.fallback) return this.fallback.finish(answer);
    for (let scale = 1; ; scale /= 2) {
      const pages = this.finalPages(answer, scale);
      const changes = pages.some((p, i) => !this.isShown(i, p)) || this.buttonsOn !== undefined;
      if (this.started && changes) {
        // The final edit is an edit like the others: it keeps the chat's pace too.
        const wait = Math.min(MAX_FINAL_WAIT_MS, this.pace.readyAt - this.now());
        if (wait > 0) await (this.options.sleep ?? sleepMs)(wait);
      }
      try {
        await this.show(pages, true);
        return [...this.messageIds];
      } catch (err) {
        const fallback = this.switchOver(err);
        if (fallback) return fallback.finish(answer);
        // Telegram counts after entity parsing and may find a part too long: spread it thinner.
        if (!(err instanceof TelegramApiError && err.isOverLimit) || scale / 2 < MIN_RESPLIT_SCALE)
          throw err;
        this.log.warn("telegram found a streamed part too long; splitting the answer smaller", {
          scale: scale / 2,
        });
      }
    }
  }

  /**
   * The final answer split into messages. Messages cannot be taken back, so
   * when the streamed text needed more messages than the final one (a long
   * link shrinks to its label once complete), the final text is spread over
   * all of them rather than leaving a stale partial message behind.
   */
  private finalPages(answer: ReplyParts, maxScale: number): P[] {
    let pages = this.format.pages(answer, maxScale);
    for (
      let scale = maxScale * 0.8;
      pages.length < this.messageIds.length && scale >= MIN_FILL_SCALE;
      scale *= 0.8
    ) {
      pages = this.format.pages(answer, scale);
    }
    return pages;
  }

  private isShown(i: number, page: P): boolean {
    const shown = this.shown[i];
    return shown !== undefined && this.format.same(shown, page);
  }

  /**
   * The server cannot take this format (rich messages on an older one): the
   * answer goes on the fallback's way. Only before anything was shown.
   */
  private switchOver(err: unknown): AnswerStream | undefined {
    if (this.started || !this.options.fallback || !this.format.unavailable(err)) return undefined;
    const fallback = this.options.fallback();
    if (this.raw) fallback.push(this.raw);
    this.fallback = fallback;
    return fallback;
  }

  /**
   * Waits for edits in flight and takes the buttons away: the answer ends
   * without a final text (the model failed), and a Stop under it would lie.
   */
  async settle(): Promise<void> {
    await this.pace.settled();
    const at = this.buttonsOn;
    const id = at === undefined ? undefined : this.messageIds[at];
    if (at === undefined || id === undefined) return;
    this.buttonsOn = undefined;
    const shown = this.shown[at];
    if (shown === undefined) return;
    await this.format
      .edit(this.target.chatId, id, shown)
      .catch((err: unknown) =>
        this.log.warn("could not remove the Stop button", { error: String(err) }),
      );
  }

  private async show(chunks: readonly P[], final = false): Promise<void> {
    for (const [i, chunk] of chunks.entries()) {
      // The buttons go under the message still growing, and nowhere once the answer is final.
      const buttons =
        !final && i === chunks.length - 1 && this.options.buttons
          ? this.options.buttons
          : undefined;
      if (this.isShown(i, chunk) && (this.buttonsOn === i) === (buttons !== undefined)) continue;
      const id = this.messageIds[i];
      this.pace.lastWriteAt = this.now();
      if (id === undefined) {
        this.messageIds.push(await this.format.send(this.target, chunk, i === 0, buttons));
      } else {
        try {
          await this.format.edit(this.target.chatId, id, chunk, buttons);
        } catch (err) {
          if (!isUneditable(err)) throw err;
          // Deleted by the user (or too old to edit): this part goes out as a new message.
          this.messageIds[i] = await this.format.send(this.target, chunk, i === 0, buttons);
        }
      }
      this.shown[i] = chunk;
      if (buttons) this.buttonsOn = i;
      else if (this.buttonsOn === i) this.buttonsOn = undefined;
    }
  }

  private onEditError(err: unknown): void {
    if (this.switchOver(err)) return;
    // Back off for as long as Telegram asked; the final text is written by finish().
    const flood = this.pace.backOff(err);
    if (flood) {
      this.log.warn("telegram flood limit while streaming; slowing edits", flood);
      return;
    }
    this.pace.stop();
    this.log.warn("streaming edit failed; the final answer will still be sent", {
      error: String(err),
    });
  }
}

/** Telegram will never accept an edit of this message again. */
function isUneditable(err: unknown): boolean {
  return (
    err instanceof TelegramApiError &&
    err.code === 400 &&
    /message to edit not found|message can't be edited|MESSAGE_ID_INVALID/i.test(err.description)
  );
}
