/**
 * Telegram's flood limits as the fake Bot API applies them (FACTS.md: about
 * 1 message/s per chat with short bursts, 20/min per group, ~30/s overall,
 * edits count, `retry_after` often tens of seconds; chat actions are limited too).
 */

/** Limits of {@link FloodControl}; every field has a realistic default. */
export interface FloodOptions {
  /** Writes a chat may take at once before the per-second pace applies (default 3). */
  perChatBurst?: number;
  /** Sustained writes per second to one chat (default 1). */
  perChatPerSecond?: number;
  /** Writes per group (negative chat id) within {@link groupWindowSeconds} (default 20). */
  perGroupPerMinute?: number;
  /** The group window (default 60 s, Telegram's minute; a test may shorten it). */
  groupWindowSeconds?: number;
  /** Writes per second across all chats (default 30). */
  globalPerSecond?: number;
  /**
   * Seconds a chat (or every chat, for the global limit) is refused after
   * going over (default 30: Telegram often asks for tens of seconds). Tests
   * that trip the limit on purpose shorten it so they do not wait long.
   */
  retryAfterSeconds?: number;
  /** The limiter's clock (default `Date.now`): a test may freeze it to count without racing time. */
  now?: () => number;
}

/** An error the fake answers as `429 Too Many Requests: retry after N`. */
export class FloodError extends Error {
  constructor(readonly retryAfter: number) {
    super(`Too Many Requests: retry after ${retryAfter}`);
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token bucket per chat (and per chat for chat actions), sliding windows per group and overall. */
export class FloodControl {
  private readonly limits: Required<Omit<FloodOptions, "now">>;
  private readonly clock: () => number;
  private readonly writes = new Map<number, Bucket>();
  private readonly actions = new Map<number, Bucket>();
  private readonly groupHits = new Map<number, number[]>();
  private globalHits: number[] = [];
  private readonly penalties = new Map<number, number>();
  private globalPenalty = 0;

  constructor(options: FloodOptions = {}) {
    this.limits = {
      perChatBurst: options.perChatBurst ?? 3,
      perChatPerSecond: options.perChatPerSecond ?? 1,
      perGroupPerMinute: options.perGroupPerMinute ?? 20,
      groupWindowSeconds: options.groupWindowSeconds ?? 60,
      globalPerSecond: options.globalPerSecond ?? 30,
      retryAfterSeconds: options.retryAfterSeconds ?? 30,
    };
    this.clock = options.now ?? Date.now;
  }

  /** Throws {@link FloodError} when one more send/edit to `chatId` would go over a limit. */
  check(chatId: number, now = this.clock()): void {
    this.refusePenalised(chatId, now);
    if (this.refill(this.writes, chatId, now).tokens < 1)
      this.penalise(chatId, now, this.limits.retryAfterSeconds);
    const windowMs = this.limits.groupWindowSeconds * 1000;
    const group = (this.groupHits.get(chatId) ?? []).filter((t) => now - t < windowMs);
    this.groupHits.set(chatId, group);
    const oldest = group[0];
    if (chatId < 0 && group.length >= this.limits.perGroupPerMinute && oldest !== undefined) {
      const freed = Math.ceil((oldest + windowMs - now) / 1000);
      this.penalise(chatId, now, Math.max(this.limits.retryAfterSeconds, freed));
    }
    this.globalHits = this.globalHits.filter((t) => now - t < 1000);
    if (this.globalHits.length >= this.limits.globalPerSecond) {
      this.globalPenalty = now + this.limits.retryAfterSeconds * 1000;
      throw new FloodError(this.limits.retryAfterSeconds);
    }
  }

  /** Counts a send/edit to `chatId` that took effect. */
  count(chatId: number, now = this.clock()): void {
    const bucket = this.refill(this.writes, chatId, now);
    bucket.tokens -= 1;
    if (chatId < 0) this.groupHits.set(chatId, [...(this.groupHits.get(chatId) ?? []), now]);
    this.globalHits.push(now);
  }

  /** A chat action (typing…): refused while the chat is penalised, and paced like writes. */
  checkAction(chatId: number, now = this.clock()): void {
    this.refusePenalised(chatId, now);
    const bucket = this.refill(this.actions, chatId, now);
    if (bucket.tokens < 1) this.penalise(chatId, now, this.limits.retryAfterSeconds);
    bucket.tokens -= 1;
  }

  reset(): void {
    this.writes.clear();
    this.actions.clear();
    this.groupHits.clear();
    this.globalHits = [];
    this.penalties.clear();
    this.globalPenalty = 0;
  }

  private refusePenalised(chatId: number, now: number): void {
    const until = Math.max(this.penalties.get(chatId) ?? 0, this.globalPenalty);
    if (now < until) throw new FloodError(Math.max(1, Math.ceil((until - now) / 1000)));
  }

  private refill(buckets: Map<number, Bucket>, chatId: number, now: number): Bucket {
    const bucket = buckets.get(chatId) ?? { tokens: this.limits.perChatBurst, at: now };
    const earned = ((now - bucket.at) / 1000) * this.limits.perChatPerSecond;
    bucket.tokens = Math.min(this.limits.perChatBurst, bucket.tokens + earned);
    bucket.at = now;
    buckets.set(chatId, bucket);
    return bucket;
  }

  private penalise(chatId: number, now: number, seconds: number): never {
    this.penalties.set(chatId, now + seconds * 1000);
    throw new FloodError(seconds);
  }
}
