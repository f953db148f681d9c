import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { checkUpdate, parseUpdate } from "../../handler/app/intake/checked-update.js";

const message = {
  message_id: 5,
  date: 0,
  chat: { id: -100, type: "group" },
  from: { id: 42, is_bot: false, first_name: "Ada" },
  text: "hi",
};

describe("intake/checked-update: an update is checked once where it enters", () => {
  it("a valid message is a message, with its chat and sender for the lanes", () => {
    // Act
    const checked = checkUpdate({ update_id: 9, message } as unknown as Update);

    // Assess
    expect(checked).toMatchObject({ kind: "message", updateId: 9, chatId: -100, senderId: 42 });
    expect(checked.kind === "message" && checked.message.text).toBe("hi");
  });

  it("a message without a chat is malformed, names the field, and keeps its sender", () => {
    // Act
    const checked = checkUpdate({
      update_id: 10,
      message: { ...message, chat: undefined },
    } as unknown as Update);

    // Assess
    expect(checked).toMatchObject({ kind: "malformed", updateId: 10, senderId: 42 });
    expect(checked.kind === "malformed" && checked.problem).toContain("message.chat");
    expect(checked.chatId).toBeUndefined();
  });

  it("an update without a message is other, and keeps the raw update for storage", () => {
    // Arrange
    const raw = { update_id: 11, channel_post: { chat: { id: -7 } } } as unknown as Update;

    // Act
    const checked = checkUpdate(raw);

    // Assess
    expect(checked).toMatchObject({ kind: "other", updateId: 11, chatId: -7 });
    expect(checked.raw).toBe(raw);
  });

  it.each([
    ["a string", "nope"],
    ["null", null],
    ["no update_id", { message }],
    ["a text update_id", { update_id: "1", message }],
    ["a negative update_id", { update_id: -1, message }],
  ])("parseUpdate refuses %s: it is not an update at all", (_what, body) => {
    expect(parseUpdate(body)).toBeUndefined();
  });

  it("parseUpdate checks what it accepts like checkUpdate", () => {
    expect(parseUpdate({ update_id: 12, message })).toMatchObject({
      kind: "message",
      updateId: 12,
    });
  });
});
