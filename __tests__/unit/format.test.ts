import { describe, expect, it } from "@jest/globals";
import {
  decodeEntities,
  escapeAttr,
  escapeHtml,
  toPlainText,
} from "../../handler/format/escape.js";
import { renderTelegramHtml } from "../../handler/format/markdown.js";
import {
  splitPlainText,
  splitTelegramHtml,
  TELEGRAM_TEXT_LIMIT,
} from "../../handler/format/split.js";
import {
  extractThinking,
  formatReply,
  MAX_THINKING_SHOWN,
  partialAnswerParts,
  renderPartial,
} from "../../handler/format/thinking.js";

/** Visible text without any whitespace: what must survive a split. */
const squash = (text: string): string => text.replace(/\s+/g, "");

/** Tag names in order of appearance, e.g. ["b", "/b"]. */
const tagSequence = (html: string): string[] =>
  [...html.matchAll(/<(\/?[a-z-]+)[^>]*>/gi)].map((m) => (m[1] ?? "").toLowerCase());

/** True when every opened tag is closed in the right order. */
const isBalanced = (html: string): boolean => {
  const stack: string[] = [];
  for (const tag of tagSequence(html)) {
    if (tag.startsWith("/")) {
      if (stack.pop() !== tag.slice(1)) return false;
    } else stack.push(tag);
  }
  return stack.length === 0;
};

/** True when no `<` or `&` sequence was cut: no half tags, no half entities. */
const hasNoBrokenMarkup = (html: string): boolean => {
  const withoutTags = html.replace(/<[a-z/][^<>]*>/gi, "");
  if (/[<>]/.test(withoutTags)) return false;
  return !/&(?!(#x[0-9a-f]+|#\d+|[a-z]+);)/i.test(withoutTags);
};

describe("format/escape", () => {
  it("escapes the three characters Telegram HTML reserves", () => {
    // Act
    const out = escapeHtml(`a < b && c > d "q" 'r'`);

    // Assess
    expect(out).toBe(`a &lt; b &amp;&amp; c &gt; d "q" 'r'`);
  });

  it("escapes ampersands first so existing entities are not double-decoded later", () => {
    expect(escapeHtml("&lt;")).toBe("&amp;lt;");
    expect(decodeEntities(escapeHtml("&lt;"))).toBe("&lt;");
  });

  it("escapes double quotes in attribute values", () => {
    expect(escapeAttr(`x" onclick="y<`)).toBe("x&quot; onclick=&quot;y&lt;");
  });

  it("decodes named, decimal and hex entities, case-insensitively", () => {
    expect(decodeEntities("&LT;&gt;&amp;&quot;&#65;&#x42;&#X1F600;")).toBe(`<>&"AB😀`);
  });

  it("leaves unknown entities untouched", () => {
    expect(decodeEntities("&nbsp; &copy;")).toBe("&nbsp; &copy;");
  });

  it("round-trips any text through escapeHtml and decodeEntities", () => {
    // Prepare
    const text = `<script>alert("x & y")</script> &amp; 😀`;

    // Act
    const back = decodeEntities(escapeHtml(text));

    // Assess
    expect(back).toBe(text);
  });

  it("toPlainText drops tags and decodes entities", () => {
    expect(toPlainText('<b>1 &lt; 2</b> <a href="https://x">link</a>')).toBe("1 < 2 link");
  });
});

describe("format/markdown renderTelegramHtml", () => {
  it("renders bold, italic and strikethrough as b, i and s", () => {
    // Act
    const html = renderTelegramHtml("Hello **bold**, *italic*, _under_ and ~~gone~~");

    // Assess
    expect(html).toBe("Hello <b>bold</b>, <i>italic</i>, <i>under</i> and <s>gone</s>");
  });

  it("renders headings as bold lines followed by a blank line", () => {
    expect(renderTelegramHtml("# Title\n\nBody text")).toBe("<b>Title</b>\n\nBody text");
    expect(renderTelegramHtml("### Small")).toBe("<b>Small</b>");
  });

  it("renders bullet lists with bullets and nested lists indented", () => {
    // Act
    const html = renderTelegramHtml("- a\n- b\n  - c");

    // Assess
    expect(html).toBe("• a\n• b\n   • c");
  });

  it("renders ordered lists with numbers, honouring the start number", () => {
    expect(renderTelegramHtml("1. x\n2. y")).toBe("1. x\n2. y");
    expect(renderTelegramHtml("3. three\n4. four")).toBe("3. three\n4. four");
  });

  it("keeps safe links with the href escaped as an attribute", () => {
    // Act
    const html = renderTelegramHtml("[ok](https://ex.com/a?b=1&c=2)");

    // Assess
    expect(html).toBe('<a href="https://ex.com/a?b=1&amp;c=2">ok</a>');
  });

  it.each([
    ["http", "http://example.com"],
    ["tg", "tg://user?id=1"],
    ["mailto", "mailto:someone@example.com"],
  ])("keeps %s links", (_scheme, href) => {
    expect(renderTelegramHtml(`[x](${href})`)).toMatch(/^<a href="[^"]+">x<\/a>$/);
  });

  it.each([
    ["javascript:alert(1)"],
    ["data:text/html,hi"],
    ["ftp://example.com/file"],
    ["vbscript:msgbox(1)"],
  ])("never emits an anchor for the unsafe link %s", (href) => {
    // Act
    const html = renderTelegramHtml(`[click](${href})`);

    // Assess
    expect(html).not.toContain("<a");
    expect(html).toContain("click");
  });

  it("renders inline code with its content escaped", () => {
    expect(renderTelegramHtml("`a<b>&c`")).toBe("<code>a&lt;b&gt;&amp;c</code>");
  });

  it("renders a fenced block with a language as pre/code with a language class", () => {
    // Act
    const html = renderTelegramHtml("```ts\nconst a = 1 < 2 && b;\n```");

    // Assess
    expect(html).toBe(
      '<pre><code class="language-ts">const a = 1 &lt; 2 &amp;&amp; b;</code></pre>',
    );
  });

  it("renders a fenced block without a language as a bare pre", () => {
    expect(renderTelegramHtml("```\nplain\n```")).toBe("<pre>plain</pre>");
  });

  it("strips characters from a fence language that could break out of the attribute", () => {
    // Act
    const html = renderTelegramHtml('```py"><b>x\ncode\n```');

    // Assess
    expect(html).toBe('<pre><code class="language-pybx">code</code></pre>');
  });

  it("escapes <, & and > in text and leaves lone * and _ as literal text", () => {
    // Act
    const html = renderTelegramHtml("x < y & z > w * a_b_c");

    // Assess
    expect(html).toBe("x &lt; y &amp; z &gt; w * a_b_c");
    expect(toPlainText(html)).toBe("x < y & z > w * a_b_c");
  });

  it("treats raw HTML from the model as text, never markup", () => {
    expect(renderTelegramHtml("<b>raw</b> <script>x</script>")).toBe(
      "&lt;b&gt;raw&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;",
    );
  });

  it("renders block quotes as blockquote", () => {
    expect(renderTelegramHtml("> quote\n> more")).toBe("<blockquote>quote\nmore</blockquote>");
  });

  it("keeps tables readable inside a pre block", () => {
    // Act
    const html = renderTelegramHtml("| a | b |\n|---|---|\n| 1 | 2 |");

    // Assess
    expect(html).toBe("<pre>| a | b |\n|---|---|\n| 1 | 2 |</pre>");
  });

  it("always produces balanced tags, even for unterminated markdown", () => {
    // Prepare
    const inputs = ["**bold never closed", "```js\nopen fence", "*a **b* c**", "> q\n- [x](http"];

    // Act
    const outputs = inputs.map((md) => renderTelegramHtml(md));

    // Assess
    for (const html of outputs) expect(isBalanced(html)).toBe(true);
  });

  it("returns an empty string for empty input", () => {
    expect(renderTelegramHtml("")).toBe("");
  });
});

describe("format/split splitTelegramHtml", () => {
  it("returns short messages unchanged as one chunk", () => {
    expect(splitTelegramHtml("<b>hi</b> there")).toEqual(["<b>hi</b> there"]);
  });

  it("uses Telegram's 4096-character limit by default", () => {
    // Prepare
    const html = `<b>${"word ".repeat(2000)}</b>`;

    // Act
    const chunks = splitTelegramHtml(html);

    // Assess
    expect(TELEGRAM_TEXT_LIMIT).toBe(4096);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(toPlainText(c).length).toBeLessThanOrEqual(4096);
  });

  it("keeps every chunk within the visible limit, counting entities as one character", () => {
    // Prepare
    const html = "&amp;".repeat(12);

    // Act
    const chunks = splitTelegramHtml(html, 5);

    // Assess
    expect(chunks).toEqual(["&amp;".repeat(5), "&amp;".repeat(5), "&amp;".repeat(2)]);
  });

  it("never cuts inside a tag or an entity", () => {
    // Prepare
    const html = Array.from(
      { length: 40 },
      (_, i) => `<a href="https://example.com/${i}">l&lt;${i}&gt;</a> &amp; <i>it</i>`,
    ).join(" ");

    // Act
    const chunks = splitTelegramHtml(html, 37);

    // Assess
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(hasNoBrokenMarkup(c)).toBe(true);
      expect(isBalanced(c)).toBe(true);
      expect(toPlainText(c).length).toBeLessThanOrEqual(37);
    }
  });

  it("closes and reopens a code block with its attributes in every chunk", () => {
    // Prepare
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i} &lt;x&gt;`).join("\n");
    const html = `<pre><code class="language-ts">${lines}</code></pre>`;

    // Act
    const chunks = splitTelegramHtml(html, 100);

    // Assess
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.startsWith('<pre><code class="language-ts">')).toBe(true);
      expect(c.endsWith("</code></pre>")).toBe(true);
      expect(toPlainText(c).length).toBeLessThanOrEqual(100);
    }
  });

  it("prefers to cut at line ends inside a code block", () => {
    // Prepare
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");

    // Act
    const chunks = splitTelegramHtml(`<pre>${lines}</pre>`, 50);

    // Assess
    for (const c of chunks) expect(toPlainText(c)).toMatch(/^(line \d+\n?)+$/);
  });

  it("loses no visible text (modulo whitespace)", () => {
    // Prepare
    const html = renderTelegramHtml(
      Array.from(
        { length: 60 },
        (_, i) =>
          `Paragraph **${i}** has *some* text, a [link](https://x.io/${i}) & \`code<${i}>\`.`,
      ).join("\n\n"),
    );

    // Act
    const chunks = splitTelegramHtml(html, 200);

    // Assess
    expect(squash(chunks.map(toPlainText).join(""))).toBe(squash(toPlainText(html)));
  });

  it("never splits a surrogate pair", () => {
    // Act
    const chunks = splitTelegramHtml("😀".repeat(5), 4);

    // Assess
    expect(chunks).toEqual(["😀😀", "😀😀", "😀"]);
  });

  it("drops chunks that would be only whitespace", () => {
    // Act
    const chunks = splitTelegramHtml(`${"a".repeat(10)}\n\n\n\n${"b".repeat(10)}`, 10);

    // Assess
    for (const c of chunks) expect(c.trim().length).toBeGreaterThan(0);
    expect(chunks[0]).toBe("a".repeat(10));
    expect(chunks.join("")).toBe(`${"a".repeat(10)}${"b".repeat(10)}`);
  });

  it("returns no chunk for empty or tag-only input", () => {
    expect(splitTelegramHtml("")).toEqual([]);
    expect(splitTelegramHtml("<b></b>")).toEqual([]);
  });
});

describe("format/split splitPlainText", () => {
  it("returns a short text as a single chunk", () => {
    expect(splitPlainText("hello world")).toEqual(["hello world"]);
  });

  it("cuts at a paragraph break when one is available", () => {
    // Act
    const chunks = splitPlainText("para one\n\npara two", 15);

    // Assess
    expect(chunks[0]).toBe("para one\n");
    expect(chunks[1]).toBe("para two");
  });

  it("cuts at a line break before a sentence end or a space", () => {
    // Act
    const chunks = splitPlainText("one. two three\nfour five six seven", 20);

    // Assess
    expect(chunks[0]).toBe("one. two three");
  });

  it("cuts after a sentence end in preference to an arbitrary space", () => {
    // Prepare
    const text = "First sentence here. Second one! Third? ".repeat(10);

    // Act
    const chunks = splitPlainText(text, 60);

    // Assess
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks.slice(0, -1)) expect(c.trimEnd()).toMatch(/[.!?]$/);
  });

  it("hard-cuts a long word that has no boundary", () => {
    expect(splitPlainText("x".repeat(25), 10)).toEqual(["x".repeat(10), "x".repeat(10), "xxxxx"]);
  });

  it("keeps every chunk within the limit and loses no text", () => {
    // Prepare
    const text = Array.from({ length: 200 }, (_, i) =>
      i % 7 === 0 ? `Sentence ${i}.\n\n` : `word${i} `,
    ).join("");

    // Act
    const chunks = splitPlainText(text, 64);

    // Assess
    for (const c of chunks) expect(Array.from(c).length).toBeLessThanOrEqual(64);
    expect(squash(chunks.join(""))).toBe(squash(text));
  });

  it("never splits a surrogate pair", () => {
    expect(splitPlainText("😀".repeat(5), 4)).toEqual(["😀😀", "😀😀", "😀"]);
  });

  it("returns nothing for whitespace-only text", () => {
    expect(splitPlainText("   \n\n  ")).toEqual([]);
  });
});

describe("format/thinking", () => {
  it("separates a closed <think> block from the answer", () => {
    // Act
    const out = extractThinking("<think>\n  pondering  \n</think>\n\nThe answer is 42.");

    // Assess
    expect(out).toEqual({ thinking: "pondering", answer: "The answer is 42." });
  });

  it("joins several think blocks with a blank line", () => {
    expect(extractThinking("<think>a</think>x<think>b</think>y")).toEqual({
      thinking: "a\n\nb",
      answer: "xy",
    });
  });

  it("treats an unterminated <think> as thinking so far", () => {
    expect(extractThinking("<think>still going")).toEqual({
      thinking: "still going",
      answer: "",
    });
  });

  it("returns the whole text as the answer when there is no thinking", () => {
    expect(extractThinking("  just text  ")).toEqual({ thinking: "", answer: "just text" });
  });

  it("ignores empty think blocks", () => {
    expect(extractThinking("<think> </think>hi")).toEqual({ thinking: "", answer: "hi" });
  });

  it("shows thinking as an expandable, escaped quote above the answer", () => {
    // Act
    const out = formatReply({
      answer: "**yes**",
      thinking: "is 1 < 2 & 3 > 2?",
      showThinking: "collapsed",
    });

    // Assess
    expect(out).toBe(
      "<blockquote expandable>💭 is 1 &lt; 2 &amp; 3 &gt; 2?</blockquote>\n<b>yes</b>",
    );
  });

  it("hides thinking when asked to", () => {
    // Act
    const out = formatReply({ answer: "**yes**", thinking: "secret", showThinking: "hidden" });

    // Assess
    expect(out).toBe("<b>yes</b>");
  });

  it("omits the quote when there is no thinking", () => {
    expect(formatReply({ answer: "ok", thinking: "  ", showThinking: "collapsed" })).toBe("ok");
  });

  it("shows only the end of long thinking, marked with an ellipsis", () => {
    // Prepare
    const thinking = `START${"m".repeat(MAX_THINKING_SHOWN)}END`;

    // Act
    const out = formatReply({ answer: "a", thinking, showThinking: "collapsed" });

    // Assess
    expect(out).not.toContain("START");
    expect(out).toContain(`💭 …${"m".repeat(MAX_THINKING_SHOWN - 3)}END</blockquote>`);
  });

  it("shows thinking of exactly the shown length whole, without an ellipsis", () => {
    // Prepare
    const thinking = "t".repeat(MAX_THINKING_SHOWN);

    // Act
    const out = formatReply({ answer: "a", thinking, showThinking: "collapsed" });

    // Assess
    expect(out).toBe(`<blockquote expandable>💭 ${thinking}</blockquote>\na`);
  });

  it("trims the thinking of an unterminated <think> block", () => {
    expect(extractThinking("answer so far <think>\n  still thinking  ")).toEqual({
      thinking: "still thinking",
      answer: "answer so far",
    });
  });

  it("joins the non-empty think blocks only, with no blank line for an empty one", () => {
    expect(extractThinking("<think></think>x<think>b</think>y")).toEqual({
      thinking: "b",
      answer: "xy",
    });
  });

  it("renders a partial answer with tags balanced", () => {
    // Act
    const html = renderPartial("Some **bold text still stream");

    // Assess
    expect(isBalanced(html)).toBe(true);
    expect(toPlainText(html)).toContain("bold text still stream");
  });

  it.each([
    ["nothing yet", ""],
    ["what may be the start of a <think> tag", "  <thi"],
    ["reasoning still running", "<think>weighing the options"],
    ["reasoning done, no answer yet", "<think>done</think>\n"],
  ])("partialAnswerParts shows nothing for %s", (_what, raw) => {
    expect(partialAnswerParts(raw)).toBeUndefined();
  });

  it("partialAnswerParts shows the answer so far without its reasoning, as Telegram messages", () => {
    // Act
    const parts = partialAnswerParts(`<think>hmm</think>**Yes**, ${"word ".repeat(1000)}`);

    // Assess
    expect(parts?.length).toBe(2);
    expect(parts?.[0]).toMatch(/^<b>Yes<\/b>, word/);
    expect(parts?.join("")).not.toContain("hmm");
  });
});
