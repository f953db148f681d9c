import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { coldStart } from "../harness/lambda.js";

let nextUser = 2000;
const newUser = () => {
  const id = nextUser++;
  return { user: { id, first_name: `User${id}` }, chat: { id, type: "private" as const } };
};

describe("chatting: models, sessions and delivery", () => {
  const bed = useTestBed();
  beforeAll(async () => {
    bed.ollama.setModels(["llama3:latest", "mistral:latest", "phi3:latest"]);
  });
  beforeEach(() => {
    bed.ollama.reset?.();
  });

  const say = async (u: ReturnType<typeof newUser>, text: string) => {
    bed.telegram.pushText(u.user, u.chat, text);
    return coldStart(bed.env).invoke({});
  };
  /** A message from `u` that has no text, only `kind` (a sticker, a voice note…). */
  const pushNonText = (u: ReturnType<typeof newUser>, kind: string, value: object) =>
    bed.telegram.pushUpdate({
      message: {
        message_id: 1,
        date: 0,
        from: { ...u.user, is_bot: false },
        chat: u.chat,
        [kind]: value,
      },
    });
  const lastReply = (u: ReturnType<typeof newUser>) =>
    bed.telegram.sentMessages(u.chat.id).at(-1)?.text ?? "";

  it("switches model, keeps each model's context, and resumes the first one when switching back", async () => {
    // Prepare
    const u = newUser();
    await say(u, "my name is Ada");

    // Act
    await say(u, "/model mistral");
    const switched = lastReply(u);
    await say(u, "hello mistral");
    await say(u, "/model llama3:latest");
    await say(u, "what is my name?");

    // Assess
    expect(switched).toContain("Switched to mistral");
    const chats = bed.ollama.requests().filter((r) => r.path === "/api/chat");
    const mistralCall = chats.find((r) => r.body.model === "mistral");
    expect(mistralCall?.body.messages.map((m) => m.content)).toEqual(["hello mistral"]);
    const backToLlama = chats.at(-1);
    expect(backToLlama?.body.model).toBe("llama3");
    expect(backToLlama?.body.messages.map((m) => m.content)).toEqual([
      "my name is Ada",
      expect.stringContaining("my name is Ada"),
      "what is my name?",
    ]);
  });

  it("refuses an unknown model with the list of installed ones", async () => {
    const u = newUser();
    await say(u, "/model gpt-17");
    const reply = lastReply(u);
    expect(reply).toContain('"gpt-17" is not installed');
    expect(reply).toContain("mistral");
    expect(reply).toContain("ollama pull gpt-17");
  });

  it("delivers a 5000-character answer as one rich message, losing nothing", async () => {
    // Prepare
    const u = newUser();
    const long = Array.from({ length: 100 }, (_, i) => `Line ${i} ${"x".repeat(40)}.`).join("\n");
    bed.ollama.setReply("llama3", () => long);

    // Act
    await say(u, "write a lot");

    // Assess
    // Past HTML's 4096 characters, far below a rich message's 32,768 (formatting.test.ts splits HTML).
    const sent = bed.telegram.sentMessages(u.chat.id);
    expect(sent.map((m) => m.rich === undefined)).toEqual([false]);
    for (let i = 0; i < 100; i++) expect(sent[0]?.text).toContain(`Line ${i} ${"x".repeat(40)}.`);
  });

  it("sends model output full of <, &, *, _ and code without a parse error", async () => {
    // Prepare
    const u = newUser();
    const nasty =
      "Use a < b && c > d, *not* _this_ **bold** <script>alert(1)</script> & `x<y` \n```js\nif (a<b) {}\n```";
    bed.ollama.setReply("llama3", () => nasty);

    // Act
    const summary = await say(u, "special characters please");

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const parseErrors = bed.telegram.requests("sendMessage").filter((r) => r.status === 400);
    expect(parseErrors).toHaveLength(0);
    const text = lastReply(u);
    expect(text).toContain("a < b && c > d");
    expect(text).toContain("<script>alert(1)</script>");
  });

  it("tells the user when Ollama is down, keeps their message, and still serves later", async () => {
    // Prepare
    const u = newUser();
    await bed.ollama.stop();

    // Act
    const summary = await say(u, "are you there?");
    await bed.ollama.start();
    await say(u, "/history");

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const texts = bed.telegram.sentMessages(u.chat.id).map((m) => m.text);
    expect(texts.some((t) => t.includes("can't reach the Ollama server"))).toBe(true);
    expect(texts.at(-1)).toContain("are you there?");
  });

  it("explains how to pull a model that the server does not have", async () => {
    // Prepare
    const u = newUser();
    bed.ollama.setModels(["mistral:latest"]);

    // Act
    await say(u, "hi");
    bed.ollama.setModels(["llama3:latest", "mistral:latest", "phi3:latest"]);

    // Assess
    const reply = bed.telegram
      .sentMessages(u.chat.id)
      .map((m) => m.text)
      .join("\n");
    expect(reply).toContain("ollama pull llama3");
  });

  it("answers unknown commands and non-text messages helpfully instead of staying silent", async () => {
    const u = newUser();
    await say(u, "/frobnicate");
    expect(lastReply(u)).toContain("/help");
    pushNonText(u, "sticker", { file_id: "s" });
    await coldStart(bed.env).invoke({});
    expect(lastReply(u)).toContain("only read text");
  });

  it("names each kind of message it cannot read with the right article", async () => {
    // Arrange: one message of each kind, from one user (voice and audio are heard: see voice/).
    const u = newUser();
    for (const kind of ["video_note", "animation", "sticker", "dice"]) pushNonText(u, kind, {});

    // Act
    await coldStart(bed.env).invoke({});

    // Assert
    const refusal = (what: string) =>
      `I can only read text messages, not ${what}. Send your question as text.`;
    expect(bed.telegram.sentMessages(u.chat.id).map((m) => m.text)).toEqual([
      refusal("a video message"),
      refusal("a GIF"),
      refusal("a sticker"),
      refusal("this kind of message"),
    ]);
  });
});
