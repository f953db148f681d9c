import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { coalescedWriter, runPool } from "../../handler/app/intake/polling/concurrency.js";
import {
  MAX_PENDING,
  MAX_PENDING_BYTES,
  PollProgress,
} from "../../handler/app/intake/polling/poll-progress.js";
import type { PollerState, TakenUpdate } from "../../handler/app/ports.js";

const updates = (...ids: number[]): Update[] => ids.map((update_id) => ({ update_id }));
/** Updates as stored pending: taken on at `receivedAt`. */
const held = (receivedAt: number, ...ids: number[]): TakenUpdate[] =>
  updates(...ids).map((update) => ({ update, receivedAt }));
const state = (over: Partial<PollerState> = {}): PollerState => ({
  offset: 100,
  done: [],
  attempts: {},
  ...over,
});

describe("app/poll-progress PollProgress", () => {
  it("never holds an update over 256 KB (the poller item could not store it): finished at once, handed back to be given up", () => {
    // Prepare
    const p = new PollProgress(state());
    const huge = { update_id: 101, padding: "x".repeat(300 * 1024) } as Update;

    // Act
    const { taken, tooLarge } = p.take([...updates(100), huge, ...updates(102)], 0);

    // Assess
    expect(taken.map((t) => t.update.update_id)).toEqual([100, 102]);
    expect(tooLarge.map((t) => [t.update.update_id, t.error.limit])).toEqual([[101, 256 * 1024]]);
    expect(p.isDone(101)).toBe(true);
    expect(p.snapshot()).toMatchObject({ offset: 100, fetchedTo: 103, done: [101] });
    expect(p.snapshot().pending?.map((t) => t.update.update_id)).toEqual([100, 102]);
  });

  it("moves the offset past updates once every one is finished", () => {
    // Prepare
    const p = new PollProgress(state());
    p.take(updates(100, 101, 102), 0);

    // Act
    for (const id of [100, 101, 102]) p.finish(id);

    // Assess
    expect(p.snapshot()).toMatchObject({ offset: 103, fetchedTo: 103, done: [], pending: [] });
  });

  it("stops the offset at the first unfinished update, keeps it pending and remembers those finished after it", () => {
    // Prepare: lanes finished 100 and 102, while 101 (another chat) is still running.
    const p = new PollProgress(state());
    p.take(updates(102, 100, 101), 0);

    // Act
    p.finish(100);
    p.finish(102);

    // Assess: 101 is not skipped, and 102 is not answered again next time.
    expect(p.snapshot()).toMatchObject({ offset: 101, fetchedTo: 103, done: [102] });
    expect(p.snapshot().pending?.map((t) => t.update.update_id)).toEqual([101]);
    expect(p.nextOffset).toBe(103);
    expect(p.isDone(102)).toBe(true);
    expect(p.isDone(101)).toBe(false);
  });

  it("carries over the pending updates of an earlier run with the time they were taken on, and takes only new ones", () => {
    // Prepare
    const p = new PollProgress(state({ offset: 101, fetchedTo: 103, pending: held(5_000, 101) }));

    // Act
    const next = p.take(updates(103), 9_000);

    // Assess
    expect(p.carriedOver()).toEqual([
      { update: { update_id: 101 }, receivedAt: 5_000 },
      { update: { update_id: 103 }, receivedAt: 9_000 },
    ]);
    expect(next).toMatchObject({ duplicates: 0 });
    expect(ids(next.taken)).toEqual([103]);
    expect(p.snapshot()).toMatchObject({ offset: 101, fetchedTo: 104 });
  });

  it("reads state stored before pending updates existed: Telegram is asked from the offset", () => {
    const p = new PollProgress(state({ offset: 250 }));
    expect(p.nextOffset).toBe(250);
    expect(p.take(updates(250), 0).taken).toHaveLength(1);
  });

  it("takes no more than fit in the stored item; the rest stay with Telegram", () => {
    // Prepare: updates of about 100 KB each
    const big = (id: number) =>
      ({ update_id: id, message: { text: "x".repeat(100_000) } }) as unknown as Update;
    const p = new PollProgress(state());

    // Act
    const { taken } = p.take([big(100), big(101), big(102)], 0);

    // Assess
    expect(taken.map((t) => t.update.update_id)).toEqual([100, 101]);
    expect(p.nextOffset).toBe(102);
  });

  it("counts failed attempts per update and forgets them once it succeeds", () => {
    // Prepare
    const p = new PollProgress(state({ attempts: { "100": 1 } }));
    p.take(updates(100, 101), 0);

    // Act
    const second = p.fail(100);
    const first = p.fail(101);
    const failing = p.snapshot();
    p.finish(100);

    // Assess
    expect([second, first]).toEqual([2, 1]);
    expect(failing).toMatchObject({ offset: 100, attempts: { "100": 2, "101": 1 } });
    expect(p.snapshot()).toMatchObject({ offset: 101, attempts: { "101": 1 } });
  });

  it("keeps the stored offset when Telegram returned nothing", () => {
    expect(new PollProgress(state({ offset: 250 })).snapshot().offset).toBe(250);
  });
});

/** An update whose stored JSON is exactly `bytes` long. */
const sized = (update_id: number, bytes: number): Update => {
  const empty = JSON.stringify({ update_id, message: { text: "" } }).length;
  return { update_id, message: { text: "x".repeat(bytes - empty) } } as unknown as Update;
};
const ids = (list: readonly TakenUpdate[] | undefined): number[] =>
  (list ?? []).map((t) => t.update.update_id);

describe("app/poll-progress limits and bookkeeping", () => {
  it("takes at most MAX_PENDING updates at once and has room again once one finishes", () => {
    // Prepare
    const p = new PollProgress(state());
    const many = updates(...Array.from({ length: MAX_PENDING + 50 }, (_, i) => 100 + i));

    // Act
    const { taken } = p.take(many, 0);

    // Assess: the rest stay with Telegram (the offset stops after the last one taken).
    expect(taken).toHaveLength(MAX_PENDING);
    expect(p.room).toBe(0);
    expect(p.nextOffset).toBe(100 + MAX_PENDING);
    p.finish(100);
    expect(p.room).toBe(1);
  });

  it("takes updates that fill the byte budget exactly", () => {
    // Prepare
    const p = new PollProgress(state());
    const half = MAX_PENDING_BYTES / 2;

    // Act
    const { taken } = p.take([sized(100, half), sized(101, half), sized(102, 100)], 0);

    // Assess
    expect(ids(taken)).toEqual([100, 101]);
  });

  it("an update larger than the whole byte budget cannot stall polling: it is too large to keep (given up), the next is taken", () => {
    // Prepare: the byte budget is MAX_UPDATE_BYTES, the one cap every intake applies
    const p = new PollProgress(state());

    // Act
    const first = p.take([sized(100, MAX_PENDING_BYTES + 1000), sized(101, 100)], 0);

    // Assess
    expect(ids(first.taken)).toEqual([101]);
    expect(first.tooLarge.map((t) => t.update.update_id)).toEqual([100]);
    expect(p.nextOffset).toBe(102);
  });

  it("frees a finished update's bytes for the next ones", () => {
    // Prepare
    const p = new PollProgress(state());
    const half = MAX_PENDING_BYTES / 2;
    p.take([sized(100, half), sized(101, half)], 0);

    // Act
    p.finish(100);
    const { taken } = p.take([sized(102, half)], 0);

    // Assess
    expect(ids(taken)).toEqual([102]);
  });

  it("treats finishing an update twice as finishing it once", () => {
    // Prepare
    const p = new PollProgress(state());
    p.take(updates(100, 101), 0);

    // Act
    p.finish(101);
    p.finish(101);

    // Assess
    expect(p.snapshot()).toMatchObject({ offset: 100, done: [101] });
    expect(ids(p.snapshot().pending)).toEqual([100]);
  });

  it("confirms an update finished in an earlier run when Telegram sends it again", () => {
    // Prepare: 101 was finished out of order; the run ended before 100 was.
    const p = new PollProgress(state({ offset: 100, done: [101] }));

    // Act
    const again = p.take(updates(100, 101), 0);

    // Assess: 101 is not taken again, and Telegram is asked past it.
    expect(ids(again.taken)).toEqual([100]);
    expect(again.duplicates).toBe(1);
    expect(p.nextOffset).toBe(102);
  });

  it("does not carry over a pending update that was already finished", () => {
    // Prepare
    const stored = state({
      offset: 100,
      fetchedTo: 103,
      pending: held(0, 100, 101, 102),
      done: [101],
    });

    // Act / Assess
    expect(ids(new PollProgress(stored).carriedOver())).toEqual([100, 102]);
  });

  it("carries over pending updates in id order, whatever order they were stored in", () => {
    // Prepare
    const stored = state({ offset: 100, fetchedTo: 103, pending: held(0, 102, 100, 101) });

    // Act
    const p = new PollProgress(stored);

    // Assess
    expect(ids(p.carriedOver())).toEqual([100, 101, 102]);
    expect(ids(p.snapshot().pending)).toEqual([100, 101, 102]);
  });

  it("stores the finished updates above the offset only, in id order", () => {
    // Prepare
    const p = new PollProgress(state());
    p.take(updates(100, 101, 102, 103), 0);

    // Act
    p.finish(103);
    p.finish(101);
    const outOfOrder = p.snapshot();
    p.finish(100);

    // Assess: once 100 and 101 are below the offset they need not be remembered.
    expect(outOfOrder).toMatchObject({ offset: 100, done: [101, 103] });
    expect(p.snapshot()).toMatchObject({ offset: 102, done: [103] });
  });

  it("forgets failed attempts of updates below the offset", () => {
    // Prepare
    const p = new PollProgress(state({ offset: 100, attempts: { "50": 2, "100": 1 } }));
    p.take(updates(100), 0);

    // Act / Assess
    expect(p.snapshot().attempts).toEqual({ "100": 1 });
  });

  it("keeps the webhook notice until getUpdates answers again", () => {
    // Prepare
    const fresh = new PollProgress(state());
    const noticed = new PollProgress(state({ webhookNoticed: true }));

    // Act / Assess
    expect(fresh.snapshot().webhookNoticed).toBe(false);
    expect(noticed.snapshot().webhookNoticed).toBe(true);
    noticed.take([], 0);
    expect(noticed.snapshot().webhookNoticed).toBe(false);
  });
});

describe("app/concurrency", () => {
  it("runPool never runs more than the limit at once and runs every item", async () => {
    // Prepare
    let running = 0;
    let most = 0;
    const seen: number[] = [];

    // Act
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(n);
      running--;
    });

    // Assess
    expect(most).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("coalescedWriter folds requests made during a write into one more write", async () => {
    // Prepare
    let writes = 0;
    const saver = coalescedWriter(async () => {
      writes++;
      await new Promise((r) => setTimeout(r, 10));
    });

    // Act: one write starts, three more requests arrive while it runs.
    saver.request();
    saver.request();
    saver.request();
    saver.request();
    await new Promise((r) => setTimeout(r, 5));
    await saver.flush();

    // Assess
    expect(writes).toBe(2);
  });
});

describe("app/poll-progress when Telegram's update ids start a new sequence", () => {
  it("takes a batch below the offset asked for as a new sequence: taken from its first id, Telegram then asked past it", () => {
    // Prepare: the old sequence reached 1002; after a quiet week Telegram restarts at 40
    const p = new PollProgress(state({ offset: 1002, fetchedTo: 1002, done: [] }));

    // Act
    const result = p.take(updates(41, 40), 7_000);

    // Assess
    expect(result.restart).toEqual({ askedFrom: 1002, firstId: 40 });
    expect(ids(result.taken)).toEqual([40, 41]);
    expect(result.taken.every((t) => t.receivedAt === 7_000)).toBe(true);
    expect(result.duplicates).toBe(0);
    expect(p.nextOffset).toBe(42);
  });

  it("reads no restart into a batch that starts at the offset, nor into ids that jump higher", () => {
    // Prepare
    const p = new PollProgress(state({ offset: 1002, fetchedTo: 1002 }));

    // Act
    const same = p.take(updates(1002), 1);
    const higher = p.take(updates(900_000_000), 2);

    // Assess
    expect(same.restart).toBeUndefined();
    expect(higher.restart).toBeUndefined();
    expect(ids(higher.taken)).toEqual([900_000_000]);
    expect(p.nextOffset).toBe(900_000_001);
  });

  it("forgets the old sequence's finished ids, which the new one may reach again", () => {
    // Prepare: 45 was finished out of order in the old sequence, while 44 waited
    const p = new PollProgress(
      state({ offset: 44, fetchedTo: 46, done: [45], pending: held(1, 44) }),
    );
    p.finish(44);

    // Act: the new sequence starts at 10 and, in time, reaches 45
    p.take(updates(10), 2);
    const again = p.take(updates(...Array.from({ length: 36 }, (_, i) => 11 + i)), 3);

    // Assess
    expect(ids(again.taken)).toContain(45);
    expect(again.duplicates).toBe(0);
  });

  it("keeps answering an update still pending from the old sequence, and a new one under its id waits at Telegram until it is finished", () => {
    // Prepare: 1000 is still pending (its answer failed) when the ids restart at 998
    const p = new PollProgress(state({ offset: 1000, fetchedTo: 1001, pending: held(5, 1000) }));

    // Act
    const first = p.take(updates(998, 999, 1000, 1001), 9);
    const carried = ids(p.carriedOver());
    p.finish(1000);
    const second = p.take(updates(1000, 1001), 10);

    // Assess: the new 1000 is taken only once the old one is finished, and not mistaken for it
    expect(ids(first.taken)).toEqual([998, 999]);
    expect(p.snapshot().offset).toBe(998);
    expect(carried).toEqual([998, 999, 1000]);
    expect(ids(second.taken)).toEqual([1000, 1001]);
    expect(second.taken[0]?.receivedAt).toBe(10);
    expect(p.isDone(1000)).toBe(false);
  });

  it("asks Telegram from the stored position of a restarted sequence even when an old update pending above it sets the offset", () => {
    // Prepare: stored after a restart at 40 while 1000 (old) was still pending
    const p = new PollProgress(state({ offset: 1000, fetchedTo: 42, pending: held(1, 1000) }));

    // Act / Assess
    expect(p.nextOffset).toBe(42);
    expect(ids(p.carriedOver())).toEqual([1000]);
  });
});
