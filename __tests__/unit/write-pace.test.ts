import { describe, expect, it } from "@jest/globals";
import { WritePace } from "../../handler/app/delivery/write-pace.js";
import { TelegramApiError } from "../../handler/errors.js";

describe("delivery/write-pace: a streamed answer's writes keep Telegram's pace", () => {
  const setup = () => {
    let clock = 10_000;
    const pace = new WritePace(1_000, () => clock);
    return { pace, advance: (ms: number) => (clock += ms), at: () => clock };
  };

  it("allows one write per interval, and the first write at once", async () => {
    // Arrange
    const { pace, advance, at } = setup();
    pace.lastWriteAt = at();

    // Act + Assess
    expect(pace.ready()).toBe(false);
    expect(pace.ready(true)).toBe(true);
    advance(999);
    expect(pace.ready()).toBe(false);
    advance(1);
    expect(pace.ready()).toBe(true);
    expect(pace.readyAt).toBe(at());
  });

  it("holds every write while one is in flight, then lets the next go", async () => {
    // Arrange
    const { pace } = setup();
    let finish = () => {};
    const write = new Promise<void>((resolve) => {
      finish = resolve;
    });

    // Act
    pace.start(
      () => write,
      () => {},
    );

    // Assess
    expect(pace.ready(true)).toBe(false);
    finish();
    await pace.settled();
    expect(pace.ready(true)).toBe(true);
  });

  it("waits out a 429 for as long as Telegram asked, and reports it; other errors are not a penalty", async () => {
    // Arrange
    const { pace, advance, at } = setup();
    const flood = new TelegramApiError("editMessageText", 429, "Too Many Requests", 3);

    // Act
    const backedOff = pace.backOff(flood);
    const other = pace.backOff(new TelegramApiError("editMessageText", 400, "Bad Request"));

    // Assess
    expect(backedOff).toEqual({ retryAfter: 3 });
    expect(other).toBeUndefined();
    expect(pace.readyAt).toBe(at() + 3_000);
    advance(2_999);
    expect(pace.ready()).toBe(false);
    advance(1);
    expect(pace.ready()).toBe(true);
  });

  it("after stop, no write starts again, not even a first one", async () => {
    // Arrange
    const { pace, advance } = setup();

    // Act
    pace.stop();
    advance(60_000);

    // Assess
    expect(pace.ready()).toBe(false);
    expect(pace.ready(true)).toBe(false);
  });
});
