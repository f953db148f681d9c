/**
 * Figures some tests measure on the way (the crash duplicate window, the size of a
 * thousand-message session) that matter to the docs but are not assertions: appended as
 * one JSON line each to `.test-results/measurements.jsonl`, so `npm test` stays quiet.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

const RESULTS = resolve(import.meta.dirname, "..", "..", ".test-results");

/** Appends `figures`, under the name of what was measured, with the time of the run. */
export function recordMeasurement(what: string, figures: Readonly<Record<string, unknown>>): void {
  mkdirSync(RESULTS, { recursive: true });
  appendFileSync(
    join(RESULTS, "measurements.jsonl"),
    `${JSON.stringify({ at: new Date().toISOString(), what, ...figures })}\n`,
  );
}
