import { getEventListeners } from "node:events";
import { describe, expect, it } from "@jest/globals";
import { type AbortSignalLike, TimeLimit, withTimeLimit } from "../../handler/time-limit.js";
import { runTsxScript } from "../harness/tsx-script.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `abort` listeners on a Node signal. */
const listeners = (signal: AbortSignal) => getEventListeners(signal, "abort").length;

/** A signal shaped like the `abort-controller` polyfill's (unbundled grammY): no `reason`. */
class PolyfillSignal implements AbortSignalLike {
  aborted = false;
  readonly listeners = new Set<() => void>();
  addEventListener(_type: "abort", listener: () => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: "abort", listener: () => void): void {
    this.listeners.delete(listener);
  }
  abort(): void {
    this.aborted = true;
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * A script run with `node --expose-gc` that collects garbage every 20 ms while
 * time limits run, held only by an abort listener as a request holds its signal.
 */
const UNDER_GC = `
import { TimeLimit } from "./handler/time-limit.ts";
const gcLoop = setInterval(() => globalThis.gc(), 20);
const outcome = (limit) =>
  new Promise((resolve) => {
    const never = setTimeout(() => resolve("never aborted"), 1_500);
    limit.signal.addEventListener("abort", () => {
      clearTimeout(never);
      resolve(limit.timedOut ? "timed out" : "followed: " + String(limit.signal.reason));
    });
  });
const results = {};
results.withAnotherSignal = await outcome(new TimeLimit(200, [new AbortController().signal]));
results.alone = await outcome(new TimeLimit(200));
const parent = new AbortController();
const following = outcome(new TimeLimit(undefined, [parent.signal]));
setTimeout(() => parent.abort("stopped"), 200);
results.following = await following;
// The loop does collect: an object only a WeakRef points to is gone after it.
const probe = new WeakRef({});
await new Promise((resolve) => setTimeout(resolve, 100));
results.collected = probe.deref() === undefined;
clearInterval(gcLoop);
console.log(JSON.stringify(results));
`;

describe("TimeLimit: a time-limited signal nothing can collect early", () => {
  it("under forced garbage collection a limit still fires: combined with another signal, alone, and following a signal", () => {
    // Act
    const run = runTsxScript(UNDER_GC, ["--expose-gc"]);

    // Assert
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      withAnotherSignal: "timed out",
      alone: "timed out",
      following: "followed: stopped",
      collected: true,
    });
  });

  it("aborts with a TimeoutError when the time is up", async () => {
    // Arrange
    const limit = new TimeLimit(30);

    // Act
    await sleep(80);

    // Assert
    expect(limit.signal.aborted).toBe(true);
    expect(limit.timedOut).toBe(true);
    expect(limit.signal.reason).toMatchObject({ name: "TimeoutError" });
  });

  it("follows the signals it combines: the first to abort ends it with its reason, and it is not a timeout", () => {
    // Arrange
    const first = new AbortController();
    const second = new AbortController();
    const limit = new TimeLimit(60_000, [first.signal, undefined, second.signal]);

    // Act
    second.abort(new Error("stopped by the user"));

    // Assert
    expect(limit.signal.aborted).toBe(true);
    expect(limit.timedOut).toBe(false);
    expect(limit.signal.reason).toEqual(new Error("stopped by the user"));
    limit.dispose();
  });

  it("is aborted at once when a signal it combines is aborted already, or when no time is left", () => {
    // Arrange
    const stopped = new AbortController();
    stopped.abort("earlier");

    // Act
    const followed = new TimeLimit(60_000, [stopped.signal]);
    const late = new TimeLimit(0);
    const overdue = new TimeLimit(-5);

    // Assert
    expect([followed.signal.reason, followed.timedOut]).toEqual(["earlier", false]);
    expect([late.signal.aborted, late.timedOut]).toEqual([true, true]);
    expect([overdue.signal.aborted, overdue.timedOut]).toEqual([true, true]);
  });

  it("follows a polyfill's signal without a reason (aborting with an AbortError) and one added later", () => {
    // Arrange
    const polyfill = new PolyfillSignal();
    const later = new AbortController();
    const limit = new TimeLimit(undefined, [polyfill]);
    const other = new TimeLimit(undefined);

    // Act
    other.follow(later.signal);
    later.abort("later");
    polyfill.abort();

    // Assert
    expect(limit.signal.reason).toMatchObject({ name: "AbortError" });
    expect(other.signal.reason).toBe("later");
  });

  it("dispose clears its timer and its listeners: nothing fires or stays attached afterwards", async () => {
    // Arrange
    const longLived = new AbortController();
    const polyfill = new PolyfillSignal();
    const limit = new TimeLimit(30, [longLived.signal, polyfill]);
    const attached = [listeners(longLived.signal), polyfill.listeners.size];

    // Act
    limit.dispose();
    await sleep(80);

    // Assert
    expect(attached).toEqual([1, 1]);
    expect(limit.signal.aborted).toBe(false);
    expect([listeners(longLived.signal), polyfill.listeners.size]).toEqual([0, 0]);
  });

  it("leaves no listener behind once it fired, and none when it follows nothing new after dispose", async () => {
    // Arrange
    const longLived = new AbortController();
    const fired = new TimeLimit(20, [longLived.signal]);

    // Act
    await sleep(60);
    fired.follow(longLived.signal);

    // Assert
    expect(fired.timedOut).toBe(true);
    expect(listeners(longLived.signal)).toBe(0);
  });

  it("withTimeLimit gives the call the signal and disposes the limit however the call ends", async () => {
    // Arrange
    const longLived = new AbortController();

    // Act
    const value = await withTimeLimit(60_000, [longLived.signal], async (signal) => {
      expect(listeners(longLived.signal)).toBe(1);
      return signal.aborted ? "aborted" : "ran";
    });
    const failure = await withTimeLimit(60_000, [longLived.signal], async () => {
      throw new Error("the call failed");
    }).catch((err: unknown) => err);

    // Assert
    expect(value).toBe("ran");
    expect(failure).toEqual(new Error("the call failed"));
    expect(listeners(longLived.signal)).toBe(0);
  });
});
