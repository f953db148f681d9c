import { describe, expect, it, jest } from "@jest/globals";
import type { Turn } from "../../handler/app/conversation/turn.js";
import type { ModelResult, UsageStore, UsageTurn } from "../../handler/app/ports.js";
import { MAX_HELD_MS, UsageMeter } from "../../handler/app/usage/usage-meter.js";
import type { Usage } from "../../handler/domain/usage.js";
import { createLogger } from "../../handler/log.js";

/** A usage store in memory, with the DynamoDB store's rules: one item per user, a new day restarts the day counters. */
class MemoryUsage implements UsageStore {
  readonly writes: UsageTurn[] = [];
  readonly items = new Map<number, Usage>();
  reads = 0;
  failWrites = false;
  /** While set, each write's answer waits for it (DynamoDB applied the write; its answer is slow). */
  gate: Promise<void> | undefined;
  inFlight = 0;
  mostInFlight = 0;

  async get(userId: number): Promise<Usage | undefined> {
    this.reads++;
    return this.items.get(userId);
  }

  async record(turn: UsageTurn): Promise<Usage> {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      const usage = this.apply(turn);
      await this.gate;
      return usage;
    } finally {
      this.inFlight--;
    }
  }

  private apply(turn: UsageTurn): Usage {
    if (this.failWrites) throw new Error("ProvisionedThroughputExceededException");
    this.writes.push(turn);
    const was = this.items.get(turn.userId);
    const sameDay = was?.day === turn.day;
    const now: Usage = {
      userId: turn.userId,
      day: turn.day,
      dayMessages: (sameDay ? (was?.dayMessages ?? 0) : 0) + turn.messages,
      dayTokens: (sameDay ? (was?.dayTokens ?? 0) : 0) + turn.tokens,
      messages: (was?.messages ?? 0) + turn.messages,
      tokens: (was?.tokens ?? 0) + turn.tokens,
    };
    this.items.set(turn.userId, now);
    return now;
  }

  async topOfDay(): Promise<Usage[]> {
    return [...this.items.values()];
  }
}

/** Makes `store` keep its write answers back until the returned function is called. */
function holdAnswers(store: MemoryUsage): () => void {
  let answer = () => {};
  store.gate = new Promise<void>((resolve) => {
    answer = resolve;
  });
  return answer;
}

const result = (tokens: number): ModelResult => ({
  content: "ok",
  thinking: "",
  promptTokens: tokens - 2,
  completionTokens: 2,
  totalMs: 1,
  loadMs: 0,
  doneReason: "stop",
});

/** Log lines written, and a logger that writes them. */
function logs() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: "debug", secrets: [], write: (l) => lines.push(l) }) };
}

/** A turn as far as the meter reads one: its sender and its logger. */
function turnOf(userId: number, log = logs().log): Turn {
  return {
    msg: { userId, user: { firstName: `U${userId}` } },
    log,
  } as unknown as Turn;
}

/** A meter on `store` whose clock the test moves, and whose senders have `waiting` updates queued. */
function meterOn(store: MemoryUsage, start = "2026-11-26T12:00:00.000Z") {
  const clock = { now: new Date(start) };
  const waiting = new Map<number, number>();
  const meter = new UsageMeter(store, {
    limits: { messages: 0, tokens: 0 },
    now: () => clock.now,
    moreWaiting: (userId) => (waiting.get(userId) ?? 0) > 0,
  });
  return { meter, clock, waiting };
}

describe("app/usage UsageMeter: counts held while the sender has more waiting", () => {
  it("writes every turn at once when nobody tells it more is waiting (webhooks)", async () => {
    // Arrange
    const store = new MemoryUsage();
    const meter = new UsageMeter(store, {
      limits: { messages: 0, tokens: 0 },
      now: () => new Date(),
    });

    // Act
    for (let i = 0; i < 3; i++) await meter.count(turnOf(1), result(10));

    // Assert
    expect(store.writes.map((w) => w.messages)).toEqual([1, 1, 1]);
  });

  it("holds a sender's counts while more of their updates wait, and writes them in one write with the last", async () => {
    // Arrange
    const store = new MemoryUsage();
    const { meter, waiting } = meterOn(store);

    // Act: three messages queued at once; each turn counts while the rest wait
    const seen: (number | undefined)[] = [];
    for (const left of [2, 1, 0]) {
      waiting.set(7, left);
      await meter.count(turnOf(7), result(10));
      seen.push((await meter.of(7))?.dayMessages);
    }

    // Assert: the limits saw every turn at once; the store got one write for all three
    expect(seen).toEqual([1, 2, 3]);
    expect(store.writes).toEqual([
      { userId: 7, messages: 3, tokens: 30, day: "2026-11-26", name: "U7" },
    ]);
    expect(store.items.get(7)).toMatchObject({ dayMessages: 3, messages: 3, tokens: 30 });
    expect(store.reads).toBe(1);
  });

  it(`writes held counts once the first is ${MAX_HELD_MS / 1000} s old, even with more waiting (what a crash can lose)`, async () => {
    // Arrange
    const store = new MemoryUsage();
    const { meter, clock, waiting } = meterOn(store);
    waiting.set(7, 5);

    // Act
    await meter.count(turnOf(7), result(10));
    clock.now = new Date(clock.now.getTime() + MAX_HELD_MS - 1);
    await meter.count(turnOf(7), result(10));
    const heldThen = store.writes.length;
    clock.now = new Date(clock.now.getTime() + 1);
    await meter.count(turnOf(7), result(10));

    // Assert
    expect(heldThen).toBe(0);
    expect(store.writes.map((w) => w.messages)).toEqual([3]);
  });

  it("writes the old day's held turns as that day's when a turn counts after UTC midnight", async () => {
    // Arrange
    const store = new MemoryUsage();
    const { meter, clock, waiting } = meterOn(store, "2026-11-26T23:59:59.000Z");
    waiting.set(7, 5);

    // Act
    await meter.count(turnOf(7), result(10));
    clock.now = new Date("2026-11-27T00:00:01.000Z");
    await meter.count(turnOf(7), result(20));
    const today = await meter.of(7);
    await meter.flush(logs().log);

    // Assert
    expect(today).toMatchObject({ day: "2026-11-27", dayMessages: 1, dayTokens: 20, messages: 2 });
    expect(store.writes.map((w) => [w.day, w.messages, w.tokens])).toEqual([
      ["2026-11-26", 1, 10],
      ["2026-11-27", 1, 20],
    ]);
  });

  it("flush writes every sender's held counts; a failed write is logged and does not throw", async () => {
    // Arrange
    const store = new MemoryUsage();
    const { meter, waiting } = meterOn(store);
    waiting.set(1, 1);
    waiting.set(2, 1);
    await meter.count(turnOf(1), result(10));
    await meter.count(turnOf(2), result(10));
    await meter.count(turnOf(2), result(10));
    const { lines, log } = logs();

    // Act
    const heldBefore = store.writes.length;
    await meter.flush(log);
    store.failWrites = true;
    waiting.set(3, 1);
    await meter.count(turnOf(3, log), result(10));
    await meter.flush(log);

    // Assert
    expect(heldBefore).toBe(0);
    expect(store.writes.map((w) => [w.userId, w.messages]).sort()).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(lines.join("\n")).toContain("could not count the turns' usage");
    await meter.flush(log);
    expect(store.writes).toHaveLength(2);
  });

  it("still counts what is being written, and writes a user's counts one write at a time", async () => {
    // Arrange: DynamoDB answers only when the test says so
    const store = new MemoryUsage();
    const { meter, waiting } = meterOn(store);
    const answer = holdAnswers(store);
    waiting.set(7, 1);
    const { log } = logs();
    await meter.of(7);

    // Act: a held count goes out; more turns count while it is in flight, and go out too
    await meter.count(turnOf(7), result(10));
    const first = meter.flushUser(7, log);
    await new Promise((resolve) => setImmediate(resolve));
    await meter.count(turnOf(7), result(10));
    const whileWriting = await meter.of(7);
    const second = meter.flushUser(7, log);
    await Promise.resolve();
    const inFlight = store.inFlight;
    answer();
    await Promise.all([first, second]);

    // Assert
    expect(whileWriting).toMatchObject({ dayMessages: 2, messages: 2, tokens: 20 });
    expect(inFlight).toBe(1);
    expect(store.mostInFlight).toBe(1);
    expect(store.writes.map((w) => w.messages)).toEqual([1, 1]);
    expect(await meter.of(7)).toMatchObject({ dayMessages: 2, messages: 2 });
  });

  it("a first read while the user's count is being written sees that count once", async () => {
    // Arrange
    const store = new MemoryUsage();
    const { meter, waiting } = meterOn(store);
    const answer = holdAnswers(store);
    waiting.set(7, 1);
    await meter.count(turnOf(7), result(10));
    const writing = meter.flushUser(7, logs().log);
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    const reading = meter.of(7);
    answer();
    const [usage] = await Promise.all([reading, writing]);

    // Assert
    expect(usage).toMatchObject({ dayMessages: 1, messages: 1, tokens: 10 });
    expect(store.reads).toBe(1);
  });

  it(`writes a held count ${MAX_HELD_MS / 1000} s after it was held, however long the user's next answer takes`, async () => {
    // Arrange
    jest.useFakeTimers({ doNotFake: ["queueMicrotask", "nextTick"] });
    try {
      const store = new MemoryUsage();
      const { meter, waiting } = meterOn(store);
      waiting.set(7, 1);

      // Act
      await meter.count(turnOf(7), result(10));
      await jest.advanceTimersByTimeAsync(MAX_HELD_MS - 1);
      const before = store.writes.length;
      await jest.advanceTimersByTimeAsync(1);

      // Assert
      expect(before).toBe(0);
      expect(store.writes.map((w) => w.messages)).toEqual([1]);
    } finally {
      jest.useRealTimers();
    }
  });

  it("leaves no timer behind once everything held is written", async () => {
    // Arrange
    jest.useFakeTimers({ doNotFake: ["queueMicrotask", "nextTick"] });
    try {
      const store = new MemoryUsage();
      const { meter, waiting } = meterOn(store);
      waiting.set(7, 1);
      const { log } = logs();

      // Act: a count held while a write of the user's waits its turn goes with that write
      await meter.count(turnOf(7), result(10));
      const writing = meter.flushUser(7, log);
      await meter.count(turnOf(7), result(10));
      await writing;
      await meter.flush(log);

      // Assert
      expect(store.writes.map((w) => w.messages)).toEqual([2]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
