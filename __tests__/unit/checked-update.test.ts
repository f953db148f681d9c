import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { checkUpdate, parseUpdate } from "../../handler/app/intake/checked-update.js";
import { isUrgent } from "../../handler/app/intake/controls.js";

const message = {
  message_id: 5,
  date: 0,
  chat: { id: -100, type: "group" },
  from: { id: 42, is_bot: false, first_name: "Ada" },
  text: "hi",
};

const press = {
  id: "4000000001",
  from: { id: 42, is_bot: false, first_name: "Ada" },
  message: { message_id: 6, date: 0, chat: { id: -100, type: "group" }, text: "answer" },
  chat_instance: "-100",
  data: "stop:-100:6",
};

const draftStop = { chat: { id: 42, type: "private" }, draft_id: 3 };

describe("intake/checked-update: an update is checked once where it enters", () => {
  it("a valid message is a message, with its chat and sender for the lanes", () => {
    // Act
    const checked = checkUpdate({ update_id: 9, message } as unknown as Update, 0);

    // Assess
    expect(checked).toMatchObject({ kind: "message", updateId: 9, chatId: -100, senderId: 42 });
    expect(checked.kind === "message" && checked.message.text).toBe("hi");
  });

  it("a message without a chat is malformed, names the field, and keeps its sender", () => {
    // Act
    const checked = checkUpdate(
      {
        update_id: 10,
        message: { ...message, chat: undefined },
      } as unknown as Update,
      0,
    );

    // Assess
    expect(checked).toMatchObject({ kind: "malformed", updateId: 10, senderId: 42 });
    expect(checked.kind === "malformed" && checked.problem).toContain("message.chat");
    expect(checked.chatId).toBeUndefined();
  });

  it("an update without a message is other, and keeps the raw update for storage", () => {
    // Arrange
    const raw = { update_id: 11, channel_post: { chat: { id: -7 } } } as unknown as Update;

    // Act
    const checked = checkUpdate(raw, 0);

    // Assess
    expect(checked).toMatchObject({ kind: "other", updateId: 11, chatId: -7 });
    expect(checked.raw).toBe(raw);
  });

  it("a valid button press is a press, typed, with its chat and sender for the lanes", () => {
    // Act
    const checked = checkUpdate({ update_id: 13, callback_query: press } as unknown as Update, 0);

    // Assess
    expect(checked).toMatchObject({ kind: "press", updateId: 13, chatId: -100, senderId: 42 });
    expect(checked.kind === "press" && checked.press).toMatchObject({
      id: "4000000001",
      data: "stop:-100:6",
      message: { message_id: 6, chat: { id: -100, type: "group" } },
    });
  });

  it.each([
    ["without the message it was under (an inline-mode press)", { message: undefined }, "message"],
    ["without a sender", { from: undefined }, "from"],
    ["with data longer than Telegram's 64 bytes", { data: "x".repeat(65) }, "data"],
    ["with a numeric id", { id: 7 }, "id"],
  ])(
    "a press %s is malformed, names the field, and keeps what lanes need",
    (_what, extra, path) => {
      // Act
      const checked = checkUpdate(
        {
          update_id: 14,
          callback_query: { ...press, ...extra },
        } as unknown as Update,
        0,
      );

      // Assess
      expect(checked).toMatchObject({ kind: "malformed", field: "callback_query", updateId: 14 });
      expect(checked.kind === "malformed" && checked.problem).toContain(`callback_query.${path}`);
    },
  );

  it("a valid draft stop is a draft_stop, typed", () => {
    // Act
    const checked = checkUpdate(
      {
        update_id: 15,
        stopped_message_generation: draftStop,
      } as unknown as Update,
      0,
    );

    // Assess
    expect(checked).toMatchObject({ kind: "draft_stop", updateId: 15 });
    expect(checked.kind === "draft_stop" && checked.draftStop).toEqual(draftStop);
  });

  it.each([
    ["in a group (drafts are private)", { chat: { id: -100, type: "group" } }, "chat.type"],
    ["without a draft id", { draft_id: undefined }, "draft_id"],
  ])("a draft stop %s is malformed and names the field", (_what, extra, path) => {
    // Act
    const checked = checkUpdate(
      {
        update_id: 16,
        stopped_message_generation: { ...draftStop, ...extra },
      } as unknown as Update,
      0,
    );

    // Assess
    expect(checked).toMatchObject({ kind: "malformed", field: "stopped_message_generation" });
    expect(checked.kind === "malformed" && checked.problem).toContain(
      `stopped_message_generation.${path}`,
    );
  });

  it("presses and draft stops, valid or malformed, and /stop are urgent; other messages are not", () => {
    // Arrange
    const urgent = (u: object) => isUrgent(checkUpdate({ update_id: 17, ...u } as Update, 0));
    const stop = {
      ...message,
      text: "/stop",
      entities: [{ type: "bot_command", offset: 0, length: 5 }],
    };

    // Act + Assess
    expect(urgent({ callback_query: press })).toBe(true);
    expect(urgent({ callback_query: { ...press, message: undefined } })).toBe(true);
    expect(urgent({ stopped_message_generation: draftStop })).toBe(true);
    expect(urgent({ stopped_message_generation: { draft_id: 1 } })).toBe(true);
    expect(urgent({ message: stop })).toBe(true);
    expect(
      urgent({
        message: {
          ...stop,
          text: "/stopper",
          entities: [{ type: "bot_command", offset: 0, length: 8 }],
        },
      }),
    ).toBe(false);
    expect(urgent({ message })).toBe(false);
    expect(urgent({ edited_message: stop })).toBe(false);
  });

  it.each([
    ["a string", "nope"],
    ["null", null],
    ["no update_id", { message }],
    ["a text update_id", { update_id: "1", message }],
    ["a negative update_id", { update_id: -1, message }],
  ])("parseUpdate refuses %s: it is not an update at all", (_what, body) => {
    expect(parseUpdate(body, 0)).toBeUndefined();
  });

  it("parseUpdate checks what it accepts like checkUpdate", () => {
    expect(parseUpdate({ update_id: 12, message }, 0)).toMatchObject({
      kind: "message",
      updateId: 12,
    });
  });
});
