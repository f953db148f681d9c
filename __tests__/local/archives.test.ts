import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { adoptS3rverArchives, FileArchiveStore } from "../../local/file-archive.js";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import { npmStart, until } from "./terminal.js";

const ada = { id: 4242, first_name: "Ada", username: "ada" };
const chat = { id: 4242, type: "private" as const };

describe("npm start: archives are plain files under DATA_DIR", () => {
  let telegram: FakeTelegram;
  let ollama: FakeOllama;
  let dataDir: string;

  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
    ollama = await FakeOllama.start();
    dataDir = mkdtempSync(join(tmpdir(), "chatbot-archives-"));
  });
  afterAll(async () => {
    await Promise.all([telegram.close(), ollama.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("/end writes session_<id>.json and .txt in the design layout, /archives names the file, /resume and /set answer plainly", async () => {
    // Prepare
    const bot = npmStart({
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_URL: telegram.url,
      OLLAMA_URL: ollama.url,
      DATA_DIR: dataDir,
      // About the terminal, not access (closed by default is tested in faults/owner).
      ALLOWED_USER_IDS: "*",
    });
    const texts = () => telegram.sentMessages(chat.id).map((m) => m.text);

    // Act
    telegram.pushText(ada, chat, "remember this");
    await until(() => texts().length === 1, "the answer", 60_000);
    telegram.pushText(ada, chat, "/end");
    await until(() => texts().length === 2, "the /end reply");
    telegram.pushText(ada, chat, "/archives");
    await until(() => texts().length === 3, "the /archives reply");
    telegram.pushText(ada, chat, "/resume 1");
    await until(() => texts().length === 4, "the /resume reply");
    telegram.pushText(ada, chat, "/resume 1");
    await until(() => texts().length === 5, "the second /resume reply");
    telegram.pushText(ada, chat, "/set temperature 5");
    await until(() => texts().length === 6, "the /set reply");
    bot.signalGroup("SIGINT");
    const { code } = await bot.exited;

    // Assess
    expect(code).toBe(0);
    const folder = join(dataDir, "archives", "4242", "model_llama3");
    const files = readdirSync(folder).sort();
    expect(files).toHaveLength(2);
    const [json, txt] = files as [string, string];
    expect(json).toMatch(/^session_[\w-]+\.json$/);
    expect(txt).toBe(json.replace(/\.json$/, ".txt"));
    const doc = JSON.parse(readFileSync(join(folder, json), "utf8")) as {
      messages: { content: string }[];
    };
    expect(doc.messages.map((m) => m.content)).toEqual([
      "remember this",
      "You said: remember this",
    ]);
    expect(readFileSync(join(folder, txt), "utf8")).toContain("remember this");
    expect(texts()[2]).toContain(join(folder, json));
    expect(texts()[2]).not.toContain("s3://");
    expect(existsSync(join(dataDir, "s3"))).toBe(false);
    // The small ones: /resume on the conversation already reopened, and /set's range message.
    expect(texts()[4]).toBe("Conversation 1 is already active: just keep writing.");
    expect(texts()[5]).toBe(
      "temperature must be a number from 0 to 2 (randomness: 0 = focused, 2 = wild).",
    );
  }, 90_000);
});

describe("FileArchiveStore", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "chatbot-files-"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("stores keys as files, lists them in order, and answers undefined for a missing one", async () => {
    // Act
    const store = new FileArchiveStore(join(root, "a"));
    await store.put("7/model_x/session_2.json", "{}");
    await store.put("7/model_x/session_1.txt", "hi");
    await store.put("8/model_x/session_3.json", "[]");

    // Assess
    expect(readFileSync(join(root, "a", "7", "model_x", "session_1.txt"), "utf8")).toBe("hi");
    expect(await store.get("7/model_x/session_2.json")).toBe("{}");
    expect(await store.get("7/model_x/missing.json")).toBeUndefined();
    expect(await store.list("7/")).toEqual(["7/model_x/session_1.txt", "7/model_x/session_2.json"]);
    expect(store.uri("7/model_x/session_1.txt")).toBe(
      join(root, "a", "7", "model_x", "session_1.txt"),
    );
  });

  it("refuses keys that would leave its folder", async () => {
    // Act
    const store = new FileArchiveStore(join(root, "b"));

    // Assess
    await expect(store.put("../escape.json", "{}")).rejects.toThrow("not an archive key");
    await expect(store.get("/etc/passwd")).rejects.toThrow("not an archive key");
  });

  it("copies archives an earlier npm start kept in s3rver's folder, keeping newer files", async () => {
    // Prepare
    const s3 = join(root, "s3");
    const old = join(s3, "chatbot-conversations", "7", "model_x");
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, "session_1.json._S3rver_object"), '{"old":1}');
    writeFileSync(join(old, "session_1.json._S3rver_metadata.json"), "{}");
    writeFileSync(join(old, "session_2.json._S3rver_object"), '{"old":2}');
    const store = new FileArchiveStore(join(root, "c"));
    await store.put("7/model_x/session_2.json", '{"new":2}');

    // Act
    const copied = await adoptS3rverArchives(s3, "chatbot-conversations", store);

    // Assess
    expect(copied).toBe(1);
    expect(await store.get("7/model_x/session_1.json")).toBe('{"old":1}');
    expect(await store.get("7/model_x/session_2.json")).toBe('{"new":2}');
    expect(await store.list("")).toEqual(["7/model_x/session_1.json", "7/model_x/session_2.json"]);
  });
});
