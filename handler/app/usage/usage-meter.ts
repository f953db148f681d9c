import {
  type DailyLimits,
  hasLimits,
  limitReached,
  limitText,
  type Usage,
  utcDay,
} from "../../domain/usage.js";
import { errorFields, type Logger } from "../../log.js";
import type { Turn } from "../conversation/turn.js";
import type { ModelResult, UsageStore } from "../ports.js";

/**
 * The longest a counted turn is held back to be written with the sender's
 * next ones: a crash loses at most this much counting (see {@link UsageMeter}).
 */
export const MAX_HELD_MS = 10_000;

/** What {@link UsageMeter} needs to know. */
export interface UsageSettings {
  readonly limits: DailyLimits;
  readonly now: () => Date;
  /**
   * True while more of the user's updates wait in this invoke, right behind
   * the one being answered (the poller's lanes know). Their counts are then
   * held and written together. Without it every turn is written at once.
   */
  readonly moreWaiting?: (userId: number) => boolean;
}

/** Turns counted and not yet written, for one user. */
interface Held {
  readonly messages: number;
  readonly tokens: number;
  readonly day: string;
  readonly name: string | undefined;
  /** Epoch ms of the first held turn. */
  readonly since: number;
}

/**
 * Counts answered turns per user and refuses turns over the daily limits
 * (`DAILY_MESSAGE_LIMIT`, `DAILY_TOKEN_LIMIT`; admins are exempt), for the
 * length of one invoke. A user's updates are handled one at a time (see the
 * poller's lanes and the webhook's lane lease), so the counters read or written
 * here stay true until the invoke ends: a user costs at most one read per
 * invoke, and none at all when no limit is set or they are an admin.
 *
 * A user who sent several messages at once costs one write for all of them:
 * while more of their updates wait in the poller's lane, a turn's count is
 * held (limits see it at once) and written once the user's last waiting
 * update is done ({@link flushUser}), or {@link MAX_HELD_MS} after it was
 * held, or when the UTC day changes, or by {@link flush} before the poller
 * lease is released. What a crash can lose is that held count. A user's
 * writes run one after another, and a count being written still counts.
 */
export class UsageMeter {
  /** Counters as last read or written; null when the user has none stored. */
  private readonly known = new Map<number, Usage | null>();
  /** Counted, not yet sent. */
  private readonly held = new Map<number, Held>();
  /** Sent, not yet acknowledged (at most one write per user at a time). */
  private readonly sending = new Map<number, Held>();
  /** Each user's last write, which the next one waits for. */
  private readonly writes = new Map<number, Promise<void>>();
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly store: UsageStore,
    private readonly settings: UsageSettings,
  ) {}

  /** The user's counters, turns held back included (read once per invoke). */
  async of(userId: number): Promise<Usage | undefined> {
    if (!this.known.has(userId)) {
      // A write of theirs in flight (a timer's, or a flush for /usage all) lands first, so the
      // read neither misses nor repeats it; a write that answered meanwhile is newer than the read.
      await this.writes.get(userId);
      const stored = (await this.store.get(userId)) ?? null;
      if (!this.known.has(userId)) this.known.set(userId, stored);
    }
    return withHeld(
      userId,
      withHeld(userId, this.known.get(userId), this.sending.get(userId)),
      this.held.get(userId),
    );
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
    turn.services.metrics.count("MessagesRefusedByLimits");
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
    const now = this.settings.now();
    const day = utcDay(now);
    // A new UTC day: the turns held from the old one are written first, as that day's.
    const prior = this.held.get(userId);
    if (prior && prior.day !== day) await this.write(userId, turn.log);
    const before = this.held.get(userId);
    const held: Held = {
      messages: (before?.messages ?? 0) + 1,
      tokens: (before?.tokens ?? 0) + result.promptTokens + result.completionTokens,
      day,
      name: user.username ? `@${user.username}` : user.firstName,
      since: before?.since ?? now.getTime(),
    };
    this.held.set(userId, held);
    const hold =
      this.settings.moreWaiting?.(userId) === true && now.getTime() - held.since < MAX_HELD_MS;
    if (!hold) return this.write(userId, turn.log);
    // However long the user's next answer takes, the count waits MAX_HELD_MS at most.
    if (!this.timers.has(userId)) {
      const timer = setTimeout(() => void this.write(userId, turn.log), MAX_HELD_MS);
      timer.unref?.();
      this.timers.set(userId, timer);
    }
  }

  /** Writes the user's held count, if any (their last waiting update is done). */
  flushUser(userId: number, log: Logger): Promise<void> {
    return this.held.has(userId) ? this.write(userId, log) : Promise.resolve();
  }

  /** Writes every held count (before the poller lease is released, and before ranking users). */
  async flush(log: Logger): Promise<void> {
    await Promise.all([...this.held.keys()].map((userId) => this.write(userId, log)));
    await Promise.all(this.writes.values());
  }

  /** Queues a write of the user's held count behind their previous write. */
  private write(userId: number, log: Logger): Promise<void> {
    const next = (this.writes.get(userId) ?? Promise.resolve()).then(() => this.send(userId, log));
    this.writes.set(userId, next);
    return next.finally(() => {
      if (this.writes.get(userId) === next) this.writes.delete(userId);
    });
  }

  private async send(userId: number, log: Logger): Promise<void> {
    const held = this.held.get(userId);
    if (!held) return;
    this.held.delete(userId);
    // What was held goes now (with what was counted while this write waited its turn): its
    // timer has nothing left to write.
    clearTimeout(this.timers.get(userId));
    this.timers.delete(userId);
    this.sending.set(userId, held);
    try {
      const usage = await this.store.record(
        {
          userId,
          messages: held.messages,
          tokens: held.tokens,
          day: held.day,
          ...(held.name ? { name: held.name } : {}),
        },
        this.known.get(userId)?.day,
      );
      this.known.set(userId, usage);
    } catch (err) {
      log.warn("could not count the turns' usage", {
        ...errorFields(err),
        userId,
        turns: held.messages,
      });
    } finally {
      this.sending.delete(userId);
    }
  }
}

/** `stored` with the held turns added, as the store will have it once they are written. */
function withHeld(
  userId: number,
  stored: Usage | null | undefined,
  held: Held | undefined,
): Usage | undefined {
  if (!held) return stored ?? undefined;
  const base = stored ?? { userId, day: "", dayMessages: 0, dayTokens: 0, messages: 0, tokens: 0 };
  const allTime = { messages: base.messages + held.messages, tokens: base.tokens + held.tokens };
  // Turns of a day before the stored one count in the all-time numbers only (as the store does).
  if (held.day < base.day) return { ...base, ...allTime };
  const sameDay = base.day === held.day;
  return {
    ...base,
    ...allTime,
    day: held.day,
    dayMessages: (sameDay ? base.dayMessages : 0) + held.messages,
    dayTokens: (sameDay ? base.dayTokens : 0) + held.tokens,
    ...(held.name ? { name: held.name } : {}),
  };
}
