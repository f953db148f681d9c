import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { SETTINGS, type Setting } from "../../handler/settings.js";
import { mirrorProvider, recordedEnv, runScript, standIn } from "./support.js";

const root = resolve(import.meta.dirname, "..", "..");
const example = readFileSync(resolve(root, ".env.example"), "utf8");
const settings = Object.entries(SETTINGS) as [string, Setting][];
const deployed = settings.filter(([, s]) => s.variable !== undefined);

/**
 * A value for each setting that differs from its default (so reaching Terraform
 * is visible) and passes the handler's validation.
 */
const SAMPLES: Readonly<Record<string, string>> = {
  TELEGRAM_BOT_TOKEN: "123456789:AAH-sample-token-for-the-deploy-test",
  TELEGRAM_API_URL: "https://bot-api.example.test",
  TELEGRAM_WEBHOOK_SECRET: "sample_secret-1",
  OLLAMA_URL: "http://10.1.2.3:11434,http://10.1.2.4:11434",
  OLLAMA_PARALLEL: "2",
  DEFAULT_MODEL: "mistral",
  OLLAMA_NUM_CTX: "4096",
  OLLAMA_MAX_NUM_CTX: "32768",
  OLLAMA_NUM_PREDICT: "512",
  OLLAMA_MAX_NUM_PREDICT: "4096",
  OLLAMA_KEEP_ALIVE: "30m",
  SESSION_IDLE_MINUTES: "15",
  ARCHIVE_AFTER_MESSAGES: "30",
  ARCHIVE_AFTER_KB: "100",
  CONTEXT_MESSAGES: "10",
  CLOSED_SESSION_RETENTION_DAYS: "30",
  STREAM_REPLIES: "false",
  STREAM_MODE: "edit",
  SHOW_STATS: "true",
  SHOW_THINKING: "hidden",
  TRANSCRIBE_URL: "http://10.1.2.3:8000/v1",
  TRANSCRIBE_MODEL: "Systran/faster-whisper-small",
  TRANSCRIBE_API_KEY: "sk-sample-key-for-the-deploy-test",
  VOICE_MAX_SECONDS: "120",
  MAX_CONCURRENCY: "2",
  MAX_UPDATE_ATTEMPTS: "5",
  ALLOWED_USER_IDS: "11,22",
  ADMIN_USER_IDS: "22",
  DAILY_MESSAGE_LIMIT: "100",
  DAILY_TOKEN_LIMIT: "200000",
  LOG_LEVEL: "debug",
};

describe("every setting in .env reaches the deploy command (one table of settings)", () => {
  let dir: string;
  let bin: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "deploy-settings-"));
    bin = join(dir, "bin");
    spawnSync("mkdir", [bin]);
    for (const name of ["npx", "npm", "terraform", "docker"]) standIn(bin, name);
    // The provider in Terraform's implied local mirror (HOME is the folder): no registry needed.
    mirrorProvider(join(dir, ".terraform.d", "plugins"), "6.29.0");
    // .env = .env.example with every line uncommented and a non-default value.
    const dotEnv = example
      .split("\n")
      .map((line) => /^#?\s*([A-Z_]+)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined && name in SETTINGS)
      .map((name) => `${name}=${SAMPLES[name] ?? ""}`);
    writeFileSync(join(dir, ".env"), `${dotEnv.join("\n")}\n`);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it(".env.example names every setting of the deployed function", () => {
    const missing = deployed
      .map(([name]) => name)
      .filter((name) => !new RegExp(`^#? ?${name}=`, "m").test(example));
    expect(missing).toEqual([]);
  });

  it("npm run up passes each one to cdktf deploy as TF_VAR_<variable>", () => {
    // Act
    const res = runScript("up", dir, bin);

    // Assess
    expect({ status: res.status, stderr: res.stderr }).toMatchObject({ status: 0 });
    expect(readFileSync(join(bin, "npx.calls"), "utf8")).toContain("cdktf deploy --auto-approve");
    const env = recordedEnv(bin, "npx");
    expect(
      Object.fromEntries(deployed.map(([name, s]) => [name, env[`TF_VAR_${s.variable}`]])),
    ).toEqual(Object.fromEntries(deployed.map(([name]) => [name, SAMPLES[name]])));
  });

  it("npm run destroy reads the same .env and passes the same variables to cdktf destroy", () => {
    // Act
    const res = runScript("destroy", dir, bin);

    // Assess
    expect({ status: res.status, stderr: res.stderr }).toMatchObject({ status: 0 });
    expect(readFileSync(join(bin, "npx.calls"), "utf8")).toContain("cdktf destroy --auto-approve");
    const env = recordedEnv(bin, "npx");
    expect(
      Object.fromEntries(deployed.map(([name, s]) => [name, env[`TF_VAR_${s.variable}`]])),
    ).toEqual(Object.fromEntries(deployed.map(([name]) => [name, SAMPLES[name]])));
  });

  it("npm run up refuses a malformed setting or SSM parameter name before starting anything, naming it", () => {
    // Arrange
    const bad = mkdtempSync(join(tmpdir(), "deploy-settings-bad-"));
    writeFileSync(
      join(bad, ".env"),
      `TELEGRAM_BOT_TOKEN=${SAMPLES.TELEGRAM_BOT_TOKEN}\nALLOWED_USER_IDS=alice\nOLLAMA_URL_PARAMETER=chatbot/ollama-url\n`,
    );

    // Act
    const res = runScript("up", bad, bin);
    rmSync(bad, { recursive: true, force: true });

    // Assess
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      'ALLOWED_USER_IDS ("alice") must be a comma-separated list of numeric Telegram user ids',
    );
    expect(res.stderr).toContain(
      'OLLAMA_URL_PARAMETER ("chatbot/ollama-url") must start with / when it has a path',
    );
  });

  it("npm run up refuses a default above its ceiling before starting anything, naming both", () => {
    // Arrange
    const bad = mkdtempSync(join(tmpdir(), "deploy-settings-ceiling-"));
    writeFileSync(
      join(bad, ".env"),
      `TELEGRAM_BOT_TOKEN=${SAMPLES.TELEGRAM_BOT_TOKEN}\nOLLAMA_NUM_CTX=32768\n`,
    );

    // Act
    const res = runScript("up", bad, bin);
    rmSync(bad, { recursive: true, force: true });

    // Assess
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("OLLAMA_NUM_CTX (32768) is above OLLAMA_MAX_NUM_CTX (16384)");
  });
});
