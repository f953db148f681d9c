import { BotError, TelegramApiError } from "../../errors.js";
import type { Logger } from "../../log.js";

/** A rich call was not made: the Bot API server has no rich messages, or they are turned off. */
export class RichUnavailableError extends BotError {
  override readonly name = "RichUnavailableError";
}

/**
 * Whether this invoke's Bot API server has rich messages (Bot API 10.1). An
 * older self-hosted server answers them 404: the first such answer turns them
 * off for the rest of the invoke, said once in the log, and the answers go
 * the HTML way. While that is not known yet, rich calls wait for the first
 * one's answer, so an invoke tries a missing method at most once, however
 * many chats it answers at a time.
 */
export class RichSupport {
  private state: "unknown" | "available" | "missing";
  private probe: Promise<unknown> | undefined;

  /** `enabled`: RICH_MESSAGES=auto (off: never tried). */
  constructor(
    enabled: boolean,
    private readonly log: Logger,
  ) {
    this.state = enabled ? "unknown" : "missing";
  }

  /** False once rich messages are known to be unavailable (or turned off). */
  get usable(): boolean {
    return this.state !== "missing";
  }

  /**
   * Makes a rich call. @throws RichUnavailableError when rich messages are
   * unavailable, found so by this call or an earlier one; else what `call` threw.
   */
  async run<T>(method: string, call: () => Promise<T>): Promise<T> {
    while (this.state === "unknown" && this.probe) await this.probe.catch(() => undefined);
    if (this.state === "missing") throw new RichUnavailableError(`${method}: no rich messages`);
    if (this.state === "available") return call();
    const probe = call();
    this.probe = probe;
    try {
      const result = await probe;
      this.state = "available";
      return result;
    } catch (err) {
      if (!(err instanceof TelegramApiError && err.isMethodMissing)) throw err;
      this.state = "missing";
      this.log.warn(
        "the Bot API server has no rich messages (an older one?); answering with HTML for the rest of this invoke",
        { method, description: err.description },
      );
      throw new RichUnavailableError(`${method}: ${err.description}`, { cause: err });
    } finally {
      if (this.probe === probe) this.probe = undefined;
    }
  }
}
