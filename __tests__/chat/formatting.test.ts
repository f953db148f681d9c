import { beforeEach, describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { parseTelegramHtml } from "../harness/fake-telegram.js";
import { envWith, newPerson, requestsTo, say, textsTo } from "./support.js";

const parseError = {
  status: 400,
  description: 'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0',
};

describe("formatting: the model's Markdown becomes Telegram HTML, split safely", () => {
  // The HTML path (RICH_MESSAGES=off, and Bot API servers without rich messages); rich.test.ts has rich.
  const bed = useTestBed({ telegram: { flood: false }, env: { RICH_MESSAGES: "off" } });
  beforeEach(() => {
    bed.ollama.reset();
    bed.ollama.chunkSize = 64;
  });

  it("renders headings, bold, italics, lists, links, inline code and fenced code with language", async () => {
    // Arrange
    const ada = newPerson("Ada");
    const markdown = [
      "# Plan",
      "",
      "Some **bold** and *italic* text with `npm test` inline.",
      "",
      "- first item",
      "- second item",
      "",
      "1. one",
      "2. two",
      "",
      "See [the docs](https://example.com/docs?a=1&b=2).",
      "",
      "```python",
      "if a < b and c > d:",
      '    print("x & y")',
      "```",
    ].join("\n");
    bed.ollama.setReply("llama3", () => markdown);

    // Act
    await say(bed, ada, "format something");

    // Assess
    const messages = bed.telegram.sentMessages(ada.chat.id);
    expect(messages).toHaveLength(1);
    const html = messages[0]?.html ?? "";
    expect(messages[0]?.parseMode).toBe("HTML");
    expect(html).toContain("<b>Plan</b>");
    expect(html).toContain("<b>bold</b>");
    expect(html).toContain("<i>italic</i>");
    expect(html).toContain("<code>npm test</code>");
    expect(html).toContain("• first item\n• second item");
    expect(html).toContain("1. one\n2. two");
    expect(html).toContain('<a href="https://example.com/docs?a=1&amp;b=2">the docs</a>');
    expect(html).toContain(
      '<pre><code class="language-python">if a &lt; b and c &gt; d:\n    print("x &amp; y")</code></pre>',
    );
    const text = messages[0]?.text ?? "";
    expect(text).toContain('if a < b and c > d:\n    print("x & y")');
    expect(text).not.toMatch(/\*\*|```|^#/m);
  });

  it("splits a long code block at 4096 into messages that are each a valid code block, losing nothing", async () => {
    // Arrange
    const bob = newPerson("Bob");
    const lines = Array.from(
      { length: 180 },
      (_, i) => `    result_${i} = compute(a < ${i}, b & ${i}, "s") # step ${i}`,
    );
    bed.ollama.setReply("llama3", () =>
      ["Here is the code:", "", "```python", "def main():", ...lines, "```", "", "Done."].join(
        "\n",
      ),
    );

    // Act
    const summary = await say(bed, bob, "a lot of code");

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const rejected = bed.telegram.requests().filter((r) => r.status >= 400);
    expect(rejected).toEqual([]);
    const messages = bed.telegram.sentMessages(bob.chat.id);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const m of messages) {
      expect(m.parseMode).toBe("HTML");
      expect(m.text.length).toBeLessThanOrEqual(4096);
      const entities = parseTelegramHtml(m.html ?? "").entities;
      expect(entities.some((e) => e.type === "pre" && e.language === "python")).toBe(true);
    }
    const shown = messages.map((m) => m.text).join("\n");
    for (let i = 0; i < 180; i++) {
      expect(shown).toContain(`result_${i} = compute(a < ${i}, b & ${i}, "s") # step ${i}`);
    }
    expect(messages.at(-1)?.text.trim().endsWith("Done.")).toBe(true);
  });

  it("splits a code line longer than a message without breaking an entity or losing a character", async () => {
    // Arrange: minified JSON, one 6,000-character line full of characters HTML must escape.
    const fox = newPerson("Fox");
    const line = Array.from({ length: 400 }, (_, i) => `"k${i}":"<a&b>"`)
      .join(",")
      .slice(0, 6000);
    bed.ollama.setReply("llama3", () => `\`\`\`json\n${line}\n\`\`\``);

    // Act
    const summary = await say(bed, fox, "minified json");

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    expect(bed.telegram.requests().filter((r) => r.status >= 400)).toEqual([]);
    const messages = bed.telegram.sentMessages(fox.chat.id);
    expect(messages).toHaveLength(2);
    for (const m of messages) {
      expect(m.text.length).toBeLessThanOrEqual(4096);
      expect(m.html).toMatch(/^<pre><code class="language-json">[\s\S]*<\/code><\/pre>$/);
    }
    expect(messages.map((m) => m.text).join("")).toBe(line);
  });

  it("keeps a link with a very long URL whole when the split falls inside it", async () => {
    // Arrange: one long paragraph without line or sentence breaks, the 4096 mark inside the link.
    const cyd = newPerson("Cyd");
    const words = "word ".repeat(790).trim();
    const url = `https://example.com/${"b".repeat(400)}`;
    bed.ollama.setReply(
      "llama3",
      () => `${words} [the link](${url}) and ${"more ".repeat(100).trim()}`,
    );

    // Act
    await say(bed, cyd, "one very long paragraph");

    // Assess
    expect(bed.telegram.requests().filter((r) => r.status >= 400)).toEqual([]);
    const messages = bed.telegram.sentMessages(cyd.chat.id);
    expect(messages.length).toBe(2);
    for (const m of messages) expect(m.parseMode).toBe("HTML");
    const html = messages.map((m) => m.html ?? "").join("");
    expect(html).toContain(`<a href="${url}">the link</a>`);
    const shown = messages.map((m) => m.text).join(" ");
    expect(shown).not.toContain("href");
    expect(shown.match(/word/g)).toHaveLength(790);
    expect(shown.match(/more/g)).toHaveLength(100);
  });

  it("resends a reply as plain text when Telegram still rejects its HTML", async () => {
    // Arrange
    const dee = newPerson("Dee");
    bed.ollama.setReply("llama3", () => "**Bold claim** with a < b & `code`");
    bed.telegram.failNext("sendMessage", parseError);

    // Act
    const summary = await say(bed, dee, "something", envWith(bed, { STREAM_REPLIES: "false" }));

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const sends = requestsTo(bed, "sendMessage", dee.chat.id);
    expect(sends.map((r) => r.status)).toEqual([400, 200]);
    expect(sends[1]?.params.parse_mode).toBeUndefined();
    const messages = bed.telegram.sentMessages(dee.chat.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.text).toBe("Bold claim with a < b & code");
  });

  it("falls back to plain text for a streamed edit Telegram rejects, then still ends formatted", async () => {
    // Arrange
    const eli = newPerson("Eli");
    const answer = Array.from(
      { length: 30 },
      (_, i) => `Point **${i}** is ${"x".repeat(40)}.`,
    ).join("\n\n");
    bed.ollama.setReply("llama3", () => answer);
    bed.ollama.chunkSize = 16;
    bed.ollama.chunkDelayMs = 20;
    bed.telegram.failNext("editMessageText", parseError);

    // Act
    const summary = await say(bed, eli, "stream please", envWith(bed, { STREAM_MODE: "edit" }));

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const edits = requestsTo(bed, "editMessageText", eli.chat.id);
    const rejected = edits.findIndex((r) => r.status === 400);
    expect(rejected).toBeGreaterThanOrEqual(0);
    expect(edits[rejected + 1]?.status).toBe(200);
    expect(edits[rejected + 1]?.params.parse_mode).toBeUndefined();
    const shown = textsTo(bed, eli.chat.id).join("\n");
    for (let i = 0; i < 30; i++) expect(shown).toContain(`Point ${i} is`);
    expect(bed.telegram.sentMessages(eli.chat.id).at(-1)?.html).toContain("<b>29</b>");
  });
});
