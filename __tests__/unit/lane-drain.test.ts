import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { checkUpdate } from "../../handler/app/intake/checked-update.js";
import { leaseOwner } from "../../handler/app/intake/lease-owner.js";
import {
  answerInLane,
  drainLane,
  type LaneDeps,
  laneOf,
} from "../../handler/app/intake/webhook/lane-drain.js";
import type { PendingUpdate, UpdateLedger, UpdateStatus } from "../../handler/app/ports.js";
import { TelegramApiError } from "../../handler/errors.js";
import { createLogger } from "../../handler/log.js";

/** The ledger port in memory, with the same rules as the DynamoDB adapter. */
class MemoryLedger implements UpdateLedger {
  readonly items = new Map<
    string,
    { update: Update; status: UpdateStatus; attempts: number; failure?: string }
  >();
  readonly leases = new Map<string, { owner: string; until: number }>();
  readonly watermarks = new Map<string, number>();
  private key = (lane: string, id: number) => `${lane}/${String(id).padStart(16, "0")}`;

  async record(lane: string, update: Update): Promise<"new" | UpdateStatus> {
    const known = this.items.get(this.key(lane, update.update_id));
    if (known) return known.status;
    this.items.set(this.key(lane, update.update_id), { update, status: "pending", attempts: 0 });
    return "new";
  }
  async status(lane: string, updateId: number): Promise<UpdateStatus | undefined> {
    return this.items.get(this.key(lane, updateId))?.status;
  }
  async pending(lane: string, after: number): Promise<PendingUpdate[]> {
    return [...this.items.entries()]
      .filter(
        ([k, v]) =>
          k.startsWith(`${lane}/`) && v.status === "pending" && v.update.update_id > after,
      )
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, v]) => ({ update: v.update, attempts: v.attempts }));
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
    expect(laneOf(checkUpdate(text(1, 42, "hi")))).toBe("u42");
    expect(
      laneOf(
        checkUpdate({ update_id: 2, channel_post: { chat: { id: -5 } } } as unknown as Update),
      ),
    ).toBe("c-5");
    expect(laneOf(checkUpdate({ update_id: 3 } as Update))).toBe("x3");
  });

  it("answers pending updates lowest update_id first, whatever order they were recorded in", async () => {
    // Arrange
    const ledger = new MemoryLedger();
    for (const [id, body] of [
      [12, "third"],
      [10, "first"],
      [11, "second"],
    ] as const)
      await ledger.record("u1", text(id, 1, body));
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
    await ledger.record("u2", text(20, 2, "ok"));
    await ledger.record("u2", text(21, 2, "breaks"));
    await ledger.record("u2", text(22, 2, "after"));
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
    await ledger.record("u3", text(30, 3, "always fails"));
    await ledger.record("u3", text(31, 3, "too big"));
    await ledger.record("u3", text(32, 3, "fine"));
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

  it("reads from the watermark, yet still answers an update recorded late below it", async () => {
    // Arrange: 50 and 52 were answered; 51 arrives afterwards (concurrent deliveries)
    const ledger = new MemoryLedger();
    await ledger.record("u5", text(50, 5, "a"));
    await ledger.record("u5", text(52, 5, "c"));
    const { d, answered } = deps(ledger);
    await drainLane("u5", d);
    const late = text(51, 5, "b");
    await ledger.record("u5", late);

    // Act
    const plain = await drainLane("u5", d);
    const outcome = await answerInLane(checkUpdate(late), d);

    // Assess
    expect(plain).toEqual(new Map());
    expect(outcome).toBe("handled");
    expect(answered).toEqual(["a", "c", "b"]);
    expect(ledger.watermarks.get("u5")).toBe(52);
  });

  it("finishes an update whose reply Telegram refused (403) after one attempt, without a give-up message, and answers the next one in the same drain", async () => {
    // Arrange
    const ledger = new MemoryLedger();
    await ledger.record("u6", text(60, 6, "blocked"));
    await ledger.record("u6", text(61, 6, "next"));
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

  it("lets only one of two drains that share a request id hold the lane (Lambda's retries reuse it)", async () => {
    // Arrange: the first drain is inside its answer when the second starts
    const ledger = new MemoryLedger();
    await ledger.record("u7", text(70, 7, "slow"));
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
    await ledger.record("u4", update);
    await ledger.acquireLane("u4", "other-invoke", Date.now() + 60_000, Date.now());
    const { d, answered } = deps(ledger);

    // Act
    const busy = await drainLane("u4", d);
    const waiting = answerInLane(checkUpdate(update), d);
    await ledger.finish("u4", 40, "done");
    await ledger.releaseLane("u4", "other-invoke");
    const outcome = await waiting;

    // Assess
    expect(busy).toBe("busy");
    expect(outcome).toBe("duplicate");
    expect(answered).toEqual([]);
  });
});
