import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";

const root = resolve(import.meta.dirname, "..", "..");
const bea = { id: 5151, first_name: "Bea" };
const chat = { id: 5151, type: "private" as const };

/** `npm start` (`tsx local/run.ts`) in its own process group, as a terminal runs it. */
function startBot(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "local/run.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { child, output: () => output };
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

describe("npm start: idle and a rejected token", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let dataDir: string;
  let env: Record<string, string>;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
    ollama = await FakeOllama.start();
    dataDir = mkdtempSync(join(tmpdir(), "chatbot-idle-"));
    env = {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_URL: telegram.url,
      OLLAMA_URL: ollama.url,
      DATA_DIR: dataDir,
      // Open to everyone: this test is about polling, not the owner's first-message claim.
      ALLOWED_USER_IDS: "*",
    };
  });
  afterEach(async () => {
    if (running && running.exitCode === null && running.pid !== undefined) {
      process.kill(running.pid, "SIGKILL");
      await exited(running);
    }
    running = undefined;
  });
  afterAll(async () => {
    await Promise.all([telegram.close(), ollama.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("idles on one long poll, answers each message as it comes, logs one line per batch and leaks no listener; Ctrl-C ends the wait at once", async () => {
    // Prepare
    const bot = startBot(env);
    running = bot.child;
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
    const code = await exited(bot.child);

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
    const bot = startBot({ ...env, TELEGRAM_BOT_TOKEN: wrong });
    running = bot.child;
    const code = await exited(bot.child);

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
