import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it, jest } from "@jest/globals";
import { AwsEmulators } from "../harness/aws-emulators.js";
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

  it("says nothing on the console when S3 goes down in the middle of a request (s3rver's logger is silent, not only its console transport)", async () => {
    // Arrange: S3 is taken down while it answers a PutObject, as the S3-outage tests do.
    const aws = await AwsEmulators.start();
    const printed = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const once = aws.onS3Put(() => {
      once();
      void aws.stopS3();
    });

    // Act
    const put = await aws.s3
      .send(new PutObjectCommand({ Bucket: aws.bucket, Key: "cut-off.json", Body: "{}" }))
      .then(
        () => "stored",
        () => "failed",
      );
    await aws.startS3();
    // A whole request on the new server: the cut-off one has long finished its logging by then.
    await aws.s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: "after.json", Body: "{}" }));
    await aws.close();
    const lines = printed.mock.calls.map((args) => String(args[0]).slice(0, 80));
    printed.mockRestore();

    // Assert
    expect(put).toBe("failed");
    expect(lines).toEqual([]);
  });
});
