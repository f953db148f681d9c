import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { coldStart } from "../harness/lambda.js";
import {
  conversationOf,
  envWith,
  invoke,
  lastText,
  newPerson,
  say,
  sessionItems,
  textsTo,
  userItems,
} from "./support.js";

/** Every command of issues 3, 5 and 18, which /help and the menu must both list. */
const CORE_COMMANDS = [
  "stop",
  "pull",
  "hello",
  "help",
  "echo",
  "models",
  "model",
  "new",
  "history",
  "status",
  "system",
  "set",
  "retry",
  "usage",
];

describe("command menu: registered with Telegram once, not on every invoke", () => {
  const bed = useTestBed({ telegram: { flood: false } });

  it("calls setMyCommands with every command on the first invoke only, across cold starts", async () => {
    // Arrange
    const ada = newPerson("Ada");

    // Act
    await invoke(bed);
    await say(bed, ada, "hi");
    await coldStart(envWith(bed)).invoke({});
    await coldStart(envWith(bed)).invoke({});

    // Assess
    const calls = bed.telegram.requests("setMyCommands");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.status).toBe(200);
    const menu = bed.telegram.commands().map((c) => c.command);
    for (const name of CORE_COMMANDS) expect(menu).toContain(name);
    for (const c of bed.telegram.commands()) expect(c.description.length).toBeGreaterThan(3);
  });
});

describe("commands: what each one answers", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  beforeAll(async () => {
    bed.ollama.setModels(["llama3:latest", "mistral:latest", "phi3:latest"]);
  });
  beforeEach(() => {
    bed.ollama.reset();
  });

  it("greets on /start and /hello with the user's name and current model", async () => {
    // Arrange
    const ada = newPerson("Ada");

    // Act
    await say(bed, ada, "/start");
    const start = lastText(bed, ada.chat.id);
    await say(bed, ada, "/model mistral");
    await say(bed, ada, "/hello");
    const hello = lastText(bed, ada.chat.id);

    // Assess
    expect(start).toContain(`Hello, ${ada.user.first_name}!`);
    expect(start).toContain("llama3");
    expect(hello).toContain("mistral");
  });

  it("lists every command on its own line in /help", async () => {
    // Arrange
    const bob = newPerson("Bob");

    // Act
    await say(bed, bob, "/help");

    // Assess
    const lines = lastText(bed, bob.chat.id).split("\n");
    for (const name of ["start", ...CORE_COMMANDS]) {
      const line = lines.filter((l) => l.startsWith(`/${name} `));
      expect({ command: name, lines: line.length }).toEqual({ command: name, lines: 1 });
      expect(line[0]).toMatch(/ — \S/);
    }
    for (const c of bed.telegram.commands()) {
      expect(lines.some((l) => l.startsWith(`/${c.command} `))).toBe(true);
    }
  });

  it("answers /help@ollama_test_bot in a private chat", async () => {
    // Arrange
    const cyd = newPerson("Cyd");

    // Act
    const summary = await say(bed, cyd, "/help@ollama_test_bot");

    // Assess
    expect(summary).toMatchObject({ handled: 1, skipped: 0 });
    expect(lastText(bed, cyd.chat.id)).toContain("/retry");
  });

  it("echoes /echo text back unchanged, and explains the usage without text", async () => {
    // Arrange
    const dee = newPerson("Dee");

    // Act
    await say(bed, dee, "/echo <b>not bold</b> & *stars*");
    const echoed = lastText(bed, dee.chat.id);
    await say(bed, dee, "/echo");

    // Assess
    expect(echoed).toBe("<b>not bold</b> & *stars*");
    expect(lastText(bed, dee.chat.id)).toBe("Usage: /echo <text>");
    expect(bed.ollama.chats()).toEqual([]);
  });

  it("lists the installed models with the current one marked, and shows it with /model", async () => {
    // Arrange
    const eve = newPerson("Eve");
    await say(bed, eve, "/model phi3");

    // Act
    await say(bed, eve, "/models");
    const models = lastText(bed, eve.chat.id).split("\n");
    await say(bed, eve, "/model");
    const current = lastText(bed, eve.chat.id);

    // Assess
    expect(models.filter((l) => l.startsWith("✅"))).toEqual([
      "✅ phi3 · 8.0B · 4.7 GB · text only",
    ]);
    expect(models.filter((l) => l.startsWith("▫️")).map((l) => l.split(" ")[1])).toEqual([
      "llama3",
      "mistral",
    ]);
    expect(current).toContain("You're talking to phi3.");
  });

  it("shows each model's size (from /api/tags) and capabilities (from /api/show, asked once per model)", async () => {
    // Arrange: a vision model, a thinking model with tools, and a text-only one
    const gus = newPerson("Gus");
    bed.ollama.setModels(["llama3:latest", "llava:7b", "qwen3:8b"]);
    bed.ollama.setModelDetails("llava:7b", {
      sizeBytes: 4_733_363_377,
      parameterSize: "7B",
      capabilities: ["completion", "vision"],
    });
    bed.ollama.setModelDetails("qwen3:8b", {
      sizeBytes: 5_225_387_923,
      parameterSize: "8.2B",
      capabilities: ["completion", "tools", "thinking"],
    });
    bed.telegram.pushText(gus.user, gus.chat, "/models");
    bed.telegram.pushText(gus.user, gus.chat, "/models");

    // Act: both in one invoke, so the second one finds the capabilities cached
    await invoke(bed).finally(() =>
      bed.ollama.setModels(["llama3:latest", "mistral:latest", "phi3:latest"]),
    );

    // Assess
    const lists = textsTo(bed, gus.chat.id).slice(-2);
    for (const list of lists)
      expect(list.split("\n")).toEqual([
        "Installed models",
        "✅ llama3 · 8.0B · 4.7 GB · text only",
        "▫️ llava:7b · 7B · 4.7 GB · vision",
        "▫️ qwen3:8b · 8.2B · 5.2 GB · thinking, tools",
        "",
        "Switch with /model <name>.",
      ]);
    const shows = bed.ollama.requests().filter((r) => r.path === "/api/show");
    expect(shows.map((r) => (r.body as { model?: string }).model).sort()).toEqual([
      "llama3",
      "llava:7b",
      "qwen3:8b",
    ]);
  });

  it("starts a fresh conversation with /new: the old one is archived, the new context is empty", async () => {
    // Arrange
    const fay = newPerson("Fay");
    await say(bed, fay, "remember the number 42");

    // Act
    await say(bed, fay, "/new");
    const reply = lastText(bed, fay.chat.id);
    await say(bed, fay, "which number?");

    // Assess
    expect(reply).toMatch(/New conversation with llama3 \(session \d{8}T\d{6}Z-[0-9a-f]{6}\)/);
    expect(
      bed.ollama
        .chats()
        .at(-1)
        ?.body.messages.map((m) => m.content),
    ).toEqual(["which number?"]);
    const sessions = await sessionItems(bed, fay.user.id);
    expect(sessions.map((s) => s.status).sort()).toEqual(["active", "closed"]);
    const closed = sessions.find((s) => s.status === "closed");
    expect(closed?.s3_path).toBe(
      `s3://${bed.aws.bucket}/${fay.user.id}/model_llama3/session_${String(closed?.session_id)}.json`,
    );
    expect(reply).toContain(String(sessions.find((s) => s.status === "active")?.session_id));
  });

  it("shows the recent messages of the session with /history", async () => {
    // Arrange
    const gus = newPerson("Gus");
    await say(bed, gus, "first question");
    await say(bed, gus, "second question");

    // Act
    await say(bed, gus, "/history");

    // Assess
    const history = lastText(bed, gus.chat.id);
    expect(history).toContain("Last 4 of 4 messages");
    const order = ["first question", "You said: first question", "second question"].map((t) =>
      history.indexOf(t),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(history).toContain("🧑 You");
    expect(history).toContain("🤖 llama3");
  });

  it("reports Ollama, model, session id and message count with /status", async () => {
    // Arrange
    const hal = newPerson("Hal");
    await say(bed, hal, "hello");
    const [session] = await sessionItems(bed, hal.user.id);

    // Act
    await say(bed, hal, "/status");
    const up = lastText(bed, hal.chat.id);
    await bed.ollama.stop();
    await say(bed, hal, "/status");
    const down = lastText(bed, hal.chat.id);
    await bed.ollama.start();

    // Assess
    expect(up).toContain("Ollama: ✅ reachable (3 models installed)");
    expect(up).toContain("Model: llama3");
    expect(up).toContain(`Session: ${String(session?.session_id)}`);
    expect(up).toContain("Messages: 2");
    expect(down).toContain("Ollama: ❌ not reachable");
    expect(down).toContain("Model: llama3");
  });

  it("stores sessions with the design document's keys and attributes", async () => {
    // Arrange
    const ivy = newPerson("Ivy");

    // Act
    await say(bed, ivy, "store me");

    // Assess
    const items = await userItems(bed, ivy.user.id);
    const session = items.find((i) => String(i.SK).startsWith("MODEL#"));
    const sessionId = String(session?.session_id);
    expect(session).toMatchObject({
      PK: `USER#${ivy.user.id}`,
      SK: `MODEL#llama3#SESSION#${sessionId}`,
      user_id: ivy.user.id,
      chat_id: ivy.chat.id,
      model_name: "llama3",
      session_id: sessionId,
      status: "active",
      ollama_endpoint: bed.env.OLLAMA_URL,
    });
    expect(session).not.toHaveProperty("s3_path"); // set once the session is archived
    expect(Date.parse(String(session?.last_message_ts))).toBeGreaterThan(Date.now() - 60_000);
    const conversation = conversationOf(session ?? {});
    expect(conversation.map((m) => [m.role, m.content])).toEqual([
      ["user", "store me"],
      ["assistant", "You said: store me"],
    ]);
    for (const m of conversation) expect(Date.parse(m.ts)).not.toBeNaN();
    expect(conversation.at(-1)?.ts).toBe(session?.last_message_ts);
  });
});

describe("SHOW_STATS: a footer with model, tokens and seconds", () => {
  const bed = useTestBed({ telegram: { flood: false } });

  it("adds an italic footer from Ollama's final chunk when enabled, and none by default", async () => {
    // Arrange
    const jon = newPerson("Jon");
    const kim = newPerson("Kim");
    const question = "how many tokens is this?"; // 24 characters: 6 prompt tokens in the fake

    // Act
    await say(bed, jon, question, envWith(bed, { SHOW_STATS: "true" }));
    await say(bed, kim, question, envWith(bed, { SHOW_STATS: "false" }));

    // Assess
    const withStats = bed.telegram.sentMessages(jon.chat.id).at(-1);
    expect(withStats?.text).toBe(`You said: ${question}\n\nllama3 · 6+42 tokens · 1.3 s`);
    // A rich answer: the stats are its footer block.
    expect(withStats?.rich?.at(-1)).toEqual({
      type: "footer",
      text: "llama3 · 6+42 tokens · 1.3 s",
    });
    expect(lastText(bed, kim.chat.id)).toBe(`You said: ${question}`);
  });
});
