import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { HANDLER_SETTINGS } from "../../src/variables.js";

const root = resolve(import.meta.dirname, "..", "..");
const readme = readFileSync(resolve(root, "README.md"), "utf8");
const scripts = Object.keys(
  (
    JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts,
);

describe("README stays in step with the code", () => {
  it("documents every handler setting under both its environment and Terraform names", () => {
    const names = HANDLER_SETTINGS.flatMap((s) => [s.env, s.variable]);
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it("gives each handler setting's row the default of the one table of settings", () => {
    const wrong = HANDLER_SETTINGS.flatMap((s) => {
      const row = readme
        .split("\n")
        .find((line) => line.startsWith(`| \`${s.env}\` | \`${s.variable}\``));
      const cells = row?.split(" | ") ?? [];
      const shown =
        s.default === undefined ? "*required*" : s.default === "" ? "empty" : `\`${s.default}\``;
      return cells[2]?.includes(shown) ? [] : [{ setting: s.env, row: cells[2], expected: shown }];
    });
    expect(wrong).toEqual([]);
  });

  it("documents every npm script", () => {
    const invocations = scripts.map((name) =>
      ["start", "test"].includes(name) ? `npm ${name}` : `npm run ${name}`,
    );
    expect(invocations.filter((invocation) => !readme.includes(invocation))).toEqual([]);
  });
});
