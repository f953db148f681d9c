import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { SECRET_PARAMETERS, type SecretSetting } from "../../handler/settings.js";
import { parameterContextKey } from "../../src/settings.js";
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
const invocation = (name: string) =>
  ["start", "test"].includes(name) ? `npm ${name}` : `npm run ${name}`;

/**
 * Whether an npm script reads `.env`, from its code: `npm start` (local/run.ts) loads it,
 * and so does every operator script, through `runIfMain` (scripts/ops/lib.ts).
 */
function readsDotEnv(name: string): boolean {
  const entry = /(\S+\.ts)\b/.exec(pkg.scripts[name] ?? "")?.[1];
  if (!entry) return false;
  const code = read(entry);
  return /process\.loadEnvFile\(/.test(code) || /\brunIfMain\(import\.meta/.test(code);
}

/** The npm scripts named (`npm start`, `npm run x`) in `text` between `from` and `to`. */
function scriptsNamed(text: string, from: string, to: string): string[] {
  const flat = text.replace(/\s+/g, " ");
  const start = flat.indexOf(from);
  const part = start < 0 ? "" : flat.slice(start + from.length, flat.indexOf(to, start));
  return [...part.matchAll(/npm (start|test|run [a-z:]+)/g)].map((m) => `npm ${m[1]}`).sort();
}

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

  it("documents each secret's SSM parameter setting twice: in the function's settings and in the stack's, with its context key", () => {
    const rows = (env: string) =>
      configuration.split("\n").filter((line) => line.startsWith(`| \`${env}\` |`));
    const undocumented = (Object.keys(SECRET_PARAMETERS) as SecretSetting[]).flatMap((secret) => {
      const [handler, stack, ...more] = rows(SECRET_PARAMETERS[secret]);
      const found = [
        handler?.includes("*(from the stack)*"),
        stack?.includes(`| \`${parameterContextKey(secret)}\` |`),
        more.length === 0,
      ];
      return found.every(Boolean) ? [] : [{ secret, found }];
    });
    expect(undocumented).toEqual([]);
  });

  it("lists the settings in docs/configuration.md in the order of the one table (and of the synthesized variables)", () => {
    const rowOf = (env: string) =>
      configuration.split("\n").findIndex((line) => line.startsWith(`| \`${env}\` |`));
    const documented = HANDLER_SETTINGS.map((s) => s.env).sort((a, b) => rowOf(a) - rowOf(b));
    expect(HANDLER_SETTINGS.map((s) => s.env)).toEqual(documented);
  });

  it("documents every npm script in the README", () => {
    const invocations = scripts.map(invocation);
    expect(invocations.filter((i) => !readme.includes(i))).toEqual([]);
  });

  it("names exactly the npm scripts that read .env, in the README and in .env.example", () => {
    // Arrange: what the code says; runIfMain is where the operator scripts read it.
    const readers = scripts.filter(readsDotEnv).map(invocation).sort();
    const runIfMain = read("scripts/ops/lib.ts").split("export function runIfMain")[1] ?? "";
    const exampleComments = read(".env.example")
      .split("\n")
      .filter((line) => line.startsWith("#"))
      .join(" ");

    // Assert
    expect(runIfMain).toContain("loadDotEnv();");
    expect(readers).toEqual(expect.arrayContaining(["npm start", "npm run up", "npm run invoke"]));
    expect(scriptsNamed(readme, "`.env` is read by", ";")).toEqual(readers);
    expect(scriptsNamed(exampleComments, "It is read by", "(")).toEqual(readers);
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
