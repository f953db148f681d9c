import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import { killIfRunning, nodeStart, type TerminalBot, terminalEnv, until } from "./terminal.js";

const bea = { id: 5151, first_name: "Bea" };
const chat = { id: 5151, type: "private" as const };

describe("npm start: idle and a rejected token", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let dataDir: string;
  let env: Record<string, string>;
  let running: TerminalBot | undefined;

  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
    ollama = await FakeOllama.start();
    ({ dataDir, env } = terminalEnv("idle", telegram, ollama));
  });
  afterEach(async () => {
    await killIfRunning(running);
    running = undefined;
  });
  afterAll(async () => {
    await Promise.all([telegram.close(), ollama.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("idles on one long poll, answers each message as it comes, logs one line per batch and leaks no listener; Ctrl-C ends the wait at once", async () => {
    // Prepare
    const bot = nodeStart(env);
    running = bot;
    const longPolls = () =>
      telegram.requests("getUpdates").filter((r) => Number(r.params.timeout) >= 20);

    // Act: twelve messages, one at a time, each after the bot went back to waiting
    await until(() => longPolls().length >= 1, "the first long poll");
    for (let n = 1; n <= 12; n++) {
      const waiting = longPolls().length;
      telegram.pushText(bea, chat, `message ${n}`);
      await until(() => telegram.sentMessages(chat.id).length >= n, `answer ${n}`);
      await until(() => longPolls().length > waiting, `the long poll after answer ${n}`);
    }
    const polls = telegram.requests("getUpdates");
    bot.child.kill("SIGINT");
    const { code } = await bot.exited;

    // Assess
    expect(code).toBe(0);
    expect(telegram.sentMessages(chat.id).map((m) => m.text)).toEqual(
      Array.from({ length: 12 }, (_, i) => `You said: message ${i + 1}`),
    );
    // Waiting is one long poll per message, not one short poll a second.
    expect(polls.filter((r) => Number(r.params.timeout) === 0)).toEqual([]);
    expect(polls.length).toBeLessThanOrEqual(12 * 2 + 2);
    const lines = bot.output().split("\n");
    expect(lines.filter((l) => l.includes("updates received"))).toHaveLength(12);
    expect(lines.filter((l) => l.includes("poll finished") && l.includes("updates=0"))).toEqual([]);
    expect(bot.output()).not.toContain("MaxListenersExceededWarning");
  });

  it("a token Telegram rejects: one clear line, exit code 1, the token never printed", async () => {
    // Prepare
    const wrong = `${telegram.botId}:AAHrejectedTOKENrejectedTOKEN`;

    // Act
    const bot = nodeStart({ ...env, TELEGRAM_BOT_TOKEN: wrong });
    running = bot;
    const { code } = await bot.exited;

    // Assess
    expect(code).toBe(1);
    const said = bot
      .output()
      .split("\n")
      .filter((l) => l.includes("rejected the bot token"));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain("@BotFather");
    expect(bot.output()).not.toContain("AAHrejectedTOKEN");
    expect(bot.output()).not.toMatch(/retrying in/);
  });
});
