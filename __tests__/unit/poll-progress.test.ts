import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { coalesce, runPool } from "../../handler/app/concurrency.js";
import { BatchProgress } from "../../handler/app/poll-progress.js";
import type { PollerState } from "../../handler/app/ports.js";

const updates = (...ids: number[]): Update[] => ids.map((update_id) => ({ update_id }));
const state = (over: Partial<PollerState> = {}): PollerState => ({
  offset: 100,
  done: [],
  attempts: {},
  ...over,
});

describe("app/poll-progress BatchProgress", () => {
  it("moves the offset past a batch once every update is finished", () => {
    // Prepare
    const p = new BatchProgress(state(), updates(100, 101, 102));

    // Act
    for (const id of [100, 101, 102]) p.finish(id);

    // Assess
    expect(p.snapshot()).toMatchObject({ offset: 103, done: [], attempts: {} });
  });

  it("stops the offset at the first unfinished update and remembers those finished after it", () => {
    // Prepare: lanes finished 100 and 102, while 101 (another chat) is still running.
    const p = new BatchProgress(state(), updates(102, 100, 101));

    // Act
    p.finish(100);
    p.finish(102);

    // Assess: 101 is not skipped, and 102 is not answered again next time.
    expect(p.snapshot()).toMatchObject({ offset: 101, done: [102] });
    expect(p.isDone(102)).toBe(true);
    expect(p.isDone(101)).toBe(false);
  });

  it("counts failed attempts per update and forgets them once it succeeds", () => {
    // Prepare
    const p = new BatchProgress(state({ attempts: { "100": 1 } }), updates(100, 101));

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
    expect(new BatchProgress(state({ offset: 250 }), []).snapshot().offset).toBe(250);
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

  it("coalesce folds requests made during a write into one more write", async () => {
    // Prepare
    let writes = 0;
    const saver = coalesce(async () => {
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
