import { afterAll, beforeAll, beforeEach } from "@jest/globals";
import { startTestBed, type TestBed, type TestBedOptions } from "./start-bed.js";

export { startTestBed, type TestBed, type TestBedOptions } from "./start-bed.js";

/** Options of {@link useTestBed}. */
export interface SuiteBedOptions extends TestBedOptions {
  /** Reset the fake Ollama (replies, faults, recorded calls) before each test. @default false */
  readonly resetOllama?: boolean;
}

/** The bed of a `describe` block ({@link useTestBed}). */
export interface SuiteBed extends TestBed {
  /**
   * Runs `fn` after the block's tests, before the bed closes. The last one
   * added runs first (clean up in the reverse order things were set up).
   */
  beforeClose(fn: () => unknown): void;
}

/**
 * The bed of the enclosing `describe`: started before its tests, closed after
 * them. What it returns reads the started bed, so it is usable in tests and
 * hooks (not while the file loads).
 */
export function useTestBed(options: SuiteBedOptions = {}): SuiteBed {
  const { resetOllama, ...bedOptions } = options;
  let started: TestBed | undefined;
  const closers: (() => unknown)[] = [];
  const bed = (): TestBed => {
    if (!started) throw new Error("the test bed starts in beforeAll: use it in tests and hooks");
    return started;
  };
  beforeAll(async () => {
    started = await startTestBed(bedOptions);
  });
  if (resetOllama) beforeEach(() => bed().ollama.reset());
  afterAll(async () => {
    // Every closer runs and the bed closes even when one fails; the first failure is reported.
    const failures: unknown[] = [];
    for (const close of closers.reverse())
      await Promise.resolve()
        .then(close)
        .catch((err: unknown) => failures.push(err));
    await started?.close();
    if (failures.length > 0) throw failures[0];
  });
  return {
    get env() {
      return bed().env;
    },
    get telegram() {
      return bed().telegram;
    },
    get ollama() {
      return bed().ollama;
    },
    get speech() {
      return bed().speech;
    },
    get aws() {
      return bed().aws;
    },
    captureLogs: (fn) => bed().captureLogs(fn),
    close: () => bed().close(),
    beforeClose: (fn) => {
      closers.push(fn);
    },
  };
}
