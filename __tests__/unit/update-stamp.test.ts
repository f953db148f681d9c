import { describe, expect, it } from "@jest/globals";
import { turnStored } from "../../handler/app/conversation/chat.js";
import type { Session } from "../../handler/domain/session.js";
import { appliedAlready, stampOf } from "../../handler/domain/update-stamp.js";

describe("domain/update-stamp: an update is known by its id and when it was taken on", () => {
  const stamped = stampOf({ updateId: 1002, receivedAt: 5_000 });

  it("a retry or redelivery of the last update applied (or an earlier one) is a repeat", () => {
    expect(appliedAlready(stamped, { updateId: 1002, receivedAt: 5_000 })).toBe(true);
    expect(appliedAlready(stamped, { updateId: 1001, receivedAt: 4_000 })).toBe(true);
  });

  it("a later update is not", () => {
    expect(appliedAlready(stamped, { updateId: 1003, receivedAt: 5_000 })).toBe(false);
  });

  it("an update of a restarted sequence (a lower id, taken on later) is not a repeat", () => {
    expect(appliedAlready(stamped, { updateId: 40, receivedAt: 9_000 })).toBe(false);
  });

  it("an update that arrived after a later one (a webhook delivery overtaken) is not a repeat", () => {
    expect(appliedAlready(stamped, { updateId: 1001, receivedAt: 5_001 })).toBe(false);
  });

  it("an item written before received times were kept reads as stamped at 0", () => {
    expect(appliedAlready({ lastUpdateId: 1002 }, { updateId: 1002, receivedAt: 0 })).toBe(true);
    expect(appliedAlready({ lastUpdateId: 1002 }, { updateId: 40, receivedAt: 1 })).toBe(false);
  });
});

describe("conversation/chat turnStored: the session's window knows a turn the stamp forgot", () => {
  const session = (messages: { updateId: number; ts: string }[]) =>
    ({
      conversation: messages.map((m, i) => ({ seq: i + 1, role: "user", content: "x", ...m })),
    }) as unknown as Session;

  it("finds the message this update stored, after it was taken on", () => {
    const s = session([{ updateId: 41, ts: "2026-12-06T10:00:05.000Z" }]);
    expect(
      turnStored(s, { updateId: 41, receivedAt: Date.parse("2026-12-06T10:00:01.000Z") }),
    ).toBe(true);
  });

  it("does not take a message of an earlier id sequence under the same id for this update", () => {
    const s = session([{ updateId: 41, ts: "2026-11-20T10:00:05.000Z" }]);
    expect(
      turnStored(s, { updateId: 41, receivedAt: Date.parse("2026-12-06T10:00:01.000Z") }),
    ).toBe(false);
  });
});
