import { beforeEach, describe, expect, it } from "@jest/globals";
import { waitFor } from "../faults/support.js";
import { useTestBed } from "../harness/bed.js";
import type { RichJson } from "../harness/fake-rich.js";
import {
  conversationOf,
  envWith,
  invoke,
  newGroup,
  newPerson,
  requestsTo,
  sessionItems,
  textsTo,
} from "./support.js";

const TABLE_ANSWER = [
  "## Plans",
  "",
  "| Plan | Price | Models |",
  "|:-----|------:|:------:|",
  "| Free | $0 | llama3 |",
  "| Pro | $10 | **all** |",
  "",
  "Pick *one*.",
].join("\n");

/** Every block of a rich message, nested ones included. */
function allBlocks(blocks: readonly RichJson[]): RichJson[] {
  return blocks.flatMap((b) => [
    b,
    ...allBlocks((b.blocks as RichJson[] | undefined) ?? []),
    ...allBlocks(
      ((b.items as RichJson[] | undefined) ?? []).flatMap((i) => i.blocks as RichJson[]),
    ),
  ]);
}

/** Every formula in rich text or blocks. */
function formulas(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(formulas);
  if (typeof value !== "object" || value === null) return [];
  const record = value as RichJson;
  const own = record.type === "mathematical_expression" ? [String(record.expression)] : [];
  return [...own, ...formulas(record.text), ...formulas(record.blocks), ...formulas(record.cells)];
}

describe("rich answers (Bot API 10.1): tables, formulas and long answers as the model wrote them", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  beforeEach(() => {
    bed.ollama.reset();
    bed.ollama.chunkSize = 40;
  });

  it("sends a table answer with sendRichMessage, every cell in its row and column", async () => {
    // Arrange
    const ada = newPerson("Ada");
    bed.ollama.setReply("llama3", () => TABLE_ANSWER);

    bed.telegram.pushText(ada.user, ada.chat, "plans?");

    // Act
    const summary = await invoke(bed, envWith(bed, { STREAM_MODE: "off" }));

    // Assess
    expect(summary).toMatchObject({ failed: 0 });
    expect(requestsTo(bed, "sendMessage", ada.chat.id)).toEqual([]);
    expect(requestsTo(bed, "sendRichMessage", ada.chat.id).map((r) => r.status)).toEqual([200]);
    const [message] = bed.telegram.sentMessages(ada.chat.id);
    const blocks = message?.rich ?? [];
    expect(blocks[0]).toMatchObject({ type: "heading", size: 2, text: "Plans" });
    const rows = (blocks.find((b) => b.type === "table")?.cells ?? []) as RichJson[][];
    const cells = rows.map((row) => row.map((c) => c.text));
    expect(cells).toEqual([
      ["Plan", "Price", "Models"],
      ["Free", "$0", "llama3"],
      ["Pro", "$10", { type: "bold", text: "all" }],
    ]);
    expect(rows[0]?.map((c) => c.align)).toEqual(["left", "right", "center"]);
    expect(message?.text).toContain("Pick one.");
  });

  it("keeps dollar amounts and shell variables as text while a formula stays a formula", async () => {
    // Arrange: the way qwen and deepseek answers mix prices, variables and LaTeX
    const bob = newPerson("Bob");
    const answer = [
      "The basic plan costs $5 and the pro plan $10 a month ($60-$120 a year).",
      "Add it to your $PATH: `export PATH=$PATH:$HOME/bin`, or in prose $PATH:$HOME/bin.",
      "The area is $A = \\pi r^2$, so after $n$ years you have \\( P(1+r)^n \\).",
      "",
      "\\[",
      "\\int_0^1 x^2 \\, dx = \\frac{1}{3}",
      "\\]",
    ].join("\n");
    bed.ollama.setReply("llama3", () => answer);
    bed.telegram.pushText(bob.user, bob.chat, "explain");

    // Act
    await invoke(bed);

    // Assess
    const [message] = bed.telegram.sentMessages(bob.chat.id);
    expect(formulas(message?.rich)).toEqual([
      "A = \\pi r^2",
      "n",
      "P(1+r)^n",
      "\\int_0^1 x^2 \\, dx = \\frac{1}{3}",
    ]);
    expect(message?.text).toContain("costs $5 and the pro plan $10 a month ($60-$120 a year)");
    expect(message?.text).toContain("or in prose $PATH:$HOME/bin.");
    expect(message?.text).toContain("export PATH=$PATH:$HOME/bin");
  });

  it("sends a 19,000-character answer as one message", async () => {
    // Arrange
    const cyd = newPerson("Cyd");
    const paragraph = `${"A long explanation sentence. ".repeat(18).trim()}\n\n`;
    const long = paragraph.repeat(Math.ceil(19_000 / paragraph.length)).slice(0, 19_000);
    bed.ollama.setReply("llama3", () => long);
    bed.ollama.chunkSize = 500;

    // Act
    bed.telegram.pushText(cyd.user, cyd.chat, "tell me everything");
    await invoke(bed);

    // Assess
    expect(requestsTo(bed, "sendMessage", cyd.chat.id)).toEqual([]);
    const sent = bed.telegram.sentMessages(cyd.chat.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.text.replace(/\s+/g, "")).toBe(long.replace(/\s+/g, ""));
  });

  it("splits only past 500 blocks, between list items, numbering on", async () => {
    // Arrange
    const dee = newPerson("Dee");
    const items = Array.from({ length: 300 }, (_, i) => `${i + 1}. item ${i + 1}`).join("\n");
    bed.ollama.setReply("llama3", () => items);
    bed.ollama.chunkSize = 400;

    // Act
    bed.telegram.pushText(dee.user, dee.chat, "count");
    await invoke(bed, envWith(bed, { STREAM_MODE: "off" }));

    // Assess: 300 items are 600 blocks (each item and its paragraph): two messages
    const sent = bed.telegram.sentMessages(dee.chat.id);
    expect(sent).toHaveLength(2);
    const values = sent.flatMap((m) =>
      ((m.rich?.[0]?.items as RichJson[]) ?? []).map((item) => item.value),
    );
    expect(values).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it("streams a thinking model's reasoning in the draft, and the final message leads with the answer", async () => {
    // Arrange
    const eve = newPerson("Eve");
    bed.ollama.setModels(["llama3", "qwen3:8b"]);
    const reasoning = "The user asks for 6 times 7. Six sevens are forty-two.";
    bed.ollama.setReply("qwen3:8b", () => ({ content: "It is **42**.", thinking: reasoning }));
    bed.ollama.chunkSize = 8;
    bed.ollama.chunkDelayMs = 250; // seven chunks of reasoning: several draft frames
    bed.telegram.pushText(eve.user, eve.chat, "/model qwen3:8b");
    await invoke(bed);

    // Act
    bed.telegram.pushText(eve.user, eve.chat, "6 x 7?");
    await invoke(bed);

    // Assess
    const frames = bed.telegram.drafts(eve.chat.id);
    const thinking = frames.filter((f) => f.rich?.[0]?.type === "thinking");
    expect(thinking.length).toBeGreaterThan(0);
    expect(reasoning.startsWith(String(thinking.at(-1)?.rich?.[0]?.text))).toBe(true);
    expect(frames.every((f) => f.canStop && f.keepOnStop)).toBe(true);
    const answer = bed.telegram.sentMessages(eve.chat.id).at(-1);
    expect(answer?.rich?.[0]).toEqual({
      type: "paragraph",
      text: ["It is ", { type: "bold", text: "42" }, "."],
    });
    expect(answer?.rich?.at(-1)).toEqual({
      type: "details",
      summary: "💭 Reasoning",
      blocks: [{ type: "paragraph", text: reasoning }],
    });
    // The stored conversation keeps the answer alone.
    const [session] = await sessionItems(bed, eve.user.id);
    expect(conversationOf(session ?? {}).map((m) => m.content)).toEqual([
      "6 x 7?",
      "It is **42**.",
    ]);
  });

  it("groups get rich messages edited as they grow, and never a draft", async () => {
    // Arrange
    const group = newGroup();
    const fay = newPerson("Fay");
    bed.ollama.setReply("llama3", () => TABLE_ANSWER);
    bed.ollama.chunkSize = 10;
    bed.ollama.chunkDelayMs = 400; // ~10 chunks: the message grows by edits (every 3 s in groups)
    bed.telegram.pushText(fay.user, group, "@ollama_test_bot plans?", {
      entities: [{ type: "mention", offset: 0, length: 16 }],
    });

    // Act
    await invoke(bed);

    // Assess
    const draftCalls = [
      ...bed.telegram.requests("sendRichMessageDraft"),
      ...bed.telegram.requests("sendMessageDraft"),
    ].filter((r) => Number(r.params.chat_id) === group.id);
    expect(draftCalls).toEqual([]);
    expect(requestsTo(bed, "sendRichMessage", group.id)).toHaveLength(1);
    const edits = requestsTo(bed, "editMessageText", group.id);
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.every((e) => e.params.rich_message !== undefined)).toBe(true);
    const [message] = bed.telegram.sentMessages(group.id);
    expect(message?.replyTo).toBeDefined();
    expect(allBlocks(message?.rich ?? []).some((b) => b.type === "table")).toBe(true);
    expect(bed.telegram.buttonsOf(group.id, message?.messageId ?? 0)).toEqual([]);
  });

  it("Telegram's Stop on a rich draft stops the answer and keeps what was written", async () => {
    // Arrange
    const gus = newPerson("Gus");
    const story = "First words of a long story. ".repeat(20);
    bed.ollama.setReply("llama3", () => story);
    const hold = bed.ollama.holdAfterFirstChunk((b) => b.messages.at(-1)?.content === "story");
    bed.telegram.pushText(gus.user, gus.chat, "story");
    const running = invoke(bed);
    await waitFor(() => bed.telegram.drafts(gus.chat.id).length > 0, 20_000, "a rich draft");

    // Act
    bed.telegram.pushDraftStop(gus.user, bed.telegram.drafts(gus.chat.id)[0]?.draftId ?? 0);
    const summary = await running;
    hold.release();

    // Assess
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    // The first chunk (40 characters) is what was written before the Stop.
    expect(textsTo(bed, gus.chat.id)).toEqual([`${story.slice(0, 40).trim()}\n\n⏹ Stopped.`]);
  });

  it("sends the answer as HTML when Telegram refuses the rich message", async () => {
    // Arrange
    const hal = newPerson("Hal");
    bed.ollama.setReply("llama3", () => "Just **text**.");
    bed.telegram.failNext("sendRichMessage", {
      status: 400,
      description: "Bad Request: can't parse rich message",
    });

    // Act
    const { logs } = await bed.captureLogs(async () => {
      bed.telegram.pushText(hal.user, hal.chat, "hi");
      return invoke(bed, envWith(bed, { STREAM_MODE: "off" }));
    });

    // Assess
    expect(bed.telegram.sentMessages(hal.chat.id).map((m) => m.html)).toEqual([
      "Just <b>text</b>.",
    ]);
    expect(logs.filter((l) => l.includes("refused the rich answer"))).toHaveLength(1);
  });
});

describe("rich answers Telegram finds too large or refuses", () => {
  const bed = useTestBed({ telegram: { flood: false }, env: { STREAM_MODE: "off" } });
  beforeEach(() => bed.ollama.reset());

  it("splits a rich message Telegram finds too long into smaller ones, losing nothing", async () => {
    // Arrange: two 9,000-character paragraphs, one message by our count but not by Telegram's
    const ivy = newPerson("Ivy");
    const answer = `${"alpha ".repeat(1500).trim()}\n\n${"omega ".repeat(1500).trim()}`;
    bed.ollama.setReply("llama3", () => answer);
    bed.telegram.failNext("sendRichMessage", {
      status: 400,
      description: "Bad Request: rich message text is too long",
    });
    bed.telegram.pushText(ivy.user, ivy.chat, "long");

    // Act
    const { logs } = await bed.captureLogs(() => invoke(bed));

    // Assess
    expect(requestsTo(bed, "sendRichMessage", ivy.chat.id).map((r) => r.status)).toEqual([
      400, 200, 200,
    ]);
    expect(textsTo(bed, ivy.chat.id).join("\n\n")).toBe(answer);
    expect(logs.filter((l) => l.includes("rich message too large"))).toHaveLength(1);
  });

  it("waits out a 429 on sendRichMessage and retries a 500, sending the answer once", async () => {
    // Arrange
    const kim = newPerson("Kim");
    bed.ollama.setReply("llama3", () => "Once.");
    bed.telegram.failNext("sendRichMessage", {
      status: 429,
      description: "Too Many Requests: retry after 1",
      retryAfter: 1,
    });
    bed.telegram.failNext("sendRichMessage", { status: 500, description: "Internal Server Error" });
    bed.telegram.pushText(kim.user, kim.chat, "once?");

    // Act
    await invoke(bed);

    // Assess
    const calls = requestsTo(bed, "sendRichMessage", kim.chat.id);
    expect(calls.map((r) => r.status)).toEqual([429, 500, 200]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(textsTo(bed, kim.chat.id)).toEqual(["Once."]);
  });

  it("when Telegram refuses the answer as rich and as HTML, the turn is stored marked and the user told", async () => {
    // Arrange
    const jon = newPerson("Jon");
    bed.ollama.setReply("llama3", () => "An answer.");
    const refusal = { status: 400, description: "Bad Request: chat is deactivated" };
    bed.telegram.failNext("sendRichMessage", refusal);
    bed.telegram.failNext("sendMessage", { ...refusal, when: (p) => p.parse_mode === "HTML" });
    bed.telegram.pushText(jon.user, jon.chat, "hello");

    // Act
    await invoke(bed);

    // Assess
    expect(textsTo(bed, jon.chat.id).at(-1)).toContain(
      "Telegram refused my answer (Bad Request: chat is deactivated)",
    );
    const [session] = await sessionItems(bed, jon.user.id);
    expect(conversationOf(session ?? {}).at(-1)).toMatchObject({
      content: "An answer.",
      failed: "undelivered",
    });
  });
});

describe("a Bot API server without rich messages (404) and RICH_MESSAGES=off", () => {
  const bed = useTestBed({ telegram: { flood: false, richMessages: false } });
  beforeEach(() => {
    bed.ollama.reset();
    bed.ollama.setReply("llama3", () => TABLE_ANSWER);
  });

  it("tries once per invoke, logs it once, and answers every chat through the HTML path", async () => {
    // Arrange: three chats answered at once, each streaming into a draft
    const ivy = newPerson("Ivy");
    const people = [ivy, newPerson("Jon"), newPerson("Kim")];
    for (const p of people) bed.telegram.pushText(p.user, p.chat, "plans?");

    // Act
    const { result: summary, logs } = await bed.captureLogs(() => invoke(bed));

    // Assess
    expect(summary).toMatchObject({ handled: 3, failed: 0 });
    const tries = [
      ...bed.telegram.requests("sendRichMessage"),
      ...bed.telegram.requests("sendRichMessageDraft"),
    ];
    expect(tries.map((r) => [r.status, r.description])).toEqual([
      [404, "Not Found: method not found"],
    ]);
    for (const p of people) {
      const [message] = bed.telegram.sentMessages(p.chat.id);
      expect(message?.html).toContain("<b>Plans</b>");
      expect(message?.html).toContain("<pre>| Plan | Price | Models |");
    }
    expect(logs.filter((l) => l.includes("has no rich messages"))).toHaveLength(1);

    // A new invoke tries again (the server may have been upgraded), once.
    bed.telegram.pushText(ivy.user, ivy.chat, "again");
    await invoke(bed);
    const all = [
      ...bed.telegram.requests("sendRichMessage"),
      ...bed.telegram.requests("sendRichMessageDraft"),
    ];
    expect(all).toHaveLength(2);
  });

  it("RICH_MESSAGES=off never tries a rich method", async () => {
    // Arrange
    const lea = newPerson("Lea");
    bed.telegram.setRichMessages(true);
    bed.telegram.pushText(lea.user, lea.chat, "plans?");

    // Act
    await invoke(bed, envWith(bed, { RICH_MESSAGES: "off" }));
    bed.telegram.setRichMessages(false);

    // Assess
    expect(requestsTo(bed, "sendRichMessage", lea.chat.id)).toEqual([]);
    expect(requestsTo(bed, "sendRichMessageDraft", lea.chat.id)).toEqual([]);
    expect(bed.telegram.sentMessages(lea.chat.id)[0]?.html).toContain("<b>Plans</b>");
  });
});
