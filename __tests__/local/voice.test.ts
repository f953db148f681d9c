import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeSpeechServer, recording } from "../harness/fake-speech.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import { nodeStart, until } from "./terminal.js";

describe("npm start: a voice message's audio is a file under DATA_DIR", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let speech: FakeSpeechServer;
  let dataDir: string;

  beforeAll(async () => {
    [telegram, ollama, speech] = await Promise.all([
      FakeTelegram.start({ flood: false }),
      FakeOllama.start(),
      FakeSpeechServer.start(),
    ]);
    dataDir = mkdtempSync(join(tmpdir(), "chatbot-voice-"));
  });
  afterAll(async () => {
    await Promise.all([telegram.close(), ollama.close(), speech.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps the audio at archives/<user>/model_<m>/audio/session_<id>/<update_id>.ogg and answers the transcript", async () => {
    // Prepare
    const ada = { id: 4343, first_name: "Ada" };
    const chat = { id: 4343, type: "private" as const };
    const audio = recording("Hello from a terminal");
    const bot = nodeStart({
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_URL: telegram.url,
      OLLAMA_URL: ollama.url,
      TRANSCRIBE_URL: speech.baseUrl,
      DATA_DIR: dataDir,
      ALLOWED_USER_IDS: "*",
    });
    const texts = () => telegram.sentMessages(chat.id).map((m) => m.text);

    // Act
    const updateId = telegram.pushVoice(ada, chat, { content: audio, seconds: 2 });
    await until(() => texts().length === 2, "the transcript and the answer", 60_000);
    bot.signalGroup("SIGINT");
    const { code } = await bot.exited;

    // Assess
    expect(code).toBe(0);
    expect(texts()).toEqual(["🎤 Hello from a terminal", "You said: Hello from a terminal"]);
    const folder = join(dataDir, "archives", "4343", "model_llama3", "audio");
    const [session] = readdirSync(folder);
    expect(session).toMatch(/^session_[\w-]+$/);
    expect(readFileSync(join(folder, session ?? "", `${updateId}.ogg`)).equals(audio)).toBe(true);
  }, 90_000);
});
