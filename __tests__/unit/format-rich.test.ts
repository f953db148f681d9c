import type { RichText } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import { type RichBlock, renderRichBlocks } from "../../handler/format/rich.js";
import { RICH_LIMITS, sizeOf, splitRichBlocks } from "../../handler/format/rich-split.js";

/** The formulas of rendered Markdown, in order. */
function formulas(markdown: string): string[] {
  const out: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      if (record.type === "mathematical_expression") out.push(String(record.expression));
      for (const key of ["text", "blocks", "items", "cells"]) visit(record[key]);
    }
  };
  visit(renderRichBlocks(markdown));
  return out;
}

/** What rendered Markdown reads as, formulas left out. */
function prose(markdown: string): string {
  const text = (value: RichText): string => {
    if (typeof value === "string") return value;
    if (Array.isArray(value)) return value.map(text).join("");
    return "text" in value ? text(value.text) : "";
  };
  return renderRichBlocks(markdown)
    .map((b) => ("text" in b && b.type !== "pre" ? text(b.text) : ""))
    .join("\n");
}

describe("format/math: money is not math", () => {
  it.each([
    "The basic plan costs $5 and the pro plan $10 per month.",
    "Budget $1,200–$1,500 for the laptop, or $5-$10 a day for food.",
    "Prices went from $5,$10 to $15/$20.",
    "That's US$5 and AU$10 at today's rate.",
    "Use $1 and $2 in the script, then $HOME and $USER.",
    "Add ~/bin to $PATH: export PATH=$PATH:$HOME/bin",
    "I paid $5 and you paid 10$ more.",
    "Escaped: \\$x\\$ stays text.",
  ])("keeps %j as text", (line) => {
    expect(formulas(line)).toEqual([]);
    expect(prose(line)).toBe(line.replace(/\\\$/g, "$"));
  });

  it("renders what qwen writes: inline $…$ and displayed $$…$$", () => {
    const answer = [
      "The area of a circle is $A = \\pi r^2$, where $r$ is the radius.",
      "",
      "$$",
      "\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}",
      "$$",
      "",
      "For the $n$th term, $a_n = a_1 + (n-1)d$.",
    ].join("\n");
    expect(formulas(answer)).toEqual([
      "A = \\pi r^2",
      "r",
      "\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}",
      "n",
      "a_n = a_1 + (n-1)d",
    ]);
    expect(renderRichBlocks(answer)[1]).toEqual({
      type: "mathematical_expression",
      expression: "\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}",
    });
  });

  it("renders what deepseek writes: \\( … \\) inline and \\[ … \\] on lines of their own", () => {
    const answer = [
      "We solve \\( x^2 - 5x + 6 = 0 \\):",
      "\\[",
      "x = \\frac{5 \\pm \\sqrt{25 - 24}}{2}",
      "+ 0",
      "\\]",
      "So the answer is \\[ \\boxed{x = 2 \\text{ or } x = 3} \\]",
    ].join("\n");
    expect(formulas(answer)).toEqual([
      "x^2 - 5x + 6 = 0",
      "x = \\frac{5 \\pm \\sqrt{25 - 24}}{2}\n+ 0",
      "\\boxed{x = 2 \\text{ or } x = 3}",
    ]);
  });

  it("mixes both in one sentence: the price stays, the formula renders", () => {
    const line = "Investing $1,000 at 5% gives after $n$ years $1000 \\cdot 1.05^n$ dollars.";
    expect(formulas(line)).toEqual(["n", "1000 \\cdot 1.05^n"]);
    expect(prose(line)).toBe("Investing $1,000 at 5% gives after  years  dollars.");
  });

  it("leaves code alone: dollars in code spans and blocks are code", () => {
    const answer = 'Run `echo $HOME` or:\n\n```bash\nprice=$5; echo "$x$"\n```';
    expect(formulas(answer)).toEqual([]);
    expect(renderRichBlocks(answer)[1]).toEqual({
      type: "pre",
      text: 'price=$5; echo "$x$"',
      language: "bash",
    });
  });

  it("does not take prose between dollars for a formula", () => {
    expect(formulas("between $5 and you get it all back$ later")).toEqual([]);
    expect(formulas("the set $\\{x \\mid x > 0\\}$ and $\\text{cost per day}$")).toEqual([
      "\\{x \\mid x > 0\\}",
      "\\text{cost per day}",
    ]);
  });

  it("keeps an escaped bracket in prose: arr\\[0\\] is not display math", () => {
    expect(formulas("the first element is arr\\[0\\]")).toEqual([]);
    expect(prose("the first element is arr\\[0\\]")).toBe("the first element is arr[0]");
  });
});

describe("format/rich: blocks", () => {
  it("renders headings, task lists, numbered lists and quotes as blocks", () => {
    expect(renderRichBlocks("# Title\n\n- [x] done\n- [ ] todo\n\n3. c\n4. d\n\n> quoted")).toEqual(
      [
        { type: "heading", size: 1, text: "Title" },
        {
          type: "list",
          items: [
            { blocks: [{ type: "paragraph", text: "done" }], has_checkbox: true, is_checked: true },
            { blocks: [{ type: "paragraph", text: "todo" }], has_checkbox: true },
          ],
        },
        {
          type: "list",
          items: [
            { blocks: [{ type: "paragraph", text: "c" }], type: "1", value: 3 },
            { blocks: [{ type: "paragraph", text: "d" }], type: "1", value: 4 },
          ],
        },
        { type: "blockquote", blocks: [{ type: "paragraph", text: "quoted" }] },
      ],
    );
  });

  it("keeps raw HTML, unsafe links and images as text: a model cannot add buttons or media", () => {
    const blocks = renderRichBlocks(
      '<tg-button type="callback_data" data="stop:1:2">Stop</tg-button> [x](ftp://e.com/f) ![cat](https://e.com/c.jpg)',
    );
    expect(blocks).toEqual([
      {
        type: "paragraph",
        text: [
          '<tg-button type="callback_data" data="stop:1:2">Stop</tg-button> x ',
          { type: "url", text: "cat", url: "https://e.com/c.jpg" },
        ],
      },
    ]);
  });

  it("cuts a table wider than 20 columns into tables that each keep the first column", () => {
    const header = `| key | ${Array.from({ length: 25 }, (_, i) => `c${i + 1}`).join(" | ")} |`;
    const rule = `|${"---|".repeat(26)}`;
    const row = `| r1 | ${Array.from({ length: 25 }, (_, i) => `v${i + 1}`).join(" | ")} |`;
    const tables = renderRichBlocks([header, rule, row].join("\n"));
    expect(tables).toHaveLength(2);
    const texts = tables.map((t) =>
      t.type === "table" ? t.cells.map((r) => r.map((c) => c.text)) : [],
    );
    expect(texts[0]?.[1]).toEqual(["r1", ...Array.from({ length: 19 }, (_, i) => `v${i + 1}`)]);
    expect(texts[1]?.[1]).toEqual(["r1", ...Array.from({ length: 6 }, (_, i) => `v${i + 20}`)]);
  });

  it("flattens nesting deeper than Telegram's limit instead of failing", () => {
    const deep = `${">".repeat(30)} deep`;
    const depth = (blocks: readonly RichBlock[]): number =>
      Math.max(0, ...blocks.map((b) => 1 + ("blocks" in b ? depth(b.blocks) : 0)));
    expect(depth(renderRichBlocks(deep))).toBeLessThanOrEqual(9);
  });
});

describe("format/rich-split", () => {
  it("keeps everything in one message up to the limits", () => {
    const blocks = renderRichBlocks("word ".repeat(6000));
    expect(splitRichBlocks(blocks)).toHaveLength(1);
  });

  it("cuts a long table between rows, repeating its header row", () => {
    const rows = Array.from({ length: 700 }, (_, i) => `| ${i} | x |`).join("\n");
    const pages = splitRichBlocks(renderRichBlocks(`| n | v |\n|---|---|\n${rows}`));
    expect(pages.length).toBeGreaterThan(1);
    const bodies = pages.flatMap((page) =>
      page.flatMap((t) => (t.type === "table" ? [t.cells] : [])),
    );
    for (const cells of bodies) expect(cells[0]?.[0]).toMatchObject({ text: "n", is_header: true });
    const numbers = bodies.flatMap((cells) => cells.slice(1).map((r) => r[0]?.text));
    expect(numbers).toEqual(Array.from({ length: 700 }, (_, i) => String(i)));
    for (const page of pages) {
      const used = page.reduce((n, b) => n + sizeOf(b).blocks, 0);
      expect(used).toBeLessThanOrEqual(RICH_LIMITS.blocks);
    }
  });

  it("never cuts a code block that fits a message", () => {
    const code = `\`\`\`ts\n${"const x = 1;\n".repeat(2000)}\`\`\``;
    const blocks = renderRichBlocks(`${"intro ".repeat(3000)}\n\n${code}`);
    const pages = splitRichBlocks(blocks);
    expect(pages).toHaveLength(2);
    expect(pages[1]).toEqual([blocks[1]]);
  });
});
