import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { HANDLER_SETTINGS } from "../../src/variables.js";

const root = resolve(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(resolve(root, path), "utf8");
const readme = read("README.md");
/** The full settings reference; the README keeps only the common settings and links here. */
const configuration = read("docs/configuration.md");
const pkg = JSON.parse(read("package.json")) as {
  scripts: Record<string, string>;
  engines: { node: string };
};
const scripts = Object.keys(pkg.scripts);

describe("README and docs stay in step with the code", () => {
  it("documents every handler setting under both its environment and Terraform names", () => {
    const names = HANDLER_SETTINGS.flatMap((s) => [s.env, s.variable]);
    expect(names.filter((name) => !configuration.includes(`\`${name}\``))).toEqual([]);
  });

  it("gives each handler setting's row the default of the one table of settings", () => {
    const wrong = HANDLER_SETTINGS.flatMap((s) => {
      const row = configuration
        .split("\n")
        .find((line) => line.startsWith(`| \`${s.env}\` | \`${s.variable}\``));
      const cells = row?.split(" | ") ?? [];
      const shown =
        s.default === undefined ? "*required*" : s.default === "" ? "empty" : `\`${s.default}\``;
      return cells[2]?.includes(shown) ? [] : [{ setting: s.env, row: cells[2], expected: shown }];
    });
    expect(wrong).toEqual([]);
  });

  it("lists the settings in docs/configuration.md in the order of the one table (and of the synthesized variables)", () => {
    const rowOf = (env: string) =>
      configuration.split("\n").findIndex((line) => line.startsWith(`| \`${env}\` |`));
    const documented = HANDLER_SETTINGS.map((s) => s.env).sort((a, b) => rowOf(a) - rowOf(b));
    expect(HANDLER_SETTINGS.map((s) => s.env)).toEqual(documented);
  });

  it("documents every npm script in the README", () => {
    const invocations = scripts.map((name) =>
      ["start", "test"].includes(name) ? `npm ${name}` : `npm run ${name}`,
    );
    expect(invocations.filter((invocation) => !readme.includes(invocation))).toEqual([]);
  });

  it("links every page under docs/ from the README, and every link there leads to a page", () => {
    const pages = readdirSync(resolve(root, "docs")).filter((f) => f.endsWith(".md"));
    const links = [...readme.matchAll(/\]\((docs\/[^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1] ?? "");
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.filter((page) => !links.includes(`docs/${page}`))).toEqual([]);
    expect(links.filter((link) => !existsSync(resolve(root, link)))).toEqual([]);
  });

  it("states the Node versions package.json's engines allows", () => {
    const minimum = pkg.engines.node.replace(/^>=\s*/, "");
    expect(readme).toContain(`Node.js ${minimum} or later`);
    expect(readme).not.toMatch(/Node\.js 20 or 22/);
  });
});
