import { TelegramApiError } from "../../errors.js";
import { partialAnswerParts, splitTelegramHtml, TELEGRAM_TEXT_LIMIT } from "../../format/index.js";
import type { Logger } from "../../log.js";
import type { InlineButton } from "../ports.js";
import { MIN_RESPLIT_LIMIT, type Replier, type ReplyTarget } from "./replies.js";
import { WritePace } from "./write-pace.js";

/** Settings of a {@link StreamingReply}. */
export interface StreamingOptions {
  /** Least time between two edits of one chat (Telegram counts edits against flood limits). */
  readonly minEditIntervalMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Buttons under the message still growing (a Stop button); the final text has none. */
  readonly buttons?: readonly InlineButton[];
}

/** An answer shown while it is written: by edits ({@link StreamingReply}) or as a draft. */
export interface AnswerStream {
  /** True once any text reached the chat. */
  readonly started: boolean;
  /** Feeds newly generated content. */
  push(content: string): void;
  /** Shows the final HTML for good. */
  finish(finalHtml: string): Promise<unknown>;
  /** Waits for writes in flight (before reporting an error, say); removes a Stop button. */
  settle(): Promise<void>;
}

/** Longest wait before the final text (a longer flood penalty is waited out by the retry policy). */
const MAX_FINAL_WAIT_MS = 5_000;

/** Smallest chunk the final text is re-split into to fill messages already shown. */
const MIN_FILL_LIMIT = 256;

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Shows an answer growing in the chat: the first text becomes a message, later
 * text edits it at most once per interval, and text past one message's limit
 * rolls over into a new message. Edits never block reading the model's stream;
 * `finish` waits for them and writes the final, fully formatted text.
 */
export class StreamingReply implements AnswerStream {
  private raw = "";
  private readonly messageIds: number[] = [];
  private readonly shown: string[] = [];
  private readonly pace: WritePace;
  /** Which message carries the buttons now, if any. */
  private buttonsOn: number | undefined;
  private readonly now: () => number;

  constructor(
    private readonly replier: Replier,
    private readonly target: ReplyTarget,
    private readonly log: Logger,
    private readonly options: StreamingOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.pace = new WritePace(options.minEditIntervalMs, this.now);
  }

  /** True once any text reached the chat. */
  get started(): boolean {
    return this.messageIds.length > 0;
  }

  /** Feeds newly generated content. */
  push(content: string): void {
    this.raw += content;
    if (!this.pace.ready(!this.started)) return;
    const parts = partialAnswerParts(this.raw);
    if (parts === undefined) return;
    this.pace.start(
      () => this.show(parts),
      (err) => this.onEditError(err),
    );
  }

  /** Replaces the streamed text with the final HTML. @returns ids of every message used. */
  async finish(finalHtml: string): Promise<number[]> {
    await this.pace.settled();
    for (let limit = TELEGRAM_TEXT_LIMIT; ; limit = Math.floor(limit / 2)) {
      const chunks = this.finalChunks(finalHtml, limit);
      const changes = chunks.some((c, i) => this.shown[i] !== c) || this.buttonsOn !== undefined;
      if (this.started && changes) {
        // The final edit is an edit like the others: it keeps the chat's pace too.
        const wait = Math.min(MAX_FINAL_WAIT_MS, this.pace.readyAt - this.now());
        if (wait > 0) await (this.options.sleep ?? sleepMs)(wait);
      }
      try {
        await this.show(chunks, true);
        return [...this.messageIds];
      } catch (err) {
        // Telegram counts after entity parsing and may find a part too long: spread it thinner.
        if (!(err instanceof TelegramApiError && err.isTooLong) || limit / 2 < MIN_RESPLIT_LIMIT)
          throw err;
        this.log.warn("telegram found a streamed part too long; splitting the answer smaller", {
          limit: Math.floor(limit / 2),
        });
      }
    }
  }

  /**
   * The final text split into messages. Messages cannot be taken back, so when
   * the streamed text needed more messages than the final one (a long link
   * shrinks to its label once complete), the final text is spread over all of
   * them rather than leaving a stale partial message behind.
   */
  private finalChunks(finalHtml: string, maxLimit: number): string[] {
    let chunks = splitTelegramHtml(finalHtml, maxLimit);
    for (
      let limit = Math.floor(maxLimit * 0.8);
      chunks.length < this.messageIds.length && limit >= MIN_FILL_LIMIT;
      limit = Math.floor(limit * 0.8)
    ) {
      chunks = splitTelegramHtml(finalHtml, limit);
    }
    return chunks;
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
    await this.replier
      .editHtml(this.target.chatId, id, this.shown[at] ?? "")
      .catch((err: unknown) =>
        this.log.warn("could not remove the Stop button", { error: String(err) }),
      );
  }

  private async show(chunks: readonly string[], final = false): Promise<void> {
    for (const [i, chunk] of chunks.entries()) {
      // The buttons go under the message still growing, and nowhere once the answer is final.
      const buttons =
        !final && i === chunks.length - 1 && this.options.buttons
          ? this.options.buttons
          : undefined;
      if (this.shown[i] === chunk && (this.buttonsOn === i) === (buttons !== undefined)) continue;
      const id = this.messageIds[i];
      this.pace.lastWriteAt = this.now();
      if (id === undefined) {
        this.messageIds.push(
          await this.replier.sendHtmlChunk(this.target, chunk, i === 0, buttons),
        );
      } else {
        try {
          await this.replier.editHtml(this.target.chatId, id, chunk, buttons);
        } catch (err) {
          if (!isUneditable(err)) throw err;
          // Deleted by the user (or too old to edit): this part goes out as a new message.
          this.messageIds[i] = await this.replier.sendHtmlChunk(
            this.target,
            chunk,
            i === 0,
            buttons,
          );
        }
      }
      this.shown[i] = chunk;
      if (buttons) this.buttonsOn = i;
      else if (this.buttonsOn === i) this.buttonsOn = undefined;
    }
  }

  private onEditError(err: unknown): void {
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
