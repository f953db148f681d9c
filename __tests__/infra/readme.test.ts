import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
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
    for (const s of HANDLER_SETTINGS) {
      expect(configuration, s.env).toContain(`\`${s.env}\``);
      expect(configuration, s.variable).toContain(`\`${s.variable}\``);
    }
  });

  it("documents every npm script in the README", () => {
    for (const name of scripts) {
      const invocation = ["start", "test"].includes(name) ? `npm ${name}` : `npm run ${name}`;
      expect(readme, name).toContain(invocation);
    }
  });

  it("links every page under docs/ from the README, and every link there leads to a page", () => {
    const pages = readdirSync(resolve(root, "docs")).filter((f) => f.endsWith(".md"));
    const links = [...readme.matchAll(/\]\((docs\/[^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]);
    expect(pages.length).toBeGreaterThan(0);
    for (const page of pages) expect(links, page).toContain(`docs/${page}`);
    for (const link of links) expect(existsSync(resolve(root, link ?? "")), link).toBe(true);
  });

  it("states the Node versions package.json's engines allows", () => {
    const minimum = pkg.engines.node.replace(/^>=\s*/, "");
    expect(readme).toContain(`Node.js ${minimum} or later`);
    expect(readme).not.toMatch(/Node\.js 20 or 22/);
  });
});
