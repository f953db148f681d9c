/**
 * Shared helpers of the operator-script tests: the scripts run as `npm run <name>` runs
 * them, in a fresh process, from a folder of the test's choosing, with stand-ins for
 * the external commands (docker, terraform, npm, npx) first on PATH.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { terraformPlatform } from "../../scripts/ops/terraform-provider.js";

const root = resolve(import.meta.dirname, "..", "..");

/**
 * A stand-in for a command on PATH: records its arguments and environment, prints
 * `output` (if any) and exits with `exitCode`.
 */
export function standIn(dir: string, name: string, output = "", exitCode = 0): void {
  const file = join(dir, name);
  const printed = output ? `cat "${dir}/${name}.output"\n` : "";
  if (output) writeFileSync(join(dir, `${name}.output`), output);
  writeFileSync(
    file,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> "${dir}/${name}.calls"\nenv > "${dir}/${name}.env"\n${printed}exit ${exitCode}\n`,
  );
  chmodSync(file, 0o755);
}

/** The recorded calls of a stand-in, one line of arguments each; empty if it was never called. */
export function recordedCalls(bin: string, name: string): string[] {
  try {
    return readFileSync(join(bin, `${name}.calls`), "utf8")
      .trim()
      .split("\n");
  } catch {
    return [];
  }
}

/** The recorded environment of the last call of a stand-in. */
export function recordedEnv(bin: string, name: string): Record<string, string> {
  const lines = readFileSync(join(bin, `${name}.env`), "utf8").split("\n");
  return Object.fromEntries(
    lines
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

/**
 * Runs an operator script the way `npm run <name>` does, from `cwd` (also its HOME), with
 * the stand-ins in `bin` first on PATH, targeting AWS unless `env` says otherwise,
 * with `args` as `npm run <name> -- <args>` passes them.
 */
export function runScript(
  script: string,
  cwd: string,
  bin: string,
  env: Readonly<Record<string, string>> = {},
  args: readonly string[] = [],
) {
  return spawnSync(
    process.execPath,
    [
      "--import",
      pathToFileURL(resolve(root, "node_modules/tsx/dist/loader.mjs")).href,
      resolve(root, "scripts/ops", `${script}.ts`),
      ...args,
    ],
    {
      cwd,
      encoding: "utf8",
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: cwd, DEPLOY_TARGET: "aws", ...env },
    },
  );
}

/**
 * Puts hashicorp/aws `version` for this platform into `mirror` in the layout
 * `terraform providers mirror` and Terraform's local mirrors use (unpacked). The
 * "binary" is a placeholder: Terraform is never run on it, only the layout is read.
 */
export function mirrorProvider(mirror: string, version: string): void {
  const dir = join(
    mirror,
    "registry.terraform.io",
    "hashicorp",
    "aws",
    version,
    terraformPlatform(),
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `terraform-provider-aws_v${version}_x5`), "placeholder");
}
