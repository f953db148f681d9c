import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import { nodeStart, terminalEnv, until } from "./terminal.js";

const ada = { id: 4242, first_name: "Ada", username: "ada" };
const chat = { id: 4242, type: "private" as const };

describe("npm start: the bot as a local process with embedded storage", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
    ollama = await FakeOllama.start();
    ({ dataDir, env } = terminalEnv("start", telegram, ollama));
  });
  afterAll(async () => {
    await Promise.all([telegram.close(), ollama.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers, stops cleanly on Ctrl-C, and keeps the session across a restart", async () => {
    // Prepare
    const first = nodeStart(env);
    telegram.pushText(ada, chat, "my name is Ada");

    // Act: first run answers, then Ctrl-C.
    await until(() => telegram.sentMessages(chat.id).length > 0, "the first answer", 60_000);
    first.child.kill("SIGINT");
    const { code: firstCode } = await first.exited;

    // Act: second run, same data folder, at debug level.
    telegram.pushText(ada, chat, "what is my name?");
    const second = nodeStart({ ...env, LOG_LEVEL: "debug" });
    await until(() => telegram.sentMessages(chat.id).length > 1, "the second answer", 60_000);
    second.child.kill("SIGINT");
    const { code: secondCode } = await second.exited;

    // Assess
    expect(firstCode).toBe(0);
    expect(secondCode).toBe(0);
    expect(first.output()).toContain(
      `embedded DynamoDB in ${dataDir}; archives are files in ${dataDir}/archives`,
    );
    expect(second.output()).toContain("Stopped.");
    const texts = telegram.sentMessages(chat.id).map((m) => m.text);
    expect(texts).toHaveLength(2);
    const lastCall = ollama.chats().at(-1);
    expect(lastCall?.body.messages.map((m) => m.content)).toEqual([
      "my name is Ada",
      "You said: my name is Ada",
      "what is my name?",
    ]);
    for (const out of [first.output(), second.output()]) {
      expect(out).not.toContain(telegram.token);
      // Words a terminal user reads: no Lambda invocation ids, no fields that say nothing.
      expect(out).toContain("poll finished");
      expect(out).not.toContain("invocationId=");
      expect(out).not.toMatch(/=\[\]|=0\b/);
    }
    // Metrics are the Lambda's (EMF): npm start says nothing of them, or one line a run at debug.
    for (const out of [first.output(), second.output()]) expect(out).not.toContain("_aws");
    expect(first.output()).not.toContain("metrics of this poll run");
    expect(second.output()).toMatch(
      /metrics of this poll run AnswersSent=1 .*ModelAnswerMsCount=1/,
    );
  }, 120_000);

  it("refuses to start without a token and says where to get one (never with the developer's own .env)", async () => {
    // Act
    const bot = nodeStart({ DATA_DIR: dataDir });
    const { code } = await bot.exited;

    // Assess
    expect(bot.output()).not.toContain("Read settings from");
    expect(code).toBe(1);
    expect(bot.output()).toContain("TELEGRAM_BOT_TOKEN");
    expect(bot.output()).toContain("@BotFather");
  }, 30_000);
});
