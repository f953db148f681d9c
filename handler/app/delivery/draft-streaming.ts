import type { ReplyParts } from "../../format/index.js";
import type { Logger } from "../../log.js";
import type { AnswerFormat } from "./answer-format.js";
import type { ReplyTarget } from "./replies.js";
import type { AnswerStream } from "./streaming.js";
import { WritePace } from "./write-pace.js";

/** Settings of a {@link DraftReply}. */
export interface DraftOptions<P> {
  /** HTML or rich messages. */
  readonly format: AnswerFormat<P>;
  /** The draft id (non-zero); Telegram's Stop on it comes back with this id. */
  readonly draftId: number;
  /** Least time between two draft frames. */
  readonly minIntervalMs: number;
  /** Used for the rest of the answer when the Bot API server cannot show this draft. */
  readonly fallback: () => AnswerStream;
  readonly now?: () => number;
}

/**
 * Shows an answer growing as a native draft (private chats): each frame
 * replaces the draft with the part being written (a rich draft shows the
 * model's reasoning in a thinking block until the answer starts), and
 * `finish` sends the final answer as real messages, which replace the draft.
 * Telegram's own Stop is offered on the draft. A Bot API server without the
 * method (404, an older self-hosted one) switches this answer, and the rest
 * of the invoke, to the fallback.
 */
export class DraftReply<P> implements AnswerStream {
  private raw = "";
  private thinking = "";
  private shownAny = false;
  private readonly pace: WritePace;
  private readonly format: AnswerFormat<P>;
  private fallback: AnswerStream | undefined;
  private readonly now: () => number;

  constructor(
    private readonly target: ReplyTarget,
    private readonly log: Logger,
    private readonly options: DraftOptions<P>,
  ) {
    this.format = options.format;
    this.now = options.now ?? Date.now;
    this.pace = new WritePace(options.minIntervalMs, this.now);
  }

  get started(): boolean {
    return this.fallback?.started ?? this.shownAny;
  }

  get rich(): boolean {
    return this.fallback?.rich ?? this.format.rich;
  }

  push(content: string, thinking = ""): void {
    this.raw += content;
    this.thinking += thinking;
    if (this.fallback) {
      this.fallback.push(content, thinking);
      return;
    }
    if (!this.pace.ready()) return;
    const frame = this.format.draftFrame(this.raw, this.thinking);
    if (frame === undefined) return;
    this.pace.lastWriteAt = this.now();
    this.pace.start(
      () => this.frame(frame),
      (err) => this.onError(err),
    );
  }

  async finish(answer: ReplyParts): Promise<unknown> {
    await this.pace.settled();
    if (this.fallback) return this.fallback.finish(answer);
    try {
      // The final messages replace the draft in the chat.
      return await this.format.sendFinal(this.target, answer);
    } catch (err) {
      const fallback = this.switchOver(err);
      if (!fallback) throw err;
      return fallback.finish(answer);
    }
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
    await this.format
      .sendPartial(this.target, this.raw)
      .catch((err: unknown) =>
        this.log.warn("could not keep the partial answer", { error: String(err) }),
      );
  }

  private async frame(frame: P): Promise<void> {
    await this.format.draft(this.target, this.options.draftId, frame);
    this.shownAny = true;
  }

  /** The server cannot show this draft: the answer goes on the fallback's way. */
  private switchOver(err: unknown): AnswerStream | undefined {
    if (!this.format.unavailable(err)) return undefined;
    const fallback = this.options.fallback();
    fallback.push(this.raw, this.thinking);
    this.fallback = fallback;
    return fallback;
  }

  private onError(err: unknown): void {
    if (this.switchOver(err)) return;
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
