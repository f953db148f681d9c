import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { checkUpdate } from "../../handler/app/intake/checked-update.js";
import { leaseOwner } from "../../handler/app/intake/lease-owner.js";
import {
  answerInLane,
  drainLane,
  LANE_LEASE_MS,
  LANE_RENEW_MS,
  type LaneDeps,
  laneOf,
  RetryLaterError,
} from "../../handler/app/intake/webhook/lane-drain.js";
import type { PendingUpdate, UpdateLedger, UpdateStatus } from "../../handler/app/ports.js";
import { TelegramApiError } from "../../handler/errors.js";
import { createLogger } from "../../handler/log.js";

/** The ledger port in memory, with the same rules as the DynamoDB adapter. */
class MemoryLedger implements UpdateLedger {
  readonly items = new Map<
    string,
    { update: Update; status: UpdateStatus; attempts: number; receivedAt: number; failure?: string }
  >();
  readonly leases = new Map<string, { owner: string; until: number }>();
  readonly watermarks = new Map<string, number>();
  private key = (lane: string, id: number) => `${lane}/${String(id).padStart(16, "0")}`;

  async record(lane: string, update: Update, now: number): Promise<"new" | UpdateStatus> {
    const known = this.items.get(this.key(lane, update.update_id));
    if (known) return known.status;
    this.items.set(this.key(lane, update.update_id), {
      update,
      status: "pending",
      attempts: 0,
      receivedAt: now,
    });
    return "new";
  }
  async status(lane: string, update: Update): Promise<UpdateStatus | undefined> {
    return this.items.get(this.key(lane, update.update_id))?.status;
  }
  async pending(lane: string, after: number): Promise<PendingUpdate[]> {
    return [...this.items.entries()]
      .filter(
        ([k, v]) =>
          k.startsWith(`${lane}/`) && v.status === "pending" && v.update.update_id > after,
      )
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, v]) => ({ update: v.update, attempts: v.attempts, receivedAt: v.receivedAt }));
  }
  async startAttempt(lane: string, updateId: number): Promise<number> {
    const item = this.items.get(this.key(lane, updateId));
    if (!item) throw new Error("no such update");
    item.attempts++;
    return item.attempts;
  }
  async finish(lane: string, updateId: number, outcome: "done" | { failed: string }) {
    const item = this.items.get(this.key(lane, updateId));
    if (!item) throw new Error("no such update");
    item.status = outcome === "done" ? "done" : "failed";
    if (outcome !== "done") item.failure = outcome.failed;
  }
  async acquireLane(lane: string, owner: string, until: number, now: number) {
    const held = this.leases.get(lane);
    if (held && held.owner !== owner && held.until >= now) return undefined;
    this.leases.set(lane, { owner, until });
    return { doneThrough: this.watermarks.get(lane) ?? 0 };
  }
  async releaseLane(lane: string, owner: string, doneThrough?: number): Promise<void> {
    if (this.leases.get(lane)?.owner !== owner) return;
    this.leases.delete(lane);
    if (doneThrough !== undefined) this.watermarks.set(lane, doneThrough);
  }
}

const text = (updateId: number, userId: number, body: string): Update =>
  ({
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 0,
      chat: { id: userId, type: "private", first_name: "U" },
      from: { id: userId, is_bot: false, first_name: "U" },
      text: body,
    },
  }) as Update;

function deps(ledger: UpdateLedger, overrides: Partial<LaneDeps> = {}) {
  const answered: string[] = [];
  const told: number[] = [];
  const lines: string[] = [];
  const d: LaneDeps = {
    ledger,
    log: createLogger({ level: "debug", secrets: [], write: (l) => lines.push(l) }),
    maxAttempts: 3,
    handle: async (u) => {
      answered.push(u.raw.message?.text ?? "");
      return "handled";
    },
    giveUp: async (u) => {
      told.push(u.updateId);
    },
    deadline: Date.now() + 60_000,
    owner: "invoke-1",
    ...overrides,
  };
  return { d, answered, told, lines };
}

describe("lane drain: a lane's updates answered once, in update_id order", () => {
  it("puts an update in its sender's lane, else its chat's, else one of its own", () => {
    expect(laneOf(checkUpdate(text(1, 42, "hi"), 0))).toBe("u42");
    expect(
      laneOf(
        checkUpdate({ update_id: 2, channel_post: { chat: { id: -5 } } } as unknown as Update, 0),
      ),
    ).toBe("c-5");
    expect(laneOf(checkUpdate({ update_id: 3 } as Update, 0))).toBe("x3");
  });

  it("answers pending updates lowest update_id first, whatever order they were recorded in", async () => {
    // Arrange
    const ledger = new MemoryLedger();
    for (const [id, body] of [
      [12, "third"],
      [10, "first"],
      [11, "second"],
    ] as const)
      await ledger.record("u1", text(id, 1, body), 0);
    const { d, answered } = deps(ledger);

    // Act
    const outcomes = await drainLane("u1", d);

    // Assess
    expect(answered).toEqual(["first", "second", "third"]);
    expect(outcomes).toEqual(
      new Map([
        [10, "handled"],
        [11, "handled"],
        [12, "handled"],
      ]),
    );
    expect(await ledger.pending("u1", 0)).toEqual([]);
    expect(ledger.watermarks.get("u1")).toBe(12);
    expect(ledger.leases.has("u1")).toBe(false);
  });

  it("stops at a failing update, keeping it and every later one pending, and rethrows for a retry", async () => {
    // Arrange
    const ledger = new MemoryLedger();
    await ledger.record("u2", text(20, 2, "ok"), 0);
    await ledger.record("u2", text(21, 2, "breaks"), 0);
    await ledger.record("u2", text(22, 2, "after"), 0);
    const { d, answered } = deps(ledger, {
      handle: async (u) => {
        if (u.raw.message?.text === "breaks") throw new Error("DynamoDB throttled");
        answered.push(u.raw.message?.text ?? "");
        return "handled";
      },
    });

    // Act
    const error = await drainLane("u2", d).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(answered).toEqual(["ok"]);
    expect((await ledger.pending("u2", 0)).map((p) => p.update.update_id)).toEqual([21, 22]);
    expect(ledger.watermarks.has("u2")).toBe(false);
    expect(ledger.leases.has("u2")).toBe(false);
  });

  it("gives up on the last attempt (or at once when it can never work), tells the user, keeps it as failed, and moves on", async () => {
    // Arrange
    const ledger = new MemoryLedger();
    await ledger.record("u3", text(30, 3, "always fails"), 0);
    await ledger.record("u3", text(31, 3, "too big"), 0);
    await ledger.record("u3", text(32, 3, "fine"), 0);
    const { d, answered, told } = deps(ledger, {
      handle: async (u) => {
        if (u.raw.message?.text === "always fails") throw new Error("still down");
        if (u.raw.message?.text === "too big")
          throw Object.assign(new Error("Item size has exceeded the maximum allowed size"), {
            name: "ValidationException",
          });
        answered.push(u.raw.message?.text ?? "");
        return "handled";
      },
    });

    // Act: three runs, as Lambda's first attempt and two retries
    for (let run = 0; run < 2; run++) await drainLane("u3", d).catch(() => undefined);
    const last = await drainLane("u3", d);

    // Assess
    expect(last).toEqual(
      new Map([
        [30, "given_up"],
        [31, "given_up"],
        [32, "handled"],
      ]),
    );
    expect(told).toEqual([30, 31]);
    expect(answered).toEqual(["fine"]);
    expect(ledger.items.get(`u3/${"30".padStart(16, "0")}`)).toMatchObject({
      status: "failed",
      attempts: 3,
      failure: "Error: still down",
    });
    expect(ledger.items.get(`u3/${"31".padStart(16, "0")}`)).toMatchObject({
      status: "failed",
      attempts: 1,
    });
  });

  it("reads from the watermark, yet still answers an update recorded late below it; the watermark is then the last update finished", async () => {
    // Arrange: 50 and 52 were answered; 51 arrives afterwards (concurrent deliveries)
    const ledger = new MemoryLedger();
    await ledger.record("u5", text(50, 5, "a"), 0);
    await ledger.record("u5", text(52, 5, "c"), 0);
    const { d, answered } = deps(ledger);
    await drainLane("u5", d);
    const late = text(51, 5, "b");
    await ledger.record("u5", late, 0);

    // Act
    const plain = await drainLane("u5", d);
    const outcome = await answerInLane(checkUpdate(late, 0), d);

    // Assess
    expect(plain).toEqual(new Map());
    expect(outcome).toBe("handled");
    expect(answered).toEqual(["a", "c", "b"]);
    // Not the higher 52: ids are not forever increasing (see the restarted sequence below).
    expect(ledger.watermarks.get("u5")).toBe(51);
  });

  it("finishes an update whose reply Telegram refused (403) after one attempt, without a give-up message, and answers the next one in the same drain", async () => {
    // Arrange
    const ledger = new MemoryLedger();
    await ledger.record("u6", text(60, 6, "blocked"), 0);
    await ledger.record("u6", text(61, 6, "next"), 0);
    const { d, answered, told } = deps(ledger, {
      handle: async (u) => {
        if (u.raw.message?.text === "blocked")
          throw new TelegramApiError("sendMessage", 403, "Forbidden: bot was blocked by the user");
        answered.push(u.raw.message?.text ?? "");
        return "handled";
      },
    });

    // Act
    const outcomes = await drainLane("u6", d);

    // Assess
    expect(outcomes).toEqual(
      new Map([
        [60, "skipped"],
        [61, "handled"],
      ]),
    );
    expect(ledger.items.get(`u6/${"60".padStart(16, "0")}`)).toMatchObject({
      status: "done",
      attempts: 1,
    });
    expect(told).toEqual([]);
    expect(answered).toEqual(["next"]);
  });

  it("keeps an update Telegram's flood limit held past the invoke pending even after its last attempt: never given up for it", async () => {
    // Arrange: a 429 on every run beyond maxAttempts (3), then Telegram lets it through.
    const ledger = new MemoryLedger();
    await ledger.record("u7", text(70, 7, "flooded"), 0);
    let runs = 0;
    const { d, answered, told } = deps(ledger, {
      handle: async (u) => {
        runs++;
        if (runs <= 4)
          throw new TelegramApiError("sendMessage", 429, "Too Many Requests: retry after 60", 60);
        answered.push(u.raw.message?.text ?? "");
        return "handled";
      },
    });

    // Act
    const failures: unknown[] = [];
    for (let run = 0; run < 4; run++) await drainLane("u7", d).catch((e) => failures.push(e));
    const last = await drainLane("u7", d);

    // Assess
    expect(failures).toHaveLength(4);
    expect(last).toEqual(new Map([[70, "handled"]]));
    expect(told).toEqual([]);
    expect(answered).toEqual(["flooded"]);
  });

  it("stops with the rest pending once its lease is no longer known to be fresh: a holder paused past the renewal bound answers nothing more", async () => {
    // Arrange: the first answer takes longer than the lease can be trusted without a renewal
    // (a frozen container, a long GC pause: the renewal timer could not run meanwhile)
    const ledger = new MemoryLedger();
    for (const [id, body] of [
      [80, "slow"],
      [81, "next"],
      [82, "last"],
    ] as const)
      await ledger.record("u8", text(id, 8, body), 0);
    let clock = 1_000_000;
    const { d, answered } = deps(ledger, {
      now: () => clock,
      deadline: clock + 600_000,
      handle: async (u) => {
        answered.push(u.raw.message?.text ?? "");
        clock += LANE_LEASE_MS - LANE_RENEW_MS + 1;
        return "handled";
      },
    });

    // Act
    const drained = drainLane("u8", d);

    // Assess
    await expect(drained).rejects.toThrow(RetryLaterError);
    expect(answered).toEqual(["slow"]);
    expect(ledger.items.get(`u8/${"80".padStart(16, "0")}`)?.status).toBe("done");
    for (const id of [81, 82])
      expect(ledger.items.get(`u8/${String(id).padStart(16, "0")}`)).toMatchObject({
        status: "pending",
        attempts: 0,
      });
  });

  it("lets only one of two drains that share a request id hold the lane (Lambda's retries reuse it)", async () => {
    // Arrange: the first drain is inside its answer when the second starts
    const ledger = new MemoryLedger();
    await ledger.record("u7", text(70, 7, "slow"), 0);
    let finishAnswer = () => {};
    let inAnswer = () => {};
    const answering = new Promise<void>((resolve) => {
      inAnswer = resolve;
    });
    const { d, answered } = deps(ledger, {
      owner: leaseOwner("same-request-id"),
      handle: async (u) => {
        answered.push(u.raw.message?.text ?? "");
        if (answered.length > 1) return "handled";
        inAnswer();
        await new Promise<void>((resolve) => {
          finishAnswer = resolve;
        });
        return "handled";
      },
    });

    // Act
    const first = drainLane("u7", d);
    await answering;
    const second = await drainLane("u7", { ...d, owner: leaseOwner("same-request-id") });
    finishAnswer();

    // Assess
    expect(second).toBe("busy");
    expect(await first).toEqual(new Map([[70, "handled"]]));
    expect(answered).toEqual(["slow"]);
  });

  it("leaves a lane another invoke holds alone; a waiting update counts as answered once the holder finished it", async () => {
    // Arrange
    const ledger = new MemoryLedger();
    const update = text(40, 4, "mine");
    await ledger.record("u4", update, 0);
    await ledger.acquireLane("u4", "other-invoke", Date.now() + 60_000, Date.now());
    const { d, answered } = deps(ledger);

    // Act
    const busy = await drainLane("u4", d);
    const waiting = answerInLane(checkUpdate(update, 0), d);
    await ledger.finish("u4", 40, "done");
    await ledger.releaseLane("u4", "other-invoke");
    const outcome = await waiting;

    // Assess
    expect(busy).toBe("busy");
    expect(outcome).toBe("duplicate");
    expect(answered).toEqual([]);
  });
});
