import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { checkUpdate } from "../../handler/app/intake/checked-update.js";
import {
  type AttemptDeps,
  attemptUpdate,
  MAX_UPDATE_BYTES,
  tooLargeToKeep,
} from "../../handler/app/intake/handled.js";
import { TelegramApiError, UpdateTooLargeError } from "../../handler/errors.js";
import { createLogger } from "../../handler/log.js";

/** The one rule polling and the webhook lanes both follow, called as each calls it. */
describe("attemptUpdate: when an update is finished and when it stays pending", () => {
  const update = checkUpdate({ update_id: 7 } as Update, 0);
  const bed = (fail?: unknown) => {
    const told: unknown[] = [];
    const lines: string[] = [];
    const deps: AttemptDeps = {
      handle: async () => {
        if (fail !== undefined) throw fail;
        return "handled";
      },
      giveUp: async (_u, err) => {
        told.push(err);
      },
      log: createLogger({ level: "debug", secrets: [], write: (l) => lines.push(l) }),
      maxAttempts: 3,
    };
    return { deps, told, lines };
  };

  it("an answered update is finished with its outcome, nobody told anything", async () => {
    const { deps, told } = bed();
    expect(await attemptUpdate(update, 1, deps)).toEqual({ finished: true, outcome: "handled" });
    expect(told).toEqual([]);
  });

  it("a retryable failure stays pending below maxAttempts and is given up (user told once) on the last", async () => {
    const err = new Error("DynamoDB throttled");
    const { deps, told } = bed(err);
    expect(await attemptUpdate(update, 1, deps)).toEqual({ finished: false, error: err });
    expect(await attemptUpdate(update, 2, deps)).toEqual({ finished: false, error: err });
    expect(told).toEqual([]);
    expect(await attemptUpdate(update, 3, deps)).toMatchObject({
      finished: true,
      outcome: "given_up",
      reason: "Error: DynamoDB throttled",
    });
    expect(told).toEqual([err]);
  });

  it("a failure retrying cannot fix is given up on the first attempt", async () => {
    const err = Object.assign(new Error("Item size has exceeded the maximum allowed size"), {
      name: "ValidationException",
    });
    const { deps, told } = bed(err);
    expect(await attemptUpdate(update, 1, deps)).toMatchObject({
      finished: true,
      outcome: "given_up",
    });
    expect(told).toEqual([err]);
  });

  it("a reply Telegram refuses finishes the update (skipped), never retried, nobody told", async () => {
    const { deps, told, lines } = bed(
      new TelegramApiError("sendMessage", 403, "Forbidden: bot was blocked by the user"),
    );
    expect(await attemptUpdate(update, 1, deps)).toMatchObject({
      finished: true,
      outcome: "skipped",
      refused: true,
    });
    expect(told).toEqual([]);
    expect(lines.filter((l) => l.includes("reply refused by Telegram"))).toHaveLength(1);
  });

  it("a user told nothing because Telegram is down still has the update given up, with a log line", async () => {
    const { deps, lines } = bed(new Error("boom"));
    const failingTell: AttemptDeps = {
      ...deps,
      giveUp: async () => Promise.reject(new Error("down")),
    };
    expect(await attemptUpdate(update, 3, failingTell)).toMatchObject({ outcome: "given_up" });
    expect(lines.filter((l) => l.includes("could not tell the user"))).toHaveLength(1);
  });

  it("an update over 256 KB cannot be kept: an error that says its size and the limit", () => {
    expect(tooLargeToKeep(MAX_UPDATE_BYTES)).toBeUndefined();
    const err = tooLargeToKeep(MAX_UPDATE_BYTES + 1);
    expect(err).toBeInstanceOf(UpdateTooLargeError);
    expect(err).toMatchObject({ bytes: MAX_UPDATE_BYTES + 1, limit: 256 * 1024 });
  });
});
