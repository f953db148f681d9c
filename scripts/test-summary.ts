/**
 * Prints the one-line test summary CI reads ("N passed, N failed") from
 * jest's JSON report (`--json --outputFile`). Fails when the report is missing or no test ran.
 */
import { readFileSync } from "node:fs";

interface JestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const file = process.argv[2] ?? ".test-results/jest.json";
let report: JestReport;
try {
  report = JSON.parse(readFileSync(file, "utf8")) as JestReport;
} catch (err) {
  console.error(`No test report at ${file}: ${err instanceof Error ? err.message : String(err)}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
process.exit(report.numFailedTests === 0 && report.numPassedTests > 0 ? 0 : 1);
