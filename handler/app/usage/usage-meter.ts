import {
  type DailyLimits,
  hasLimits,
  limitReached,
  limitText,
  type Usage,
  utcDay,
} from "../../domain/usage.js";
import { errorFields } from "../../log.js";
import type { Turn } from "../conversation/turn.js";
import type { ModelResult, UsageStore } from "../ports.js";

/** What {@link UsageMeter} needs to know. */
export interface UsageSettings {
  readonly limits: DailyLimits;
  readonly now: () => Date;
}

/**
 * Counts answered turns per user and refuses turns over the daily limits
 * (`DAILY_MESSAGE_LIMIT`, `DAILY_TOKEN_LIMIT`; admins are exempt), for the
 * length of one invoke. A user's updates are handled one at a time (see the
 * poller's lanes and the webhook's lane lease), so the counters read or written
 * here stay true until the invoke ends: a user costs at most one read per
 * invoke, and none at all when no limit is set or they are an admin.
 */
export class UsageMeter {
  private readonly known = new Map<number, Usage>();

  constructor(
    private readonly store: UsageStore,
    private readonly settings: UsageSettings,
  ) {}

  /** The user's counters (read once per invoke). */
  async of(userId: number): Promise<Usage | undefined> {
    const cached = this.known.get(userId);
    if (cached) return cached;
    const stored = await this.store.get(userId);
    if (stored) this.known.set(userId, stored);
    return stored;
  }

  /**
   * Tells the user when their limit resets if they are over one, before the
   * model is called. @returns true when the turn must not go to the model.
   */
  async refuse(turn: Turn): Promise<boolean> {
    const { limits, now } = this.settings;
    if (!hasLimits(limits) || (await turn.services.access.isAdmin(turn.msg.userId))) return false;
    const reached = limitReached(await this.of(turn.msg.userId), limits, now());
    if (!reached) return false;
    turn.log.info("daily limit reached; the model is not called", {
      limit: reached.limit,
      used: reached.used,
    });
    await turn.services.replier.text(turn.target, limitText(reached, now()));
    return true;
  }

  /**
   * Counts an answered turn: one message, and the prompt and answer tokens
   * Ollama reported. The answer is delivered and stored already, so a failed
   * write is logged, not retried (retrying the update would not count it either).
   */
  async count(turn: Turn, result: ModelResult): Promise<void> {
    const userId = turn.msg.userId;
    const user = turn.msg.user;
    try {
      const usage = await this.store.record(
        {
          userId,
          tokens: result.promptTokens + result.completionTokens,
          day: utcDay(this.settings.now()),
          name: user.username ? `@${user.username}` : user.firstName,
        },
        this.known.get(userId)?.day,
      );
      this.known.set(userId, usage);
    } catch (err) {
      turn.log.warn("could not count the turn's usage", errorFields(err));
    }
  }
}
