import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { coalescedWriter, runPool } from "../../handler/app/intake/polling/concurrency.js";
import { PollProgress } from "../../handler/app/intake/polling/poll-progress.js";
import type { PollerState } from "../../handler/app/ports.js";

const updates = (...ids: number[]): Update[] => ids.map((update_id) => ({ update_id }));
const state = (over: Partial<PollerState> = {}): PollerState => ({
  offset: 100,
  done: [],
  attempts: {},
  ...over,
});

describe("app/poll-progress PollProgress", () => {
  it("moves the offset past updates once every one is finished", () => {
    // Prepare
    const p = new PollProgress(state());
    p.take(updates(100, 101, 102));

    // Act
    for (const id of [100, 101, 102]) p.finish(id);

    // Assess
    expect(p.snapshot()).toMatchObject({ offset: 103, fetchedTo: 103, done: [], pending: [] });
  });

  it("stops the offset at the first unfinished update, keeps it pending and remembers those finished after it", () => {
    // Prepare: lanes finished 100 and 102, while 101 (another chat) is still running.
    const p = new PollProgress(state());
    p.take(updates(102, 100, 101));

    // Act
    p.finish(100);
    p.finish(102);

    // Assess: 101 is not skipped, and 102 is not answered again next time.
    expect(p.snapshot()).toMatchObject({ offset: 101, fetchedTo: 103, done: [102] });
    expect(p.snapshot().pending?.map((u) => u.update_id)).toEqual([101]);
    expect(p.nextOffset).toBe(103);
    expect(p.isDone(102)).toBe(true);
    expect(p.isDone(101)).toBe(false);
  });

  it("carries over the pending updates of an earlier run, and does not take them again", () => {
    // Prepare
    const p = new PollProgress(state({ offset: 101, fetchedTo: 103, pending: updates(101) }));

    // Act
    const again = p.take(updates(101, 103));

    // Assess
    expect(p.carriedOver().map((u) => u.update_id)).toEqual([101, 103]);
    expect(again).toMatchObject({ duplicates: 1 });
    expect(again.taken.map((u) => u.update_id)).toEqual([103]);
    expect(p.snapshot()).toMatchObject({ offset: 101, fetchedTo: 104 });
  });

  it("reads state stored before pending updates existed: Telegram is asked from the offset", () => {
    const p = new PollProgress(state({ offset: 250 }));
    expect(p.nextOffset).toBe(250);
    expect(p.take(updates(250)).taken).toHaveLength(1);
  });

  it("takes no more than fit in the stored item; the rest stay with Telegram", () => {
    // Prepare: updates of about 100 KB each
    const big = (id: number) =>
      ({ update_id: id, message: { text: "x".repeat(100_000) } }) as unknown as Update;
    const p = new PollProgress(state());

    // Act
    const { taken } = p.take([big(100), big(101), big(102)]);

    // Assess
    expect(taken.map((u) => u.update_id)).toEqual([100, 101]);
    expect(p.nextOffset).toBe(102);
  });

  it("counts failed attempts per update and forgets them once it succeeds", () => {
    // Prepare
    const p = new PollProgress(state({ attempts: { "100": 1 } }));
    p.take(updates(100, 101));

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
