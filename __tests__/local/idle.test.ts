import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import { ForgetfulProxy } from "../harness/forgetful-proxy.js";
import { killIfRunning, nodeStart, type TerminalBot, terminalEnv, until } from "./terminal.js";

const bea = { id: 5151, first_name: "Bea" };
const chat = { id: 5151, type: "private" as const };

describe("npm start: idle, connections gone stale while idle, and a rejected token", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let proxy: ForgetfulProxy;
  let dataDir: string;
  let env: Record<string, string>;
  let running: TerminalBot | undefined;

  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
    ollama = await FakeOllama.start();
    // A path to Ollama that forgets connections idle for 300 ms (a NAT gateway's 350 s,
    // shortened); the bot keeps idle connections 4 s, so it reuses one the path forgot.
    proxy = await ForgetfulProxy.start(ollama.url, 300);
    ({ dataDir, env } = terminalEnv("idle", telegram, ollama));
  });
  afterEach(async () => {
    await killIfRunning(running);
    running = undefined;
  });
  afterAll(async () => {
    await proxy.close();
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

  it("a message sent after the path to Ollama forgot the idle connection is answered: the call is retried once on a fresh connection", async () => {
    // Prepare
    const ada = { id: 6161, first_name: "Ada" };
    const adaChat = { id: 6161, type: "private" as const };
    const bot = nodeStart({ ...env, OLLAMA_URL: proxy.url });
    running = bot;
    const texts = () => telegram.sentMessages(adaChat.id).map((m) => m.text);
    const asked = ollama.chats().length;
    telegram.pushText(ada, adaChat, "before the quiet");
    await until(() => texts().length >= 1, "the first answer");

    // Act: the quiet outlasts the path's memory of every connection, then a second message.
    await until(() => proxy.remembered === 0, "the proxy to forget the idle connections");
    telegram.pushText(ada, adaChat, "after the quiet");
    await until(() => texts().length >= 2, "the second answer");
    bot.child.kill("SIGINT");
    const { code } = await bot.exited;

    // Assess: the stale connection was used (and reset), and Ollama was asked once per message.
    expect(code).toBe(0);
    expect(texts()).toEqual(["You said: before the quiet", "You said: after the quiet"]);
    expect(proxy.resets).toBeGreaterThanOrEqual(1);
    expect(
      ollama
        .chats()
        .slice(asked)
        .map((c) => c.body.messages.at(-1)?.content),
    ).toEqual(["before the quiet", "after the quiet"]);
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
