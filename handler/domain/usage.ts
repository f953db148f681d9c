/**
 * Daily and all-time usage of one user, and the daily limits. Pure: the
 * clock is passed in, so a day rollover is a plain function call.
 */

/** A user's counters as stored (one item per user, see docs/data-layout.md). */
export interface Usage {
  readonly userId: number;
  /** The UTC day (`yyyy-mm-dd`) the day counters belong to. */
  readonly day: string;
  readonly dayMessages: number;
  readonly dayTokens: number;
  /** All time, today included. */
  readonly messages: number;
  readonly tokens: number;
  /** Username or first name, for admins' `/usage all`. */
  readonly name?: string;
}

/** Daily limits; 0 means no limit. */
export interface DailyLimits {
  readonly messages: number;
  readonly tokens: number;
}

/** Which limit a user has reached, and when it resets. */
export interface LimitReached {
  readonly limit: "messages" | "tokens";
  readonly allowed: number;
  readonly used: number;
  /** The next UTC midnight. */
  readonly resetsAt: Date;
}

/** The UTC day of `now`, `yyyy-mm-dd` (sorts and compares as a string). */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The next UTC midnight after `now`: when the day counters start again. */
export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** Today's counters: zero when the stored ones belong to an earlier day (or nothing is stored). */
export function today(usage: Usage | undefined, day: string): { messages: number; tokens: number } {
  return usage?.day === day
    ? { messages: usage.dayMessages, tokens: usage.dayTokens }
    : { messages: 0, tokens: 0 };
}

/** True when some daily limit is set. */
export function hasLimits(limits: DailyLimits): boolean {
  return limits.messages > 0 || limits.tokens > 0;
}

/**
 * The limit `usage` has reached today, if any. Counted turns are finished
 * ones, so a turn is refused only when the counters already reached a limit;
 * the turn that crosses the token limit still completes.
 */
export function limitReached(
  usage: Usage | undefined,
  limits: DailyLimits,
  now: Date,
): LimitReached | undefined {
  const used = today(usage, utcDay(now));
  const resetsAt = nextUtcMidnight(now);
  if (limits.messages > 0 && used.messages >= limits.messages)
    return { limit: "messages", allowed: limits.messages, used: used.messages, resetsAt };
  if (limits.tokens > 0 && used.tokens >= limits.tokens)
    return { limit: "tokens", allowed: limits.tokens, used: used.tokens, resetsAt };
  return undefined;
}

/** `1234567` → `1,234,567`. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** `3 messages`, `1 message`, `1,200 tokens`. */
export function amountOf(n: number, unit: "message" | "token"): string {
  return `${count(n)} ${unit}${n === 1 ? "" : "s"}`;
}

/** How long until `to`, e.g. `3 h 05 min` or `12 min` (rounded up to the minute). */
export function timeUntil(now: Date, to: Date): string {
  const minutes = Math.max(1, Math.ceil((to.getTime() - now.getTime()) / 60_000));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min`;
}

/** What a user over a limit is told; the model is not called. */
export function limitText(reached: LimitReached, now: Date): string {
  const what =
    reached.limit === "messages"
      ? `today's limit of ${amountOf(reached.allowed, "message")}`
      : `today's limit of ${amountOf(reached.allowed, "token")} (used: ${count(reached.used)})`;
  return `⏳ You've reached ${what}. It resets at 00:00 UTC (in ${timeUntil(now, reached.resetsAt)}); until then I won't send your messages to the model. /usage shows your numbers.`;
}
