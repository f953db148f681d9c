import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import { ForgetfulProxy } from "../harness/forgetful-proxy.js";
import { killIfRunning, nodeStart, type TerminalBot, terminalEnv, until } from "./terminal.js";

const ada = { id: 6161, first_name: "Ada" };
const chat = { id: 6161, type: "private" as const };

describe("npm start over time: the pooled connection to Ollama went stale while the bot idled", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let proxy: ForgetfulProxy;
  let dataDir: string;
  let env: Record<string, string>;
  let running: TerminalBot | undefined;

  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
    ollama = await FakeOllama.start();
    // Between the bot and Ollama, a path that forgets connections idle for 300 ms (a NAT
    // gateway's 350 s, shortened): the bot keeps its idle connections 4 s, so it reuses one.
    proxy = await ForgetfulProxy.start(ollama.url, 300);
    ({ dataDir, env } = terminalEnv("stale", telegram, { url: proxy.url }));
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

  it("a message sent after the path forgot the idle connection is answered: the call is retried once on a fresh connection", async () => {
    // Arrange
    const bot = nodeStart(env);
    running = bot;
    const texts = () => telegram.sentMessages(chat.id).map((m) => m.text);
    telegram.pushText(ada, chat, "before the quiet");
    await until(() => texts().length >= 1, "the first answer", 60_000);

    // Act: the quiet outlasts the path's memory of every connection, then a second message.
    await until(() => proxy.remembered === 0, "the proxy to forget the idle connections");
    telegram.pushText(ada, chat, "after the quiet");
    await until(() => texts().length >= 2, "the second answer");
    bot.child.kill("SIGINT");
    const { code } = await bot.exited;

    // Assert: the stale connection was used (and reset), and Ollama was asked once per message.
    expect(code).toBe(0);
    expect(texts()).toEqual(["You said: before the quiet", "You said: after the quiet"]);
    expect(proxy.resets).toBeGreaterThanOrEqual(1);
    expect(ollama.chats().map((c) => c.body.messages.at(-1)?.content)).toEqual([
      "before the quiet",
      "after the quiet",
    ]);
  }, 120_000);
});
