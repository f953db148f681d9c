import { TelegramApiError } from "../../errors.js";

/**
 * The pace of one streamed answer's writes to its chat (edits or draft
 * frames): one write in flight at a time, at most one per interval (Telegram
 * counts every write against its flood limits), none while a flood penalty
 * (`429 retry_after`) lasts, and none after a write failed for another reason
 * (the final text is still sent). Writes never block reading the model's stream.
 */
export class WritePace {
  /** When the last write started. */
  lastWriteAt = 0;
  /** Until when Telegram asked us to wait (epoch ms). */
  blockedUntil = 0;
  private pending: Promise<void> = Promise.resolve();
  private busy = false;
  private failed = false;

  constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * True when a new write may start now. `first`: nothing is shown yet, so
   * neither the interval nor a penalty holds it back.
   */
  ready(first = false): boolean {
    if (this.busy || this.failed) return false;
    if (first) return true;
    const now = this.now();
    return now - this.lastWriteAt >= this.minIntervalMs && now >= this.blockedUntil;
  }

  /** When the next write may go: the interval after the last one, or the penalty's end. */
  get readyAt(): number {
    return Math.max(this.lastWriteAt + this.minIntervalMs, this.blockedUntil);
  }

  /** Starts `write` in the background; its failure goes to `onError`. */
  start(write: () => Promise<void>, onError: (err: unknown) => void): void {
    this.busy = true;
    this.pending = write()
      .catch(onError)
      .finally(() => {
        this.busy = false;
      });
  }

  /** Waits for the write in flight, if any. */
  settled(): Promise<void> {
    return this.pending;
  }

  /**
   * Waits out a flood penalty when `err` is a 429: no write until it ends.
   * @returns what Telegram asked for (for the log), or undefined for any other error.
   */
  backOff(err: unknown): { readonly retryAfter: number | undefined } | undefined {
    if (!(err instanceof TelegramApiError && err.code === 429)) return undefined;
    this.blockedUntil = this.now() + (err.retryAfterSeconds ?? 1) * 1000;
    return { retryAfter: err.retryAfterSeconds };
  }

  /** No more writes until the final text: a write failed in a way waiting does not cure. */
  stop(): void {
    this.failed = true;
  }
}
