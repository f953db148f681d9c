import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { toLanes } from "../../handler/app/lanes.js";

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

const ids = (lanes: Update[][]): number[][] => lanes.map((l) => l.map((u) => u.update_id));

describe("app/lanes toLanes", () => {
  it("returns no lanes for an empty batch", () => {
    expect(toLanes([])).toEqual([]);
  });

  it("puts different users in different private chats in separate lanes", () => {
    // Act
    const lanes = toLanes([msg(1, 10, 10), msg(2, 20, 20), msg(3, 30, 30)]);

    // Assess
    expect(ids(lanes)).toEqual([[1], [2], [3]]);
  });

  it("keeps one chat's updates in one lane, in Telegram's order", () => {
    // Act
    const lanes = toLanes([msg(1, 10, 10), msg(2, 20, 20), msg(3, 10, 10), msg(4, 10, 10)]);

    // Assess
    expect(ids(lanes)).toEqual([[1, 3, 4], [2]]);
  });

  it("joins a user's private chat and group messages into one lane", () => {
    // Act
    const lanes = toLanes([msg(1, 10, 10), msg(2, -500, 10), msg(3, 20, 20)]);

    // Assess
    expect(ids(lanes)).toEqual([[1, 2], [3]]);
  });

  it("joins lanes transitively through a shared group chat", () => {
    // Prepare: user 10 and user 20 both write in group -500.
    const batch = [msg(1, 10, 10), msg(2, 20, 20), msg(3, -500, 10), msg(4, -500, 20)];

    // Act
    const lanes = toLanes(batch);

    // Assess
    expect(ids(lanes)).toEqual([[1, 2, 3, 4]]);
  });

  it("keeps every update exactly once", () => {
    // Prepare
    const batch = Array.from({ length: 50 }, (_, i) => msg(i + 1, (i % 7) + 1, (i % 5) + 100));

    // Act
    const lanes = toLanes(batch);

    // Assess
    const all = lanes.flat().map((u) => u.update_id);
    expect(all.sort((a, b) => a - b)).toEqual(batch.map((u) => u.update_id));
    for (const lane of ids(lanes)) expect(lane).toEqual([...lane].sort((a, b) => a - b));
  });

  it("groups edited messages and callback queries with the same chat", () => {
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
    const lanes = toLanes([msg(1, 10, 10), edited, callback, msg(4, 20, 20)]);

    // Assess
    expect(ids(lanes)).toEqual([[1, 2, 3], [4]]);
  });

  it("gives an update without chat or sender a lane of its own", () => {
    // Prepare
    const poll = { update_id: 5, poll: { id: "p" } } as unknown as Update;

    // Act
    const lanes = toLanes([msg(1, 10, 10), poll, msg(2, 10, 10)]);

    // Assess
    expect(ids(lanes)).toEqual([[1, 2], [5]]);
  });
});
