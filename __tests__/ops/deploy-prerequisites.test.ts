import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  acceptedVersion,
  explainTerraformFailure,
  findProviderSource,
  terraformPlatform,
} from "../../scripts/ops/terraform-provider.js";
import { closedPort } from "../harness/http.js";
import { mirrorProvider, recordedCalls, runScript, standIn } from "./support.js";

/**
 * The end of what `npm run up` printed on a machine without network (cdktf-cli 0.21.0,
 * Terraform 1.11.4, DEPLOY_TARGET=aws), recorded once and replayed by a stand-in `npx`:
 * colours and frames as Terraform writes them.
 */
const RECORDED_OFFLINE_DEPLOY = [
  'chatbot  \u001b[0m\u001b[32m\n         Successfully configured the backend "local"! Terraform will automatically',
  "         use this backend unless the backend configuration changes.\u001b[0m",
  "         \u001b[0m\u001b[1mInitializing provider plugins...\u001b[0m",
  '         - Finding hashicorp/aws versions matching ">= 6.29.0, < 7.0.0"...',
  "         \u001b[31m╷\u001b[0m\u001b[0m",
  "         \u001b[31m│\u001b[0m \u001b[0m\u001b[1m\u001b[31mError: \u001b[0m\u001b[0m\u001b[1mFailed to query available provider packages\u001b[0m",
  "         \u001b[31m│\u001b[0m \u001b[0m\u001b[0mCould not retrieve the list of available versions for provider hashicorp/aws:",
  "         \u001b[31m│\u001b[0m \u001b[0mcould not connect to registry.terraform.io: failed to request discovery",
  '         \u001b[31m│\u001b[0m \u001b[0mdocument: Get "https://registry.terraform.io/.well-known/terraform.json":',
  "         \u001b[31m│\u001b[0m \u001b[0mdial tcp: lookup registry.terraform.io on 10.255.255.53:53: no such host",
  "         \u001b[31m╵\u001b[0m",
  "0 Stacks deploying     0 Stacks done     1 Stack waiting",
].join("\n");

/**
 * A Terraform CLI configuration whose registry is `providersUrl`, with Terraform's own
 * `host` override (documented in "CLI Configuration File"): how these tests make the
 * registry unreachable, or reachable, without leaving 127.0.0.1.
 */
function cliConfig(dir: string, providersUrl: string, extra = ""): string {
  const file = join(dir, "terraformrc");
  writeFileSync(
    file,
    `host "registry.terraform.io" {\n  services = {\n    "providers.v1" = "${providersUrl}"\n  }\n}\n${extra}`,
  );
  return file;
}

describe("the deploy pre-check: Terraform's hashicorp/aws provider", () => {
  let dir: string;
  let unreachableRegistry: string;
  let registry: Server;
  let reachableRegistry: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "deploy-prerequisites-"));
    unreachableRegistry = `http://127.0.0.1:${await closedPort()}/v1/providers/`;
    registry = createServer((_req, res) => res.writeHead(404).end("{}"));
    await new Promise<void>((r) => registry.listen(0, "127.0.0.1", () => r()));
    reachableRegistry = `http://127.0.0.1:${(registry.address() as { port: number }).port}/v1/providers/`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => registry.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh HOME with no Terraform configuration or mirror in it. */
  const home = (name: string) => {
    const path = join(dir, name);
    mkdirSync(path);
    return path;
  };

  it("refuses with the cause and what to do when the registry is unreachable and no mirror holds the provider", async () => {
    // Arrange
    const h = home("offline");
    const env = { HOME: h, TF_CLI_CONFIG_FILE: cliConfig(h, unreachableRegistry) };

    // Act
    const source = await findProviderSource(env);

    // Assert
    expect(source).toEqual({ ok: false, problem: expect.any(String) });
    const problem = source.ok ? "" : source.problem;
    expect(problem).toContain(
      "Terraform cannot get the hashicorp/aws provider (>= 6.29.0, < 7.0.0)",
    );
    expect(problem).toContain(`${unreachableRegistry}`);
    expect(problem).toContain("unreachable (ECONNREFUSED)");
    expect(problem).toContain("filesystem_mirror");
    expect(problem).not.toContain("\n");
  });

  it("does not count a plugin cache: terraform init still asks the registry (checked with Terraform 1.11)", async () => {
    // Arrange
    const h = home("cache");
    const cache = join(h, "plugin-cache");
    mirrorProvider(cache, "6.29.0");
    const env = {
      HOME: h,
      TF_PLUGIN_CACHE_DIR: cache,
      TF_CLI_CONFIG_FILE: cliConfig(h, unreachableRegistry, `plugin_cache_dir = "${cache}"\n`),
    };

    // Act
    const source = await findProviderSource(env);

    // Assert
    expect(source.ok).toBe(false);
  });

  it("finds the provider in a filesystem_mirror, with the registry unreachable", async () => {
    // Arrange
    const h = home("mirror");
    const mirror = join(h, "mirror");
    mirrorProvider(mirror, "6.30.0");
    const installation = `provider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n  }\n}\n`;
    const env = { HOME: h, TF_CLI_CONFIG_FILE: cliConfig(h, unreachableRegistry, installation) };

    // Act
    const source = await findProviderSource(env);

    // Assert
    expect(source).toEqual({ ok: true, from: `the provider mirror ${mirror} (6.30.0)` });
  });

  it("finds a packed (.zip) provider in Terraform's implied local mirror under HOME", async () => {
    // Arrange
    const h = home("implied");
    const packed = join(h, ".terraform.d", "plugins", "registry.terraform.io", "hashicorp", "aws");
    mkdirSync(packed, { recursive: true });
    writeFileSync(join(packed, `terraform-provider-aws_6.29.0_${terraformPlatform()}.zip`), "");
    const env = { HOME: h, TF_CLI_CONFIG_FILE: cliConfig(h, unreachableRegistry) };

    // Act
    const source = await findProviderSource(env);

    // Assert
    expect(source.ok).toBe(true);
  });

  it("does not count a mirrored version the stack does not accept", async () => {
    // Arrange: the version the pinned bindings were generated from, below the stack's minimum.
    const h = home("old");
    mirrorProvider(join(h, ".terraform.d", "plugins"), "6.25.0");
    const env = { HOME: h, TF_CLI_CONFIG_FILE: cliConfig(h, unreachableRegistry) };

    // Act
    const source = await findProviderSource(env);

    // Assert
    expect(source.ok).toBe(false);
  });

  it("passes when the registry answers", async () => {
    // Arrange
    const h = home("online");
    const env = { HOME: h, TF_CLI_CONFIG_FILE: cliConfig(h, reachableRegistry) };

    // Act
    const source = await findProviderSource(env);

    // Assert
    expect(source).toEqual({ ok: true, from: "registry.terraform.io" });
  });

  it("reads versions against the stack's range", () => {
    expect(acceptedVersion("6.29.0")).toBe(true);
    expect(acceptedVersion("6.40.1")).toBe(true);
    expect(acceptedVersion("6.25.0")).toBe(false);
    expect(acceptedVersion("7.0.0")).toBe(false);
    expect(acceptedVersion("6.29.0-beta1")).toBe(false);
  });
});

describe("npm run up on a machine without the provider", () => {
  let dir: string;
  let bin: string;
  let offline: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "up-offline-"));
    bin = join(dir, "bin");
    mkdirSync(bin);
    for (const name of ["docker", "terraform", "npm"]) standIn(bin, name);
    writeFileSync(
      join(dir, ".env"),
      "TELEGRAM_BOT_TOKEN=123456789:AAH-sample-token-for-the-deploy-test\n",
    );
    offline = {
      TF_CLI_CONFIG_FILE: cliConfig(dir, `http://127.0.0.1:${await closedPort()}/v1/providers/`),
    };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("says in one line, before building anything, that Terraform cannot get the provider and what to do", () => {
    // Arrange: docker and terraform stand in, answering as installed; the registry is unreachable.
    standIn(bin, "npx");

    // Act
    const res = runScript("up", dir, bin, { ...offline, DEPLOY_TARGET: "localstack" });

    // Assert
    expect(res.status).toBe(1);
    const lines = res.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^✖ Terraform cannot get the hashicorp\/aws provider .* unreachable/);
    expect(recordedCalls(bin, "docker")).toEqual(["compose version", "info"]);
    expect(recordedCalls(bin, "npm")).toEqual([]);
    expect(recordedCalls(bin, "npx")).toEqual([]);
  });

  it("turns a cdktf deploy that fails in terraform init into one line saying which and what to do", () => {
    // Arrange: a mirror lets the pre-check pass; cdktf deploy then fails as recorded offline.
    mirrorProvider(join(dir, ".terraform.d", "plugins"), "6.29.0");
    standIn(bin, "npx", RECORDED_OFFLINE_DEPLOY, 1);

    // Act
    const res = runScript("up", dir, bin, offline);

    // Assert
    expect(res.status).toBe(1);
    expect(recordedCalls(bin, "npx")).toEqual(["cdktf deploy --auto-approve"]);
    const last = res.stderr.trim().split("\n").at(-1);
    expect(last).toMatch(
      /^✖ cdktf deploy failed \(exit code 1\): terraform init could not get the hashicorp\/aws provider: registry\.terraform\.io is unreachable from this machine\. .*filesystem_mirror/,
    );
  });

  it("names Terraform's first error when the deploy fails otherwise", () => {
    expect(
      explainTerraformFailure(
        "chatbot  \u001b[31m│\u001b[0m \u001b[1mError: \u001b[0mcreating S3 Bucket (chatbot-conversations): connection refused\n",
      ),
    ).toBe(
      'Terraform said "creating S3 Bucket (chatbot-conversations): connection refused" (its full message is above).',
    );
    expect(explainTerraformFailure("nothing useful")).toBeUndefined();
  });
});
