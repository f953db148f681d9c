import type { InputRichBlock, RichBlockTableCell, RichText } from "@grammyjs/types";
import MarkdownIt from "markdown-it";
import { fenceLanguage } from "./markdown.js";
import { MATH_BLOCK, MATH_DISPLAY, MATH_INLINE, mathPlugin } from "./math.js";

/** One block of a rich message as the bot sends it (Bot API 10.1 `InputRichBlock`, no uploads). */
export type RichBlock = InputRichBlock<never>;

/** Telegram's limit on the columns of a table; wider tables are cut into column groups. */
export const RICH_MAX_COLUMNS = 20;

// Deeper lists and quotes are flattened into their parent, deeper emphasis dropped (its text
// kept): with a table cell or a link, well inside Telegram's 16 levels of nesting.
const MAX_BLOCK_DEPTH = 8;
const MAX_INLINE_DEPTH = 4;

// Raw HTML in model output is text (html: false): a model cannot write Telegram's rich tags
// (buttons, media, maps) into an answer. The same parser as the HTML path, plus formulas.
const md = new MarkdownIt({ html: false, linkify: false, breaks: false }).use(mathPlugin);

type Token = ReturnType<typeof md.parse>[number];

const SAFE_LINK = /^(https?:|tg:|mailto:)/i;
const TASK = /^\[([ xX])\]\s+/;

/**
 * Renders a model's Markdown as rich message blocks: headings, paragraphs,
 * lists (numbered, nested, task lists), quotes, code blocks with their
 * language, tables with their alignment, dividers and formulas (see
 * `math.ts` for when `$` is money). Links keep only safe schemes; images
 * become links (a model's URL is never fetched into the chat).
 */
export function renderRichBlocks(markdown: string): RichBlock[] {
  return new BlockReader(md.parse(markdown, {})).blocks(undefined, 0);
}

class BlockReader {
  private i = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  /** Blocks up to the token `close` (consumed), or to the end. */
  blocks(close: string | undefined, depth: number): RichBlock[] {
    const out: RichBlock[] = [];
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i++];
      if (!t || t.type === close) break;
      out.push(...this.block(t, depth));
    }
    return out;
  }

  private block(t: Token, depth: number): RichBlock[] {
    switch (t.type) {
      case "paragraph_open":
        return this.paragraph(this.inlineChildren("paragraph_close"));
      case "heading_open": {
        const size = Number(t.tag.slice(1)) as 1 | 2 | 3 | 4 | 5 | 6;
        return [{ type: "heading", text: inline(this.inlineChildren("heading_close")), size }];
      }
      case "bullet_list_open":
      case "ordered_list_open":
        return this.list(t, depth);
      case "blockquote_open": {
        const inner = this.blocks("blockquote_close", depth + 1);
        return depth >= MAX_BLOCK_DEPTH ? inner : [{ type: "blockquote", blocks: inner }];
      }
      case "fence": {
        const language = fenceLanguage(t.info);
        const code = t.content.replace(/\n$/, "");
        if (language === "math" && code.trim()) {
          return [{ type: "mathematical_expression", expression: code.trim() }];
        }
        return code ? [{ type: "pre", text: code, ...(language ? { language } : {}) }] : [];
      }
      case "code_block": {
        const code = t.content.replace(/\n$/, "");
        return code ? [{ type: "pre", text: code }] : [];
      }
      case MATH_BLOCK:
        return [{ type: "mathematical_expression", expression: t.content }];
      case "hr":
        return [{ type: "divider" }];
      case "table_open":
        return tableBlocks(this.tableRows());
      default:
        return [];
    }
  }

  /** The children of the next inline token, then past `close`. */
  private inlineChildren(close: string): Token[] {
    const children: Token[] = [];
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i++];
      if (!t || t.type === close) break;
      if (t.type === "inline") children.push(...(t.children ?? []));
    }
    return children;
  }

  /** A paragraph; one that is only a displayed formula is a formula block. */
  private paragraph(children: Token[]): RichBlock[] {
    const visible = children.filter((c) => !(c.type === "text" && c.content.trim() === ""));
    const [only] = visible;
    if (visible.length === 1 && only?.type === MATH_DISPLAY) {
      return [{ type: "mathematical_expression", expression: only.content }];
    }
    return visible.length === 0 ? [] : [{ type: "paragraph", text: inline(children) }];
  }

  private list(open: Token, depth: number): RichBlock[] {
    const ordered = open.type === "ordered_list_open";
    const close = ordered ? "ordered_list_close" : "bullet_list_close";
    let next = Number(open.attrGet("start") ?? 1);
    const items: Extract<RichBlock, { type: "list" }>["items"] = [];
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i++];
      if (!t || t.type === close) break;
      if (t.type !== "list_item_open") continue;
      const task = this.taskMark();
      const blocks = this.blocks("list_item_close", depth + 1);
      items.push({
        blocks,
        ...(ordered ? { type: "1" as const, value: next++ } : {}),
        ...(task ? { has_checkbox: true as const } : {}),
        ...(task === "checked" ? { is_checked: true as const } : {}),
      });
    }
    if (depth < MAX_BLOCK_DEPTH) return [{ type: "list", items }];
    return items.flatMap((item) => item.blocks);
  }

  /** `- [ ] todo` / `- [x] done`: takes the mark off the item's text. */
  private taskMark(): "open" | "checked" | undefined {
    const inlineToken = this.tokens[this.i + 1];
    const first = inlineToken?.type === "inline" ? inlineToken.children?.[0] : undefined;
    const match = first?.type === "text" ? TASK.exec(first.content) : null;
    if (!first || !match) return undefined;
    first.content = first.content.slice(match[0].length);
    return match[1] === " " ? "open" : "checked";
  }

  private tableRows(): RichBlockTableCell[][] {
    const rows: RichBlockTableCell[][] = [];
    let row: RichBlockTableCell[] = [];
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i++];
      if (!t || t.type === "table_close") break;
      if (t.type === "tr_close") rows.push(row);
      if (t.type === "tr_open") row = [];
      if (t.type !== "th_open" && t.type !== "td_open") continue;
      const style = String(t.attrGet("style") ?? "");
      const align = (/text-align:(left|center|right)/.exec(style)?.[1] ?? "left") as
        | "left"
        | "center"
        | "right";
      row.push({
        text: inline(this.inlineChildren(t.type === "th_open" ? "th_close" : "td_close")),
        ...(t.type === "th_open" ? { is_header: true as const } : {}),
        align,
        valign: "top",
      });
    }
    return rows;
  }
}

/**
 * A table, or several when it is wider than Telegram allows: each holds the
 * first column (what the rows are about) and up to 19 more, so every cell
 * still stands in its row under its header.
 */
function tableBlocks(rows: RichBlockTableCell[][]): RichBlock[] {
  const width = Math.max(0, ...rows.map((r) => r.length));
  if (width === 0) return [];
  if (width <= RICH_MAX_COLUMNS) return [{ type: "table", cells: rows, is_bordered: true }];
  const tables: RichBlock[] = [];
  for (let from = 1; from < width; from += RICH_MAX_COLUMNS - 1) {
    const cells = rows.map((r) => [
      ...r.slice(0, 1),
      ...r.slice(from, from + RICH_MAX_COLUMNS - 1),
    ]);
    tables.push({ type: "table", cells, is_bordered: true });
  }
  return tables;
}

/** Builds nested rich text from markdown-it's inline tokens. */
function inline(children: readonly Token[]): RichText {
  const root: RichText[] = [];
  const stack: { parts: RichText[]; wrap: (text: RichText) => RichText | undefined }[] = [];
  let parts = root;
  const add = (part: RichText): void => {
    const last = parts.length - 1;
    const prev = parts[last];
    if (typeof part === "string" && typeof prev === "string") parts[last] = prev + part;
    else if (part !== "") parts.push(part);
  };
  const open = (wrap: (text: RichText) => RichText | undefined): void => {
    stack.push({ parts, wrap: stack.length < MAX_INLINE_DEPTH ? wrap : () => undefined });
    parts = [];
  };
  const close = (): void => {
    const top = stack.pop();
    if (!top) return;
    const text = simplify(parts);
    parts = top.parts;
    const wrapped = top.wrap(text);
    // Formatting too deep (or a link with an unsafe scheme) keeps its text, unformatted.
    if (wrapped === undefined) for (const p of Array.isArray(text) ? text : [text]) add(p);
    else add(wrapped);
  };
  for (const c of children) {
    switch (c.type) {
      case "strong_open":
        open((text) => ({ type: "bold", text }));
        break;
      case "em_open":
        open((text) => ({ type: "italic", text }));
        break;
      case "s_open":
        open((text) => ({ type: "strikethrough", text }));
        break;
      case "link_open": {
        const url = String(c.attrGet("href") ?? "");
        open((text) => (SAFE_LINK.test(url) ? { type: "url", text, url } : undefined));
        break;
      }
      case "strong_close":
      case "em_close":
      case "s_close":
      case "link_close":
        close();
        break;
      case "code_inline":
        add({ type: "code", text: c.content });
        break;
      case MATH_INLINE:
      case MATH_DISPLAY:
        add({ type: "mathematical_expression", expression: c.content });
        break;
      case "image": {
        const url = String(c.attrGet("src") ?? "");
        const label = c.content || url;
        add(SAFE_LINK.test(url) ? { type: "url", text: label, url } : label);
        break;
      }
      case "softbreak":
      case "hardbreak":
        add("\n");
        break;
      default:
        add(c.content);
        break;
    }
  }
  while (stack.length > 0) close();
  return simplify(root);
}

function simplify(parts: RichText[]): RichText {
  if (parts.length === 0) return "";
  return parts.length === 1 ? (parts[0] ?? "") : parts;
}
