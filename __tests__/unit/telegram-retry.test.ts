import { describe, expect, it } from "@jest/globals";
import { HttpError } from "grammy";
import { telegramRetryPolicy } from "../../handler/adapters/telegram-retry.js";

type Policy = ReturnType<typeof telegramRetryPolicy>;
type Prev = Parameters<Policy>[0];
type Answer =
  | { ok: true; result: true }
  | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };

/** A policy on a frozen clock whose sleeps are recorded, not waited. */
function policy(deadlineInMs: number, callTimeoutMs?: number) {
  const slept: number[] = [];
  const transformer = telegramRetryPolicy({
    deadline: () => deadlineInMs,
    now: () => 0,
    sleep: async (ms) => {
      slept.push(ms);
    },
    ...(callTimeoutMs !== undefined ? { callTimeoutMs } : {}),
  });
  return { transformer, slept };
}

/** A `prev` answering from a script, recording each call's signal. */
function scripted(script: ((signal?: AbortSignal) => Promise<Answer>)[]) {
  const calls: string[] = [];
  const prev = (async (method: string, _payload: unknown, signal?: AbortSignal) => {
    calls.push(method);
    const next = script.shift();
    if (!next) throw new Error("no more answers scripted");
    return next(signal);
  }) as unknown as Prev;
  return { prev, calls };
}

const answer = (a: Answer) => async () => a;
const ok: Answer = { ok: true, result: true };
const flood = (seconds: number): Answer => ({
  ok: false,
  error_code: 429,
  description: `Too Many Requests: retry after ${seconds}`,
  parameters: { retry_after: seconds },
});

/** Never answers; rejects as grammY does when the call's signal aborts. */
const hangs = (signal?: AbortSignal) =>
  new Promise<Answer>((_resolve, reject) => {
    signal?.addEventListener("abort", () =>
      reject(new HttpError("Network request failed", signal.reason)),
    );
  });

describe("telegramRetryPolicy", () => {
  it("waits out a 429 that leaves the retried call time to run before the deadline", async () => {
    // Prepare: 60 s left, retry after 2 s.
    const { transformer, slept } = policy(60_000);
    const { prev, calls } = scripted([answer(flood(2)), answer(ok)]);

    // Act
    const res = await transformer(prev, "sendMessage", {} as never);

    // Assess
    expect(res.ok).toBe(true);
    expect(slept).toEqual([2_000]);
    expect(calls).toEqual(["sendMessage", "sendMessage"]);
  });

  it("returns a 429 at once when its wait would end too close to the deadline for the call to run", async () => {
    // Prepare: 3 s left; after a 1 s wait only 0.5 s would remain once the call margin is kept.
    const { transformer, slept } = policy(3_000);
    const { prev, calls } = scripted([answer(flood(1)), answer(ok)]);

    // Act
    const res = await transformer(prev, "sendMessage", {} as never);

    // Assess
    expect(res).toMatchObject({ ok: false, error_code: 429 });
    expect(slept).toEqual([]);
    expect(calls).toEqual(["sendMessage"]);
  });

  it("abandons a send that does not answer within the call timeout and tries it again", async () => {
    // Prepare
    const { transformer, slept } = policy(60_000, 20);
    const { prev, calls } = scripted([hangs, answer(ok)]);

    // Act
    const res = await transformer(prev, "sendMessage", {} as never);

    // Assess
    expect(res.ok).toBe(true);
    expect(calls).toEqual(["sendMessage", "sendMessage"]);
    expect(slept).toEqual([300]);
  });

  it("gives the long poll no call timeout: only the deadline bounds it", async () => {
    // Prepare: the poll answers after the (tiny) call timeout would have fired.
    const { transformer } = policy(60_000, 1);
    const late = () => new Promise<Answer>((resolve) => setTimeout(() => resolve(ok), 30));
    const { prev, calls } = scripted([late]);

    // Act
    const res = await transformer(prev, "getUpdates", {} as never);

    // Assess
    expect(res.ok).toBe(true);
    expect(calls).toEqual(["getUpdates"]);
  });
});
