import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { LOCK_FILE } from "../../local/data-dir.js";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import { killIfRunning, npmStart, type TerminalBot, terminalEnv, until } from "./terminal.js";

const ada = { id: 4242, first_name: "Ada", username: "ada" };
const chat = { id: 4242, type: "private" as const };
/** The right shape, but not a token Telegram knows. */
const UNKNOWN_TOKEN = "123456789:AAH-a-token-Telegram-does-not-know";
/** The token line of `.env.example`, as a new user copies it. */
const EXAMPLE_TOKEN = /^TELEGRAM_BOT_TOKEN=(.+)$/m.exec(
  readFileSync(resolve(import.meta.dirname, "../../.env.example"), "utf8"),
)?.[1];

describe("npm start: what a new user is told at start-up", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let dataDir: string;
  let env: Record<string, string>;
  let bot: TerminalBot | undefined;

  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
    ollama = await FakeOllama.start();
  });
  beforeEach(() => {
    ({ dataDir, env } = terminalEnv("startup", telegram, ollama));
  });
  afterEach(async () => {
    await killIfRunning(bot);
    bot = undefined;
    telegram.reset();
    ollama.reset();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all([telegram.close(), ollama.close()]);
  });

  it("a token Telegram rejects: one clear line, exit 1, the token never printed", async () => {
    // Act
    bot = npmStart({ ...env, TELEGRAM_BOT_TOKEN: UNKNOWN_TOKEN });
    const { code } = await bot.exited;

    // Assess
    expect(code).toBe(1);
    const out = bot.output();
    expect(out).toContain("Telegram rejected the bot token (getMe: 401 Unauthorized)");
    expect(out).toContain("@BotFather");
    expect(out).not.toContain(UNKNOWN_TOKEN);
    expect(out).not.toContain("AAH-a-token");
    expect(out).not.toContain("Polling Telegram");
    expect(telegram.requests("getUpdates")).toEqual([]);
  }, 60_000);

  it(".env.example's token left as it is: one line to replace it, Telegram never asked", async () => {
    // Act
    bot = npmStart({ ...env, TELEGRAM_BOT_TOKEN: EXAMPLE_TOKEN ?? "" });
    const { code } = await bot.exited;

    // Assess
    expect(EXAMPLE_TOKEN).toBeDefined();
    expect(code).toBe(1);
    expect(
      bot
        .output()
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith(">")),
    ).toEqual([
      "✖ Invalid configuration: TELEGRAM_BOT_TOKEN is the example token from .env.example: replace it with your bot's token from @BotFather",
    ]);
    expect(telegram.requests("getMe")).toEqual([]);
  }, 60_000);

  it("Telegram unreachable at first: says what it retries, then answers", async () => {
    // Prepare: more 502s than one call's own retries absorb.
    telegram.failNext("getMe", { status: 502, description: "Bad Gateway" }, 5);

    // Act
    bot = npmStart(env);
    const running = bot;
    telegram.pushText(ada, chat, "hello");
    await until(() => telegram.sentMessages(chat.id).length > 0, "the answer", 60_000);
    running.signalGroup("SIGINT");
    const { code } = await running.exited;

    // Assess
    expect(code).toBe(0);
    const out = running.output();
    expect(out).toContain(
      `Could not check the bot token with Telegram at ${telegram.url} (getMe): Telegram getMe failed (502): Bad Gateway. Retrying in 1 s`,
    );
    expect(out).toContain(`Telegram accepted the token of @${telegram.botUsername}`);
    expect(out).not.toContain(telegram.token);
    expect(out).not.toContain("NodeVersionSupportWarning");
    expect(telegram.sentMessages(chat.id).map((m) => m.text)).toEqual(["You said: hello"]);
  }, 60_000);

  it("a second npm start on the same DATA_DIR says it is already running and exits 1", async () => {
    // Prepare
    const first = npmStart(env);
    bot = first;
    await until(() => first.output().includes("Polling Telegram"), "the first bot", 60_000);
    const pid = readFileSync(join(dataDir, LOCK_FILE), "utf8").trim();

    // Act
    const second = npmStart(env);
    const { code } = await second.exited;
    telegram.pushText(ada, chat, "still there?");
    await until(() => telegram.sentMessages(chat.id).length > 0, "the first bot's answer");
    first.signalGroup("SIGINT");
    const firstExit = await first.exited;

    // Assess
    expect(code).toBe(1);
    expect(second.output()).toContain(
      `npm start is already running on DATA_DIR ${dataDir} (pid ${pid}): stop that one first, or use another DATA_DIR.`,
    );
    expect(second.output()).not.toContain("Database is closed");
    expect(firstExit.code).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 90_000);

  it("a DATA_DIR that cannot be used: one line naming it and the reason, exit 1", async () => {
    // Prepare: a file where a folder of the path should be.
    const file = join(dataDir, "not-a-folder");
    writeFileSync(file, "");
    const unusable = join(file, "data");

    // Act
    bot = npmStart({ ...env, DATA_DIR: unusable });
    const { code } = await bot.exited;

    // Assess
    expect(code).toBe(1);
    const problems = bot
      .output()
      .split("\n")
      .filter((l) => l.includes("✖") || /^\s+at /.test(l));
    expect(problems).toEqual([
      `✖ DATA_DIR ${unusable} cannot be used: a part of the path is a file, not a folder (ENOTDIR). Set DATA_DIR to a folder you can write to.`,
    ]);
  }, 60_000);

  it("OLLAMA_URL without http:// names OLLAMA_URL and the fix, not the token", async () => {
    // Prepare
    const bare = ollama.url.replace("http://", "");

    // Act
    bot = npmStart({ ...env, OLLAMA_URL: bare });
    const { code } = await bot.exited;

    // Assess
    expect(code).toBe(1);
    expect(bot.output()).toContain(`OLLAMA_URL needs http:// in front: OLLAMA_URL=http://${bare}`);
    expect(bot.output()).not.toContain("Set TELEGRAM_BOT_TOKEN");
  }, 60_000);

  it("an OLLAMA_URL that answers but is not Ollama is called that, not 'no models'", async () => {
    // Act: the Telegram fake answers HTTP, but not Ollama's API.
    const running = npmStart({ ...env, OLLAMA_URL: telegram.url });
    bot = running;
    await until(() => running.output().includes("Polling Telegram"), "the bot to poll", 60_000);
    running.signalGroup("SIGINT");
    const { code } = await running.exited;

    // Assess
    expect(code).toBe(0);
    expect(running.output()).toContain(
      `⚠ OLLAMA_URL=${telegram.url} answers, but not like Ollama (GET /api/tags gave HTTP 404 without a model list).`,
    );
    expect(running.output()).not.toContain("no models");
  }, 60_000);
});
