import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { envWith, newPerson, OllamaProxy, requestsTo, say } from "./support.js";

const reasoning = "The user greets me. I should answer briefly and kindly.";
const reply = { content: "Hello! **How** can I help?", thinking: reasoning };

describe("reasoning models: thinking is collapsed or hidden, never dumped raw", () => {
  // Reasoning on the HTML path (RICH_MESSAGES=off, older servers); rich.test.ts has the thinking block.
  const bed = useTestBed({ telegram: { flood: false }, env: { RICH_MESSAGES: "off" } });
  /** A model that always thinks and reports it in the `thinking` field (like gpt-oss). */
  let thinker: OllamaProxy;
  beforeAll(async () => {
    thinker = await OllamaProxy.start(bed.ollama.url, {
      request: (body) => ({ ...body, think: true }),
    });
  });
  bed.beforeClose(async () => {
    await thinker.close();
  });
  beforeEach(() => {
    bed.ollama.reset();
    bed.ollama.chunkSize = 16;
  });

  /** Every text the bot ever sent or edited into `chatId`. */
  const everything = (chatId: number): string[] =>
    [...requestsTo(bed, "sendMessage", chatId), ...requestsTo(bed, "editMessageText", chatId)].map(
      (r) => String(r.params.text ?? ""),
    );

  it("shows <think>…</think> content as an expandable quote above the answer (collapsed)", async () => {
    // Arrange
    const ada = newPerson("Ada");
    bed.ollama.setReply("llama3", () => reply);
    bed.ollama.chunkSize = 3; // "<think>" arrives in pieces
    bed.ollama.chunkDelayMs = 5;

    // Act
    await say(bed, ada, "hi", envWith(bed, { SHOW_THINKING: "collapsed" }));

    // Assess
    const messages = bed.telegram.sentMessages(ada.chat.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.html).toBe(
      `<blockquote expandable>💭 ${reasoning}</blockquote>\nHello! <b>How</b> can I help?`,
    );
    for (const text of everything(ada.chat.id)) {
      expect(text).not.toMatch(/<\/?th|&lt;\/?th/);
    }
  });

  it("drops <think>…</think> content entirely when hidden", async () => {
    // Arrange
    const bob = newPerson("Bob");
    bed.ollama.setReply("llama3", () => reply);

    // Act
    await say(bed, bob, "hi", envWith(bed, { SHOW_THINKING: "hidden" }));

    // Assess
    const messages = bed.telegram.sentMessages(bob.chat.id);
    expect(messages.map((m) => m.html)).toEqual(["Hello! <b>How</b> can I help?"]);
    for (const text of everything(bob.chat.id)) {
      expect(text).not.toContain("blockquote");
      expect(text).not.toContain("greets");
      expect(text).not.toMatch(/<\/?think|&lt;\/?think/);
    }
  });

  it("shows the `thinking` field as an expandable quote (collapsed)", async () => {
    // Arrange
    const cyd = newPerson("Cyd");
    bed.ollama.setReply("llama3", () => reply);
    // Ollama sends `think` only to models that list the capability (others answer 400).
    bed.ollama.setCapabilities("llama3", ["completion", "thinking"]);

    // Act
    await say(
      bed,
      cyd,
      "hi",
      envWith(bed, { OLLAMA_URL: thinker.url, SHOW_THINKING: "collapsed" }),
    );

    // Assess
    expect(bed.ollama.chats().at(-1)?.body.think).toBe(true); // really the thinking-field path
    const html = bed.telegram.sentMessages(cyd.chat.id).map((m) => m.html);
    expect(html).toEqual([
      `<blockquote expandable>💭 ${reasoning}</blockquote>\nHello! <b>How</b> can I help?`,
    ]);
  });

  it("hides the `thinking` field when hidden, and stores only the answer", async () => {
    // Arrange
    const dee = newPerson("Dee");
    bed.ollama.setReply("llama3", () => reply);
    // Ollama sends `think` only to models that list the capability (others answer 400).
    bed.ollama.setCapabilities("llama3", ["completion", "thinking"]);

    // Act
    await say(bed, dee, "hi", envWith(bed, { OLLAMA_URL: thinker.url, SHOW_THINKING: "hidden" }));
    await say(bed, dee, "and again", envWith(bed, { OLLAMA_URL: thinker.url }));

    // Assess
    expect(bed.telegram.sentMessages(dee.chat.id)[0]?.html).toBe("Hello! <b>How</b> can I help?");
    const history = bed.ollama.chats().at(-1)?.body.messages ?? [];
    expect(history.map((m) => m.content)).toEqual(["hi", reply.content, "and again"]);
  });

  it("never stores <think> text in the conversation sent back to the model", async () => {
    // Arrange
    const eve = newPerson("Eve");
    bed.ollama.setReply("llama3", () => reply);

    // Act
    await say(bed, eve, "first");
    await say(bed, eve, "second");

    // Assess
    const history = bed.ollama.chats().at(-1)?.body.messages ?? [];
    expect(history.map((m) => m.content)).toEqual(["first", reply.content, "second"]);
  });

  it("keeps the typing indicator alive while the model reasons before its first visible word", async () => {
    // Arrange
    const fay = newPerson("Fay");
    bed.ollama.setReply("llama3", () => ({ content: "Done.", thinking: "hmm ".repeat(95) }));
    bed.ollama.chunkSize = 4;
    bed.ollama.chunkDelayMs = 60; // 95 chunks of reasoning: over five and a half seconds

    // Act
    await say(bed, fay, "think hard");

    // Assess
    const firstText = requestsTo(bed, "sendMessage", fay.chat.id)[0]?.at ?? 0;
    const typing = requestsTo(bed, "sendChatAction", fay.chat.id).filter(
      (r) => r.at < firstText && r.params.action === "typing",
    );
    expect(typing.length).toBeGreaterThanOrEqual(2);
  });

  it("keeps the typing indicator alive until a non-streamed answer is sent", async () => {
    // Arrange
    const gus = newPerson("Gus");
    bed.ollama.setReply("llama3", () => "word ".repeat(100));
    bed.ollama.chunkSize = 5;
    bed.ollama.chunkDelayMs = 55; // about five and a half seconds of visible words

    // Act
    await say(bed, gus, "take your time", envWith(bed, { STREAM_REPLIES: "false" }));

    // Assess
    const sent = requestsTo(bed, "sendMessage", gus.chat.id)[0]?.at ?? 0;
    const typing = requestsTo(bed, "sendChatAction", gus.chat.id).filter((r) => r.at < sent);
    expect(typing.length).toBeGreaterThanOrEqual(2);
    // Refreshed while the words were arriving, not only before the model started.
    const wordsFrom = bed.ollama.chats().at(-1)?.firstChunkAt ?? Number.POSITIVE_INFINITY;
    expect(typing.at(-1)?.at).toBeGreaterThan(wordsFrom);
  });
});
