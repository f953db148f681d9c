import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { SAME_PRESS_MS } from "../../local/stop-signals.js";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import {
  killIfRunning,
  nodeStart,
  npmStart,
  pause,
  type TerminalBot,
  terminalEnv,
  until,
} from "./terminal.js";

const ada = { id: 4242, first_name: "Ada", username: "ada" };
const chat = { id: 4242, type: "private" as const };

describe("stopping npm start from a terminal", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let dataDir: string;
  let env: Record<string, string>;
  let bot: TerminalBot | undefined;

  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
    ollama = await FakeOllama.start();
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

  /** Starts the bot and leaves it in the middle of answering Ada. */
  async function answering(start: typeof npmStart, model: "slow" | "hangs"): Promise<TerminalBot> {
    ({ dataDir, env } = terminalEnv("stop", telegram, ollama));
    const started = start(env);
    bot = started;
    await until(() => started.output().includes("Polling Telegram"), "the bot to poll", 60_000);
    if (model === "slow") ollama.latencyMs = 1_500;
    else ollama.failNext({ kind: "hang" });
    telegram.pushText(ada, chat, "hello");
    // The request is on record (reset clears the record, unlike in-flight counts).
    await until(() => ollama.chats().length > 0, "an answer in hand");
    return started;
  }

  const answers = () => telegram.sentMessages(chat.id).map((m) => m.text);

  it("one Ctrl-C to the whole npm process group finishes the answer in hand and exits 0", async () => {
    // Prepare
    const running = await answering(npmStart, "slow");

    // Act
    running.signalGroup("SIGINT");
    const { code } = await running.exited;

    // Assess
    expect(code).toBe(0);
    expect(answers()).toEqual(["You said: hello"]);
    expect(running.output()).toContain("Finishing the messages in hand");
    expect(running.output()).toContain("Stopped.");
    expect(running.output()).not.toContain("Stopping now");
  }, 90_000);

  it("a second Ctrl-C a clear second later quits at once, leaving the update to Telegram", async () => {
    // Prepare
    const running = await answering(npmStart, "hangs");
    running.signalGroup("SIGINT");
    await until(() => running.output().includes("Finishing the messages"), "the first press");

    // Act
    await pause(SAME_PRESS_MS + 500);
    running.signalGroup("SIGINT");
    const { code } = await running.exited;

    // Assess
    expect(code).toBe(130);
    expect(running.output()).toContain("Stopping now");
    expect(answers().filter((t) => t.startsWith("You said"))).toEqual([]);
  }, 90_000);

  it("kill on the node process alone finishes the answer in hand, and npm exits 0", async () => {
    // Prepare
    const running = await answering(npmStart, "slow");
    // With `exec`, npm's only child is the node process running the bot.
    const pid = Number(
      execFileSync("ps", ["-o", "pid=", "--ppid", String(running.child.pid)], {
        encoding: "utf8",
      }).trim(),
    );

    // Act
    process.kill(pid, "SIGTERM");
    const { code } = await running.exited;

    // Assess
    expect(code).toBe(0);
    expect(answers()).toEqual(["You said: hello"]);
    expect(running.output()).toContain("Stopped.");
  }, 90_000);

  it("closing the terminal (SIGHUP, output gone) finishes the answer in hand and exits 0", async () => {
    // Prepare
    const running = await answering(nodeStart, "slow");

    // Act: the terminal hangs up and its end of the output goes away.
    running.signalGroup("SIGHUP");
    running.child.stdout?.destroy();
    running.child.stderr?.destroy();
    const { code } = await running.exited;

    // Assess
    expect(code).toBe(0);
    expect(answers()).toEqual(["You said: hello"]);
  }, 90_000);
});
