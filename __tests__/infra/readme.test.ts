import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
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
    for (const s of HANDLER_SETTINGS) {
      expect(readme, s.env).toContain(`\`${s.env}\``);
      expect(readme, s.variable).toContain(`\`${s.variable}\``);
    }
  });

  it("gives each handler setting's row the default of the one table of settings", () => {
    for (const s of HANDLER_SETTINGS) {
      const row = readme
        .split("\n")
        .find((line) => line.startsWith(`| \`${s.env}\` | \`${s.variable}\``));
      const cells = row?.split(" | ") ?? [];
      const shown =
        s.default === undefined ? "*required*" : s.default === "" ? "empty" : `\`${s.default}\``;
      expect(cells[2], s.env).toContain(shown);
    }
  });

  it("documents every npm script", () => {
    for (const name of scripts) {
      const invocation = ["start", "test"].includes(name) ? `npm ${name}` : `npm run ${name}`;
      expect(readme, name).toContain(invocation);
    }
  });
});
