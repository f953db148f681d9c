import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { runTsxScript } from "../harness/tsx-script.js";

/** Starts the emulators in a fresh process (a clean module cache) and says whether s3rver was loaded. */
function s3rverLoadedAfterStart(options: string): boolean {
  const script = [
    `import { createRequire } from "node:module";`,
    `const { AwsEmulators } = await import("./local/aws-emulators.ts");`,
    `const { emulators } = await AwsEmulators.start(${options});`,
    `const cache = createRequire(import.meta.url).cache;`,
    `console.log(Object.keys(cache).some((k) => k.includes("/node_modules/s3rver/")));`,
    `await emulators.close();`,
  ].join("\n");
  const run = runTsxScript(script);
  expect(run.status).toBe(0);
  return run.stdout.trim() === "true";
}

describe("the emulator starter behind npm start and the test bed", () => {
  it("loads s3rver only when S3 is asked for: npm start (no S3) does not pay for it at start-up", () => {
    // Arrange
    const s3Dir = mkdtempSync(join(tmpdir(), "emulators-s3-"));

    // Act
    const withoutS3 = s3rverLoadedAfterStart("{}");
    const withS3 = s3rverLoadedAfterStart(JSON.stringify({ s3Dir }));
    rmSync(s3Dir, { recursive: true, force: true });

    // Assert
    expect(withoutS3).toBe(false);
    expect(withS3).toBe(true);
  });
});
