import { describe, expect, it } from "@jest/globals";
import {
  limitReached,
  limitText,
  nextUtcMidnight,
  timeUntil,
  type Usage,
  utcDay,
} from "../../handler/domain/usage.js";

const usage = (day: string, dayMessages: number, dayTokens: number): Usage => ({
  userId: 1,
  day,
  dayMessages,
  dayTokens,
  messages: dayMessages + 100,
  tokens: dayTokens + 10_000,
});

describe("daily limits (pure, the clock passed in)", () => {
  const beforeMidnight = new Date("2026-11-26T23:59:30.000Z");
  const afterMidnight = new Date("2026-11-27T00:00:00.000Z");

  it("names the UTC day and the next UTC midnight", () => {
    expect(utcDay(beforeMidnight)).toBe("2026-11-26");
    expect(utcDay(afterMidnight)).toBe("2026-11-27");
    expect(nextUtcMidnight(beforeMidnight).toISOString()).toBe("2026-11-27T00:00:00.000Z");
    expect(nextUtcMidnight(afterMidnight).toISOString()).toBe("2026-11-28T00:00:00.000Z");
    expect(nextUtcMidnight(new Date("2026-12-31T12:00:00Z")).toISOString()).toBe(
      "2027-01-01T00:00:00.000Z",
    );
  });

  it("refuses at the limit until UTC midnight, and not a moment after it", () => {
    const used = usage("2026-11-26", 5, 10);
    expect(limitReached(used, { messages: 5, tokens: 0 }, beforeMidnight)).toEqual({
      limit: "messages",
      allowed: 5,
      used: 5,
      resetsAt: new Date("2026-11-27T00:00:00.000Z"),
    });
    expect(limitReached(used, { messages: 5, tokens: 0 }, afterMidnight)).toBeUndefined();
  });

  it("lets the last message under the limit through, and ignores limits set to 0", () => {
    expect(
      limitReached(usage("2026-11-26", 4, 10), { messages: 5, tokens: 0 }, beforeMidnight),
    ).toBeUndefined();
    expect(
      limitReached(usage("2026-11-26", 500, 1e6), { messages: 0, tokens: 0 }, beforeMidnight),
    ).toBeUndefined();
    expect(limitReached(undefined, { messages: 1, tokens: 1 }, beforeMidnight)).toBeUndefined();
  });

  it("refuses on tokens once today's reach the token limit", () => {
    const reached = limitReached(
      usage("2026-11-26", 1, 1200),
      { messages: 0, tokens: 1000 },
      beforeMidnight,
    );
    expect(reached).toMatchObject({ limit: "tokens", allowed: 1000, used: 1200 });
  });

  it("says when the limit resets, in UTC and as time left", () => {
    const now = new Date("2026-11-26T20:47:10.000Z");
    expect(timeUntil(now, nextUtcMidnight(now))).toBe("3 h 13 min");
    expect(timeUntil(beforeMidnight, afterMidnight)).toBe("1 min");
    const reached = limitReached(usage("2026-11-26", 3, 0), { messages: 3, tokens: 0 }, now);
    expect(reached && limitText(reached, now)).toBe(
      "⏳ You've reached today's limit of 3 messages. It resets at 00:00 UTC (in 3 h 13 min); until then I won't send your messages to the model. /usage shows your numbers.",
    );
  });
});
