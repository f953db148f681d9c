/**
 * Can Terraform get the hashicorp/aws provider here? `cdktf deploy` and `cdktf destroy`
 * run `terraform init` every time, and init resolves the provider from the registry
 * (registry.terraform.io) unless a provider mirror serves it. Checked on this machine with
 * Terraform 1.11: a plugin cache (`TF_PLUGIN_CACHE_DIR`, `plugin_cache_dir`), even with a
 * lock file and the provider already installed in `.terraform/`, still asks the registry;
 * a `filesystem_mirror` (or an implied local mirror folder) holding the provider does not.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { withTimeLimit } from "../../handler/time-limit.js";
import { AWS_PROVIDER_VERSION } from "../../src/provider.js";
import { hasCommand } from "./shell.js";

const REGISTRY = "registry.terraform.io";
const PROVIDER = `${REGISTRY}/hashicorp/aws`;
/** The registry's service discovery document: what `terraform init` asks for first. */
const DISCOVERY_URL = `https://${REGISTRY}/.well-known/terraform.json`;
/** How long the registry gets to answer before the deploy is refused. */
const REACH_TIMEOUT_MS = 8_000;

type Env = Readonly<Record<string, string | undefined>>;

/** What a deploy needs to do when Terraform cannot get the provider; the end of every such message. */
export const PROVIDER_HELP =
  'Connect this machine to the internet, or give Terraform a provider mirror (README, "Deploying": ' +
  '"terraform providers mirror" on a connected machine, then a filesystem_mirror in ~/.terraformrc); ' +
  "a plugin cache (TF_PLUGIN_CACHE_DIR) is not enough, as terraform init still asks the registry.";

/** The parts of Terraform's CLI configuration that decide where providers come from. */
interface CliConfig {
  readonly file: string;
  /** A `provider_installation` block replaces the implied local mirror folders. */
  readonly explicitInstallation: boolean;
  readonly filesystemMirrors: readonly string[];
  readonly networkMirrors: readonly string[];
  /** A `host "registry.terraform.io"` block's `providers.v1` URL (overrides discovery). */
  readonly registryOverride?: string;
}

/** Reads the CLI configuration Terraform reads (`TF_CLI_CONFIG_FILE`, else `~/.terraformrc`). */
function readCliConfig(env: Env): CliConfig {
  const file =
    env.TF_CLI_CONFIG_FILE ||
    (process.platform === "win32"
      ? join(env.APPDATA ?? "", "terraform.rc")
      : join(env.HOME || homedir(), ".terraformrc"));
  const text = existsSync(file) ? readFileSync(file, "utf8").replace(/^\s*(#|\/\/).*$/gm, "") : "";
  const all = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1] ?? "");
  const override = new RegExp(
    `host\\s+"${REGISTRY.replace(/\./g, "\\.")}"\\s*\\{[\\s\\S]*?"providers\\.v1"\\s*=\\s*"([^"]+)"`,
  ).exec(text)?.[1];
  return {
    file,
    explicitInstallation: /provider_installation\s*\{/.test(text),
    filesystemMirrors: all(/filesystem_mirror\s*\{[^}]*?path\s*=\s*"([^"]+)"/g),
    networkMirrors: all(/network_mirror\s*\{[^}]*?url\s*=\s*"([^"]+)"/g),
    ...(override ? { registryOverride: override } : {}),
  };
}

/** The folders Terraform searches as local mirrors when no `provider_installation` block says otherwise. */
function impliedMirrors(env: Env): string[] {
  const home = env.HOME || homedir();
  if (process.platform === "win32") return [join(env.APPDATA ?? "", "terraform.d", "plugins")];
  const dataHome = env.XDG_DATA_HOME || join(home, ".local", "share");
  const dataDirs = (env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":");
  return [
    join(home, ".terraform.d", "plugins"),
    ...[dataHome, ...dataDirs].map((dir) => join(dir, "terraform", "plugins")),
    ...(process.platform === "darwin"
      ? [join(home, "Library", "Application Support", "io.terraform", "plugins")]
      : []),
  ];
}

/** This machine as Terraform names platforms (`linux_amd64`): the folder a mirror keeps its build in. */
export function terraformPlatform(): string {
  const arch = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" }[process.arch as string];
  return `${process.platform === "win32" ? "windows" : process.platform}_${arch ?? process.arch}`;
}

/** Whether `version` (x.y.z) satisfies {@link AWS_PROVIDER_VERSION} (`>= a.b.c, < d.e.f`). */
export function acceptedVersion(version: string, range = AWS_PROVIDER_VERSION): boolean {
  const parse = (v: string) => v.split(".").map(Number);
  const compare = (a: number[], b: number[]) =>
    (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0) || (a[2] ?? 0) - (b[2] ?? 0);
  if (!/^\d+\.\d+\.\d+$/.test(version)) return false;
  return range.split(",").every((part) => {
    const [, op, bound = ""] = /^\s*(>=|<|<=|>|=)?\s*(\S+)\s*$/.exec(part) ?? [];
    const c = compare(parse(version), parse(bound));
    return op === ">="
      ? c >= 0
      : op === "<"
        ? c < 0
        : op === "<="
          ? c <= 0
          : op === ">"
            ? c > 0
            : c === 0;
  });
}

/**
 * The accepted provider versions for this platform a mirror folder holds, in either
 * layout Terraform reads: unpacked (`<version>/<platform>/`) or packed (`.zip`).
 */
function versionsIn(mirror: string): string[] {
  const dir = join(mirror, ...PROVIDER.split("/"));
  if (!existsSync(dir)) return [];
  const zip = new RegExp(
    `^terraform-provider-aws_(\\d+\\.\\d+\\.\\d+)_${terraformPlatform()}\\.zip$`,
  );
  return readdirSync(dir).flatMap((entry) => {
    const version = zip.exec(entry)?.[1] ?? entry;
    const present = zip.test(entry) || existsSync(join(dir, entry, terraformPlatform()));
    return present && acceptedVersion(version) ? [version] : [];
  });
}

/** Why a URL does not answer, in a few words; undefined when it answers at all. */
async function unreachable(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    await withTimeLimit(timeoutMs, [], (signal) =>
      fetch(url, { method: "GET", signal, redirect: "manual" }),
    );
    return undefined;
  } catch (err) {
    let cause: unknown = err;
    while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
    const code = (cause as { code?: unknown }).code;
    if (err instanceof Error && err.name === "TimeoutError")
      return `no answer within ${timeoutMs / 1000} s`;
    return typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause);
  }
}

/** Where Terraform will get the provider from, or why it cannot. */
export type ProviderSource =
  | { readonly ok: true; readonly from: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Finds where `terraform init` will get hashicorp/aws: a filesystem mirror that holds an
 * accepted version, a reachable network mirror, or the registry (honouring a `host`
 * override of it in the CLI configuration). Behind an HTTP(S) proxy, which Terraform uses
 * and this check cannot, the registry is assumed reachable and left to Terraform.
 */
export async function findProviderSource(
  env: Env,
  options: { timeoutMs?: number } = {},
): Promise<ProviderSource> {
  const config = readCliConfig(env);
  const mirrors = config.explicitInstallation ? config.filesystemMirrors : impliedMirrors(env);
  for (const mirror of mirrors) {
    const [version] = versionsIn(mirror);
    if (version) return { ok: true, from: `the provider mirror ${mirror} (${version})` };
  }
  const timeoutMs = options.timeoutMs ?? REACH_TIMEOUT_MS;
  for (const url of config.networkMirrors)
    if (!(await unreachable(url, timeoutMs)))
      return { ok: true, from: `the network mirror ${url}` };
  if (env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy)
    return { ok: true, from: `${REGISTRY} through the proxy` };
  const registry = config.registryOverride ?? DISCOVERY_URL;
  const why = await unreachable(registry, timeoutMs);
  if (!why) return { ok: true, from: REGISTRY };
  const where = config.registryOverride
    ? `the registry (${registry}, set in ${config.file})`
    : REGISTRY;
  return {
    ok: false,
    problem: `Terraform cannot get the hashicorp/aws provider (${AWS_PROVIDER_VERSION}): ${where} is unreachable (${why}) and no provider mirror here holds it. ${PROVIDER_HELP}`,
  };
}

/** Terraform's output with colours and box-drawing frames taken off, for reading. */
function plain(output: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is removed
  return output.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "").replace(/[│╷╵]/g, " ");
}

/**
 * One line for a failed `cdktf deploy`/`destroy` from its output: the provider download
 * (with what to do), else Terraform's first error; undefined when neither is found.
 */
export function explainTerraformFailure(output: string): string | undefined {
  const text = plain(output);
  if (
    /could not connect to registry\.terraform\.io|Failed to query available provider packages|Failed to install provider/.test(
      text,
    )
  )
    return `terraform init could not get the hashicorp/aws provider: ${REGISTRY} is unreachable from this machine. ${PROVIDER_HELP}`;
  const error = /Error: ([^\n]+)/.exec(text)?.[1]?.trim();
  return error ? `Terraform said "${error}" (its full message is above).` : undefined;
}

/** What the deploy scripts check on this machine; tests pass their own. */
export interface DeployChecks {
  /** Whether `command args` runs and exits 0. */
  has(command: string, args?: readonly string[]): boolean;
  provider(env: Env): Promise<ProviderSource>;
}

/** The checks against this machine. */
export const MACHINE: DeployChecks = {
  has: hasCommand,
  provider: (env) => findProviderSource(env),
};

/**
 * What `cdktf deploy`/`destroy` lack of Terraform here (`what`: the script's verb), one
 * line each: the CLI, or with the CLI, the provider. Empty when both are there.
 */
export async function terraformProblems(
  env: Env,
  what: string,
  checks: DeployChecks = MACHINE,
): Promise<string[]> {
  if (!checks.has("terraform", ["-version"]))
    return [
      `cdktf ${what} through Terraform, which is not on PATH. Install it (https://developer.hashicorp.com/terraform/install) or run the bot without it: npm start.`,
    ];
  const source = await checks.provider(env);
  return source.ok ? [] : [source.problem];
}
