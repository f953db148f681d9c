import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "./fake-ollama.js";
import { FakeTelegram } from "./fake-telegram.js";

const ada = { id: 1101, first_name: "Ada" };
const group = -5501;
const paragraph = (text: unknown) => ({ type: "paragraph", text });
const cell = (text: string) => ({ text, align: "left", valign: "top" });

describe("FakeTelegram rich messages (Bot API 10.1): the documented rules", () => {
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await FakeTelegram.start({ flood: false });
  });
  afterAll(() => tg.close());
  beforeEach(() => {
    tg.reset();
    tg.setRichMessages(true);
  });

  const call = async (method: string, params: object) => {
    const res = await fetch(`${tg.url}/bot${tg.token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    const body = (await res.json()) as { ok: boolean; description?: string; result?: unknown };
    return { status: res.status, description: body.description, result: body.result };
  };
  const send = (rich_message: object, chat_id = ada.id) =>
    call("sendRichMessage", { chat_id, rich_message });

  it("takes exactly one of markdown, html and blocks", async () => {
    // Arrange
    const both = { markdown: "*a*", html: "<b>a</b>" };

    // Act
    const answers = [await send(both), await send({}), await send({ markdown: "**a** $x^2$" })];

    // Assert
    const rule =
      'Bad Request: rich_message must contain exactly one of the fields "markdown", "html" and "blocks"';
    expect(answers.map((a) => a.description ?? "ok")).toEqual([rule, rule, "ok"]);
    expect(tg.sentMessages(ada.id)[0]?.rich).toEqual([
      paragraph(["a ", { type: "mathematical_expression", expression: "x^2" }]),
    ]);
  });

  it("counts 32,768 characters after parsing, formula sources included", async () => {
    // Arrange: 32,760 characters of text and an 8-character formula, then one more character
    const text = "x".repeat(32_760);
    const formula = { type: "mathematical_expression", expression: "a^2+b^2=" };

    // Act
    const fits = await send({ blocks: [paragraph([text, formula])] });
    const over = await send({ blocks: [paragraph([`${text}y`, formula])] });

    // Assert
    expect(fits.status).toBe(200);
    expect([over.status, over.description]).toEqual([
      400,
      "Bad Request: rich message text is too long",
    ]);
  });

  it("counts 500 blocks with list items and table rows, and 20 columns a table", async () => {
    // Arrange: a list of 249 items (1 + 249 + 249 paragraphs = 499 blocks) and one more block
    const items = Array.from({ length: 249 }, (_, i) => ({ blocks: [paragraph(`${i}`)] }));
    const list = { type: "list", items };
    const row = (n: number) => Array.from({ length: n }, (_, i) => cell(`c${i}`));

    // Act
    const fits = await send({ blocks: [list, { type: "divider" }] });
    const over = await send({ blocks: [list, { type: "divider" }, { type: "divider" }] });
    const wide = await send({ blocks: [{ type: "table", cells: [row(21)] }] });
    const twenty = await send({ blocks: [{ type: "table", cells: [row(20), row(20)] }] });
    const noAlign = await send({ blocks: [{ type: "table", cells: [[{ text: "a" }]] }] });

    // Assert
    expect([fits.status, twenty.status]).toEqual([200, 200]);
    expect(over.description).toBe("Bad Request: rich message has too many blocks");
    expect(wide.description).toBe("Bad Request: a table can't have more than 20 columns");
    expect(noAlign.description).toBe(
      "Bad Request: table cell align must be one of left, center or right",
    );
  });

  it("allows 16 levels of nesting, not 17", async () => {
    // Arrange
    const nested = (levels: number): object =>
      levels === 1 ? paragraph("deep") : { type: "blockquote", blocks: [nested(levels - 1)] };

    // Act
    const sixteen = await send({ blocks: [nested(16)] });
    const seventeen = await send({ blocks: [nested(17)] });

    // Assert
    expect(sixteen.status).toBe(200);
    expect(seventeen.description).toBe("Bad Request: rich message nesting is too deep");
  });

  it("shows drafts in private chats only, with the thinking block in drafts only", async () => {
    // Arrange
    const thinking = { blocks: [{ type: "thinking", text: "Weighing it…" }] };

    // Act
    const draft = await call("sendRichMessageDraft", {
      chat_id: ada.id,
      draft_id: 7,
      rich_message: thinking,
      can_stop: true,
    });
    const inGroup = await call("sendRichMessageDraft", {
      chat_id: group,
      draft_id: 7,
      rich_message: thinking,
    });
    const asMessage = await send(thinking);

    // Assert
    expect(draft.status).toBe(200);
    expect(tg.drafts(ada.id)).toEqual([
      expect.objectContaining({ draftId: 7, text: "Weighing it…", canStop: true }),
    ]);
    expect(inGroup.description).toBe("Bad Request: TEXTDRAFT_PEER_INVALID");
    expect(asMessage.description).toBe(
      "Bad Request: thinking blocks can be used only in message drafts",
    );
  });

  it("edits a rich message with editMessageText's rich_message, 'not modified' when unchanged", async () => {
    // Arrange
    const sent = (await send({ blocks: [paragraph("one")] })).result as { message_id: number };
    const edit = (text: string) =>
      call("editMessageText", {
        chat_id: ada.id,
        message_id: sent.message_id,
        rich_message: { blocks: [paragraph(text)] },
      });

    // Act
    const changed = await edit("two");
    const same = await edit("two");

    // Assert
    expect(changed.result).toMatchObject({ rich_message: { blocks: [paragraph("two")] } });
    expect(same.description).toMatch(/^Bad Request: message is not modified/);
    expect(tg.sentMessages(ada.id)[0]).toMatchObject({ text: "two", edits: 1 });
  });

  it("answers 404 'method not found' as an older Bot API server when rich messages are off", async () => {
    // Arrange
    tg.setRichMessages(false);
    const sent = (await call("sendMessage", { chat_id: ada.id, text: "plain" })).result as {
      message_id: number;
    };

    // Act
    const rich = await send({ markdown: "x" });
    const draft = await call("sendRichMessageDraft", {
      chat_id: ada.id,
      draft_id: 1,
      rich_message: { markdown: "x" },
    });
    const edit = await call("editMessageText", {
      chat_id: ada.id,
      message_id: sent.message_id,
      rich_message: { markdown: "x" },
    });

    // Assert: the old server ignores the unknown rich_message field of an edit
    expect([rich.status, rich.description]).toEqual([404, "Not Found: method not found"]);
    expect([draft.status, draft.description]).toEqual([404, "Not Found: method not found"]);
    expect(edit.description).toBe("Bad Request: message text is empty");
  });
});

describe("FakeOllama think: Ollama's rules for reasoning", () => {
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await FakeOllama.start();
    ollama.setModels(["llama3", "qwen3:8b", "gpt-oss:20b"]);
    for (const model of ["llama3", "qwen3:8b", "gpt-oss:20b"])
      ollama.setReply(model, () => ({ content: "42", thinking: "six times seven" }));
  });
  afterAll(() => ollama.close());

  const chat = async (model: string, think?: unknown) => {
    const res = await fetch(`${ollama.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model, messages: [{ role: "user", content: "?" }], think }),
    });
    const text = await res.text();
    if (res.status !== 200) return { status: res.status, error: JSON.parse(text).error };
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const field = (key: string) => lines.map((l) => l.message?.[key] ?? "").join("");
    const firstContent = lines.findIndex((l) => l.message?.content);
    const lastThinking = lines.findLastIndex((l) => l.message?.thinking);
    return {
      status: 200,
      thinking: field("thinking"),
      content: field("content"),
      firstContent,
      lastThinking,
    };
  };

  it("streams a thinking model's reasoning in message.thinking before the content, by default", async () => {
    const answer = await chat("qwen3:8b");
    expect(answer).toMatchObject({ status: 200, thinking: "six times seven", content: "42" });
    expect(answer.lastThinking).toBeLessThan(answer.firstContent ?? 0);
    expect(await chat("qwen3:8b", false)).toMatchObject({ thinking: "", content: "42" });
    expect(await chat("qwen3:8b", "low")).toMatchObject({ thinking: "six times seven" });
  });

  it("refuses think for a model without the capability, and a value that is no level", async () => {
    expect(await chat("llama3", true)).toEqual({
      status: 400,
      error: '"llama3" does not support thinking',
    });
    expect(await chat("llama3", "high")).toMatchObject({ status: 400 });
    expect(await chat("llama3", false)).toMatchObject({ status: 200 });
    expect(await chat("qwen3:8b", "extreme")).toEqual({
      status: 400,
      error:
        'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)',
    });
  });

  it("lets gpt-oss reason whatever boolean it is sent (it takes levels only)", async () => {
    expect(await chat("gpt-oss:20b", false)).toMatchObject({ thinking: "six times seven" });
    expect(await chat("gpt-oss:20b", "high")).toMatchObject({ thinking: "six times seven" });
  });
});
