import { describe, expect, it } from "@jest/globals";
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
