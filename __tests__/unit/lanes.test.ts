import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { checkUpdate } from "../../handler/app/intake/checked-update.js";
import { ChatLanes } from "../../handler/app/intake/polling/chat-lanes.js";

function msg(updateId: number, chatId: number, userId: number): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 0,
      chat: { id: chatId, type: chatId > 0 ? "private" : "group" },
      from: { id: userId, is_bot: false, first_name: "u" },
      text: `m${updateId}`,
    },
  } as unknown as Update;
}

const tick = () => new Promise((r) => setTimeout(r, 2));

/**
 * Runs `updates` through ChatLanes (each run takes a few ticks) and returns the
 * events in the order they happened: "start 1", "end 1", "skip 3".
 */
async function trace(
  updates: readonly Update[],
  options: { limit?: number; fails?: number[] } = {},
): Promise<{ events: string[]; most: number }> {
  const events: string[] = [];
  let running = 0;
  let most = 0;
  const lanes = new ChatLanes(
    options.limit ?? 100,
    async (u) => {
      running++;
      most = Math.max(most, running);
      events.push(`start ${u.updateId}`);
      for (let i = 0; i < 3; i++) await tick();
      events.push(`end ${u.updateId}`);
      running--;
      return !(options.fails ?? []).includes(u.updateId);
    },
    (u) => events.push(`skip ${u.updateId}`),
  );
  for (const u of updates) lanes.add(checkUpdate(u, 0));
  await lanes.idle();
  expect(lanes.size).toBe(0);
  return { events, most };
}

/** True when `b` started only after `a` ended (same lane). */
const ranAfter = (events: string[], a: number, b: number) =>
  events.indexOf(`end ${a}`) < events.indexOf(`start ${b}`);

describe("app/lanes ChatLanes", () => {
  it("is idle at once when nothing was added", async () => {
    expect(await trace([])).toEqual({ events: [], most: 0 });
  });

  it("starts different users in different private chats at once", async () => {
    // Act
    const { events } = await trace([msg(1, 10, 10), msg(2, 20, 20), msg(3, 30, 30)]);

    // Assess
    expect(events.slice(0, 3)).toEqual(["start 1", "start 2", "start 3"]);
  });

  it("keeps one chat's updates in order, one after the other, while another chat runs", async () => {
    // Act
    const { events } = await trace([
      msg(1, 10, 10),
      msg(2, 20, 20),
      msg(3, 10, 10),
      msg(4, 10, 10),
    ]);

    // Assess
    expect(ranAfter(events, 1, 3)).toBe(true);
    expect(ranAfter(events, 3, 4)).toBe(true);
    expect(ranAfter(events, 1, 2)).toBe(false);
  });

  it("joins a user's private chat and group messages into one lane", async () => {
    // Act
    const { events } = await trace([msg(1, 10, 10), msg(2, -500, 10), msg(3, 20, 20)]);

    // Assess
    expect(ranAfter(events, 1, 2)).toBe(true);
    expect(ranAfter(events, 1, 3)).toBe(false);
  });

  it("joins lanes transitively through a shared group chat", async () => {
    // Prepare: user 10 and user 20 both write in group -500.
    const batch = [msg(1, 10, 10), msg(2, 20, 20), msg(3, -500, 10), msg(4, -500, 20)];

    // Act
    const { events } = await trace(batch);

    // Assess
    expect(ranAfter(events, 1, 2)).toBe(false);
    expect(ranAfter(events, 1, 3)).toBe(true);
    expect(ranAfter(events, 3, 4)).toBe(true);
    expect(ranAfter(events, 2, 4)).toBe(true);
  });

  it("runs every update exactly once, never more than the limit at once, each chat in order", async () => {
    // Prepare
    const batch = Array.from({ length: 50 }, (_, i) => msg(i + 1, (i % 7) + 1, (i % 5) + 100));

    // Act
    const { events, most } = await trace(batch, { limit: 3 });

    // Assess
    const started = events.filter((e) => e.startsWith("start ")).map((e) => Number(e.slice(6)));
    expect([...started].sort((a, b) => a - b)).toEqual(batch.map((u) => u.update_id));
    expect(most).toBe(3);
    for (const chat of [1, 2, 3, 4, 5, 6, 7]) {
      const inChat = started.filter((id) => ((id - 1) % 7) + 1 === chat);
      expect(inChat).toEqual([...inChat].sort((a, b) => a - b));
    }
  });

  it("groups edited messages and callback queries with the same chat", async () => {
    // Prepare
    const edited = {
      update_id: 2,
      edited_message: { message_id: 1, date: 0, chat: { id: 10, type: "private" } },
    } as unknown as Update;
    const callback = {
      update_id: 3,
      callback_query: {
        id: "q",
        chat_instance: "c",
        from: { id: 10, is_bot: false, first_name: "u" },
      },
    } as unknown as Update;

    // Act
    const { events } = await trace([msg(1, 10, 10), edited, callback, msg(4, 20, 20)]);

    // Assess
    expect(ranAfter(events, 1, 2)).toBe(true);
    expect(ranAfter(events, 2, 3)).toBe(true);
    expect(ranAfter(events, 1, 4)).toBe(false);
  });

  it("gives an update without chat or sender a lane of its own", async () => {
    // Prepare
    const poll = { update_id: 5, poll: { id: "p" } } as unknown as Update;

    // Act
    const { events } = await trace([msg(1, 10, 10), poll, msg(2, 10, 10)]);

    // Assess
    expect(ranAfter(events, 1, 5)).toBe(false);
    expect(ranAfter(events, 1, 2)).toBe(true);
  });

  it("holds back the rest of a lane after an update that failed, and only that lane", async () => {
    // Act
    const { events } = await trace(
      [msg(1, 10, 10), msg(2, 20, 20), msg(3, 10, 10), msg(4, 20, 20)],
      {
        fails: [1],
      },
    );

    // Assess
    expect(events).toContain("skip 3");
    expect(events).not.toContain("start 3");
    expect(ranAfter(events, 2, 4)).toBe(true);
  });

  it("runs an urgent update (a Stop press) at once, beside its chat's running update and past the limit", async () => {
    // Arrange: chat 10's first update holds the only slot until released.
    const events: string[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const press = checkUpdate(
      {
        update_id: 2,
        callback_query: {
          id: "q",
          from: { id: 10 },
          message: { chat: { id: 10 } },
          data: "stop:10:1",
        },
      } as unknown as Update,
      0,
    );
    const lanes = new ChatLanes(
      1,
      async (u) => {
        events.push(`start ${u.updateId}`);
        if (u.updateId === 1) await held;
        events.push(`end ${u.updateId}`);
        return true;
      },
      (u) => events.push(`skip ${u.updateId}`),
      (u) => u.raw.callback_query !== undefined,
    );

    // Act
    lanes.add(checkUpdate(msg(1, 10, 10), 0));
    lanes.add(press);
    lanes.add(checkUpdate(msg(3, 10, 10), 0));
    await tick();
    const beforeRelease = [...events];
    release();
    await lanes.idle();

    // Assess
    // The press ran to its end while update 1 held the lane and the only slot.
    expect([...beforeRelease].sort()).toEqual(["end 2", "start 1", "start 2"]);
    expect(events.slice(3)).toEqual(["end 1", "start 3", "end 3"]);
  });

  it("knows how many of a sender's updates wait not yet started, in private chats and groups, skipped ones included", async () => {
    // Arrange: user 5 writes twice in private and once in a group; update 2 fails
    const seen: string[] = [];
    const lanes: ChatLanes = new ChatLanes(
      100,
      async (u) => {
        if (u.senderId === 5) seen.push(`${u.updateId}: ${lanes.waitingFrom(5)}`);
        await tick();
        return u.updateId !== 2;
      },
      (u) => seen.push(`skip ${u.updateId}: ${lanes.waitingFrom(5)}`),
    );

    // Act
    for (const u of [msg(1, 5, 5), msg(2, 5, 5), msg(3, -100, 5), msg(4, 6, 6)])
      lanes.add(checkUpdate(u, 0));
    const queued = lanes.waitingFrom(5);
    await lanes.idle();

    // Assess: counted from add to start (or skip); another sender's update never counts
    expect(queued).toBe(3);
    expect(seen).toEqual(["1: 2", "2: 1", "skip 3: 0"]);
    expect(lanes.waitingFrom(5)).toBe(0);
    expect(lanes.waitingFrom(6)).toBe(0);
  });
});
