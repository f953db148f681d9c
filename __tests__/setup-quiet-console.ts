/**
 * `npm test` prints nothing but jest's own progress and summary on a green run: anything a
 * test writes to the console (an SDK warning, an emulator's logger, a measurement left in
 * `console.info`) fails that test, saying what was printed. A test that expects output
 * spies on the console itself (its `mockImplementation` replaces this one). Measurements
 * go to `.test-results/measurements.jsonl` instead (`harness/measurements.ts`).
 */
import { afterEach, beforeEach, jest } from "@jest/globals";

const METHODS = ["log", "info", "warn", "error", "debug"] as const;
let printed: string[] = [];
let spies: { mockRestore(): void }[] = [];

beforeEach(() => {
  printed = [];
  spies = METHODS.map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(`console.${method}: ${args.map(String).join(" ").slice(0, 300)}`);
    }),
  );
});

afterEach(() => {
  for (const spy of spies) spy.mockRestore();
  if (printed.length > 0)
    throw new Error(
      `The test printed on the console (npm test stays quiet):\n${printed.join("\n")}`,
    );
});
