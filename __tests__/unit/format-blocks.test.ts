import { describe, expect, it } from "@jest/globals";
import { renderTelegramHtml } from "../../handler/format/markdown.js";

/** Block structure of markdown-it output rendered as Telegram HTML (see format.test.ts for inline). */
describe("format/markdown blocks", () => {
  it("separates paragraphs by one blank line", () => {
    expect(renderTelegramHtml("First paragraph.\n\nSecond.")).toBe("First paragraph.\n\nSecond.");
  });

  it("keeps soft and hard line breaks inside a paragraph as line breaks", () => {
    expect(renderTelegramHtml("a\nb")).toBe("a\nb");
    expect(renderTelegramHtml("line one  \nline two")).toBe("line one\nline two");
  });

  it("ends a list with a blank line before the next paragraph", () => {
    expect(renderTelegramHtml("- a\n- b\n\nafter")).toBe("• a\n• b\n\nafter");
    expect(renderTelegramHtml("1. a\n2. b\n\nafter")).toBe("1. a\n2. b\n\nafter");
  });

  it("goes on with the outer list right after a nested list, without a blank line", () => {
    expect(renderTelegramHtml("- a\n  - b\n- c")).toBe("• a\n   • b\n• c");
  });

  it("starts a list after a closed list at the left margin, not nested", () => {
    expect(renderTelegramHtml("1. a\n\n- b")).toBe("1. a\n\n• b");
  });

  it("keeps an empty list item on a line of its own", () => {
    expect(renderTelegramHtml("-\n- b")).toBe("• \n• b");
  });

  it("keeps a paragraph inside a loose list item apart from the next item", () => {
    expect(renderTelegramHtml("- a\n\n  para\n- b")).toBe("• a\n\npara\n\n• b");
  });

  it("drops only the fence's final newline and keeps the code's other lines", () => {
    expect(renderTelegramHtml("```\nline1\nline2\n```")).toBe("<pre>line1\nline2</pre>");
  });

  it("keeps blank lines inside a code block exactly as the model wrote them", () => {
    // Prepare: PEP 8 puts two blank lines between top-level functions.
    const code = "def a():\n    pass\n\n\ndef b():\n    pass";

    // Act
    const html = renderTelegramHtml(`\`\`\`py\n${code}\n\`\`\`\n\nafter`);

    // Assess
    expect(html).toBe(`<pre><code class="language-py">${code}</code></pre>\n\nafter`);
  });

  it("uses the first word of the fence info as the language, spaces around it ignored", () => {
    expect(renderTelegramHtml("```  python  title=x\nprint(1)\n```")).toBe(
      '<pre><code class="language-python">print(1)</code></pre>',
    );
  });

  it("renders an indented code block as pre, escaped, blank lines kept", () => {
    expect(renderTelegramHtml("text\n\n    a < b\n\n\n    more\n\nend")).toBe(
      "text\n\n<pre>a &lt; b\n\n\nmore</pre>\n\nend",
    );
  });

  it("renders a thematic break as a line of dashes between blocks", () => {
    expect(renderTelegramHtml("a\n\n---\n\nb")).toBe("a\n\n———\n\nb");
  });

  it("puts only the table's own lines in its pre block and carries on after it", () => {
    // Act
    const html = renderTelegramHtml("intro\n\n|a|b|\n|-|-|\n|1|2|\n\nafter");

    // Assess
    expect(html).toBe("intro\n\n<pre>|a|b|\n|-|-|\n|1|2|</pre>\n\nafter");
  });

  it("renders the heading right after a table in full", () => {
    expect(renderTelegramHtml("|a|b|\n|-|-|\n|1|2|\n# Title")).toBe(
      "<pre>|a|b|\n|-|-|\n|1|2|</pre>\n\n<b>Title</b>",
    );
  });

  it("renders each of two tables once, in its own pre block", () => {
    // Act
    const html = renderTelegramHtml("|a|b|\n|-|-|\n|1|2|\n\n|c|d|\n|-|-|\n|3|4|");

    // Assess: the second table's cells do not leak out as loose text.
    expect(html).toBe("<pre>|a|b|\n|-|-|\n|1|2|</pre>\n\n<pre>|c|d|\n|-|-|\n|3|4|</pre>");
  });

  it("closes a block quote before the text that follows it", () => {
    expect(renderTelegramHtml("> quote\n>\n> more\n\nafter")).toBe(
      "<blockquote>quote\n\nmore</blockquote>\n\nafter",
    );
  });
});

describe("format/markdown inline leftovers", () => {
  it("shows an image as its alt text, or the word image when it has none", () => {
    expect(renderTelegramHtml("![a <cat>](http://x/cat.png)")).toBe("a &lt;cat&gt;");
    expect(renderTelegramHtml("![](http://x/cat.png)")).toBe("image");
  });

  it("shows a link with an unsafe scheme as its bare text, with no stray closing tag", () => {
    expect(renderTelegramHtml("[click](ftp://example.com/file) now")).toBe("click now");
  });

  it("shows backslash-escaped and entity characters as text, escaped for HTML", () => {
    expect(renderTelegramHtml("\\*not italic\\* &lt; &copy;")).toBe("*not italic* &lt; ©");
  });
});
