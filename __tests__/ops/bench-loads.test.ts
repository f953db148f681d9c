import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { runTsxScript } from "../harness/tsx-script.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("npm run bench", () => {
  it("its modules load under plain tsx, outside jest (the test bed they share must not pull in jest)", () => {
    // Arrange: every bench module but run.ts, which starts the benchmark when imported
    const modules = readdirSync(join(ROOT, "bench"))
      .filter((f) => f.endsWith(".ts") && f !== "run.ts")
      .map((f) => `./bench/${f}`);
    const script = `await Promise.all(${JSON.stringify(modules)}.map((m) => import(m)));`;

    // Act
    const run = runTsxScript(script);

    // Assert
    expect(modules).toContain("./bench/latency.ts");
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
  });
});
