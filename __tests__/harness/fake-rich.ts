/**
 * The fake Telegram's rich messages (Bot API 10.1): `InputRichMessage` as
 * `sendRichMessage`, `sendRichMessageDraft` and `editMessageText` take it,
 * parsed into the blocks a received `RichMessage` holds and checked against
 * the documented rules: exactly one of `markdown`, `html` and `blocks`; at
 * most 32,768 characters after parsing (formula sources included), 500
 * blocks (nested blocks, list items and table rows counted), 20 columns a
 * table and 16 levels of nesting; a thinking block only in drafts.
 */
import MarkdownIt from "markdown-it";

/** A rich block or rich text as JSON (the shapes of `@grammyjs/types`' rich.d.ts). */
export type RichJson = Record<string, unknown>;

/** Why Telegram refuses a rich message; the fake answers it as `400 Bad Request: <description>`. */
export class RichMessageError extends Error {}

export const RICH_MAX_CHARS = 32_768;
export const RICH_MAX_BLOCKS = 500;
export const RICH_MAX_COLUMNS = 20;
export const RICH_MAX_DEPTH = 16;

const TEXT_TYPES = new Set([
  "bold",
  "italic",
  "underline",
  "strikethrough",
  "spoiler",
  "date_time",
  "text_mention",
  "subscript",
  "superscript",
  "marked",
  "code",
  "custom_emoji",
  "mathematical_expression",
  "url",
  "email_address",
  "phone_number",
  "bank_card_number",
  "mention",
  "hashtag",
  "cashtag",
  "bot_command",
  "button",
  "anchor",
  "anchor_link",
  "reference",
  "reference_link",
]);

/** Block types a bot may send, and the rich-text fields each must carry. */
const BLOCK_TEXT: Record<string, readonly string[]> = {
  paragraph: ["text"],
  heading: ["text"],
  pre: ["text"],
  footer: ["text"],
  divider: [],
  mathematical_expression: [],
  anchor: [],
  list: [],
  blockquote: [],
  expandable_blockquote: ["text"],
  pullquote: ["text"],
  table: [],
  details: ["summary"],
  thinking: ["text"],
};

const fail = (description: string): never => {
  throw new RichMessageError(description);
};

const isRecord = (v: unknown): v is RichJson =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A rich message the fake accepted: its blocks and what it reads as in plain text. */
export interface ParsedRich {
  readonly blocks: RichJson[];
  readonly text: string;
}

/** Parses and checks `rich_message`; `draft`: for `sendRichMessageDraft`. @throws RichMessageError */
export function parseRichMessage(value: unknown, draft: boolean): ParsedRich {
  if (!isRecord(value)) return fail('field "rich_message" must be of type Object');
  const given = ["markdown", "html", "blocks"].filter((k) => value[k] !== undefined);
  if (given.length !== 1) {
    fail('rich_message must contain exactly one of the fields "markdown", "html" and "blocks"');
  }
  const blocks =
    value.blocks !== undefined
      ? checkBlocks(value.blocks)
      : value.markdown !== undefined
        ? markdownBlocks(String(value.markdown))
        : htmlBlocks(String(value.html));
  for (const block of walkBlocks(blocks)) {
    if (block.type === "thinking" && !draft)
      fail("thinking blocks can be used only in message drafts");
  }
  const text = plainText(blocks);
  if (blocks.length === 0 || text.trim() === "") fail("rich message is empty");
  if (countChars(blocks) > RICH_MAX_CHARS) fail("rich message text is too long");
  if (countBlocks(blocks) > RICH_MAX_BLOCKS) fail("rich message has too many blocks");
  if (depthOf(blocks) > RICH_MAX_DEPTH) fail("rich message nesting is too deep");
  return { blocks, text };
}

// ---- blocks -----------------------------------------------------------------

function checkBlocks(value: unknown): RichJson[] {
  if (!Array.isArray(value)) return fail('field "blocks" must be of type Array');
  return value.map(checkBlock);
}

function checkBlock(value: unknown): RichJson {
  if (!isRecord(value) || typeof value.type !== "string") return fail("can't parse rich block");
  const fields = BLOCK_TEXT[value.type];
  if (!fields) return fail(`unsupported rich block type "${value.type}"`);
  for (const field of fields) checkText(value[field], `${value.type}.${field}`);
  switch (value.type) {
    case "heading":
      if (![1, 2, 3, 4, 5, 6].includes(Number(value.size))) fail("heading size must be 1-6");
      break;
    case "mathematical_expression":
      if (typeof value.expression !== "string" || value.expression.trim() === "")
        fail("mathematical expression must be non-empty");
      break;
    case "list":
      if (!Array.isArray(value.items) || value.items.length === 0) fail("list must have items");
      for (const item of value.items as unknown[]) {
        if (!isRecord(item)) fail("can't parse list item");
        else checkBlocks(item.blocks);
      }
      break;
    case "blockquote":
    case "details":
      checkBlocks(value.blocks);
      break;
    case "table":
      checkTable(value.cells);
      break;
  }
  return value;
}

function checkTable(cells: unknown): void {
  if (!Array.isArray(cells) || cells.length === 0) fail("table must have rows");
  for (const row of cells as unknown[]) {
    if (!Array.isArray(row) || row.length === 0) fail("table row must have cells");
    let width = 0;
    for (const cell of row as unknown[]) {
      if (!isRecord(cell)) throw new RichMessageError("can't parse table cell");
      if (!["left", "center", "right"].includes(String(cell.align)))
        fail("table cell align must be one of left, center or right");
      if (!["top", "middle", "bottom"].includes(String(cell.valign)))
        fail("table cell valign must be one of top, middle or bottom");
      if (cell.text !== undefined) checkText(cell.text, "table cell");
      width += typeof cell.colspan === "number" ? cell.colspan : 1;
    }
    if (width > RICH_MAX_COLUMNS) fail(`a table can't have more than ${RICH_MAX_COLUMNS} columns`);
  }
}

function checkText(value: unknown, where: string): void {
  if (typeof value === "string") return;
  if (Array.isArray(value)) {
    for (const v of value) checkText(v, where);
    return;
  }
  if (!isRecord(value) || !TEXT_TYPES.has(String(value.type))) fail(`can't parse ${where}`);
  else if (value.type === "url" && !/^(https?|tg|mailto):/i.test(String(value.url)))
    fail("unsupported URL protocol");
  else if (value.text !== undefined) checkText(value.text, where);
}

function* walkBlocks(blocks: readonly RichJson[]): Generator<RichJson> {
  for (const block of blocks) {
    yield block;
    if (Array.isArray(block.blocks)) yield* walkBlocks(block.blocks as RichJson[]);
    if (Array.isArray(block.items))
      for (const item of block.items as RichJson[]) yield* walkBlocks(item.blocks as RichJson[]);
  }
}

// ---- counting ---------------------------------------------------------------

const codePoints = (s: string): number => [...s].length;

/** Characters of rich text: visible text, formula sources, custom emoji alternative text. */
function textChars(value: unknown): number {
  if (typeof value === "string") return codePoints(value);
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textChars(v), 0);
  if (!isRecord(value)) return 0;
  if (typeof value.expression === "string") return codePoints(value.expression);
  if (typeof value.alternative_text === "string") return codePoints(value.alternative_text);
  return textChars(value.text);
}

function countChars(blocks: readonly RichJson[]): number {
  let n = 0;
  for (const b of walkBlocks(blocks)) {
    n += textChars(b.text) + textChars(b.summary) + textChars(b.credit);
    if (typeof b.expression === "string") n += codePoints(b.expression);
    if (Array.isArray(b.cells)) n += textChars((b.cells as RichJson[][]).flat().map((c) => c.text));
  }
  return n;
}

function countBlocks(blocks: readonly RichJson[]): number {
  let n = 0;
  for (const b of walkBlocks(blocks)) {
    n += 1;
    if (Array.isArray(b.items)) n += b.items.length;
    if (Array.isArray(b.cells)) n += b.cells.length;
  }
  return n;
}

/** Levels of nesting: blocks inside blocks, and formatting inside formatting. */
function depthOf(blocks: readonly RichJson[]): number {
  const text = (value: unknown): number => {
    if (Array.isArray(value)) return Math.max(0, ...value.map(text));
    return isRecord(value) ? 1 + text(value.text) : 0;
  };
  return Math.max(
    0,
    ...blocks.map((b) => {
      const inner = [
        ...(Array.isArray(b.blocks) ? (b.blocks as RichJson[]) : []),
        ...(Array.isArray(b.items)
          ? (b.items as RichJson[]).flatMap((i) => i.blocks as RichJson[])
          : []),
      ];
      const cells = Array.isArray(b.cells)
        ? (b.cells as RichJson[][]).flat().map((c) => c.text)
        : [];
      return 1 + Math.max(depthOf(inner), text(b.text), text(b.summary), ...cells.map(text));
    }),
  );
}

// ---- plain text -------------------------------------------------------------

/** Rich text as it reads: formulas as their source. */
export function richTextPlain(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(richTextPlain).join("");
  if (!isRecord(value)) return "";
  if (typeof value.expression === "string") return value.expression;
  if (typeof value.alternative_text === "string") return value.alternative_text;
  return richTextPlain(value.text);
}

/** What rich blocks read as, one block a paragraph: list items and table rows a line each. */
export function plainText(blocks: readonly RichJson[]): string {
  return blocks
    .map((b): string => {
      switch (b.type) {
        case "list":
          return (b.items as RichJson[])
            .map((item) => {
              const mark = item.has_checkbox ? (item.is_checked ? "[x] " : "[ ] ") : "";
              const label = typeof item.value === "number" ? `${item.value}. ` : "• ";
              return `${label}${mark}${plainText(item.blocks as RichJson[])}`;
            })
            .join("\n");
        case "table":
          return (b.cells as RichJson[][])
            .map((row) => row.map((c) => richTextPlain(c.text)).join(" | "))
            .join("\n");
        case "blockquote":
          return plainText(b.blocks as RichJson[]);
        case "details":
          return `${richTextPlain(b.summary)}\n${plainText(b.blocks as RichJson[])}`;
        case "mathematical_expression":
          return String(b.expression);
        default:
          return richTextPlain(b.text);
      }
    })
    .filter((s) => s !== "")
    .join("\n\n");
}

// ---- markdown and html --------------------------------------------------------

const md = new MarkdownIt({ html: false });

/**
 * Rich Markdown as Telegram documents it, for what a test sends by hand: GFM
 * blocks, `$…$` formulas (no space inside the dollars), `$$…$$` and ```math.
 */
function markdownBlocks(source: string): RichJson[] {
  const out: RichJson[] = [];
  const tokens = md.parse(source, {});
  for (const [i, t] of tokens.entries()) {
    const inline = tokens[i + 1]?.children ?? [];
    const text = (): unknown => mathText(inline.map((c) => c.content).join(""));
    if (t.type === "heading_open" && t.level === 0)
      out.push({ type: "heading", size: Number(t.tag.slice(1)), text: text() });
    else if (t.type === "paragraph_open" && t.level === 0) {
      const display = /^\$\$([\s\S]+)\$\$$/.exec(tokens[i + 1]?.content.trim() ?? "");
      out.push(
        display
          ? { type: "mathematical_expression", expression: display[1]?.trim() }
          : { type: "paragraph", text: text() },
      );
    } else if (t.type === "fence" && t.level === 0)
      out.push(
        t.info.trim() === "math"
          ? { type: "mathematical_expression", expression: t.content.trim() }
          : { type: "pre", text: t.content.replace(/\n$/, ""), language: t.info.trim() },
      );
    else if (t.type === "hr" && t.level === 0) out.push({ type: "divider" });
    else if (t.type === "table_open") out.push({ type: "table", cells: [] });
    else if (t.type === "tr_open") (out.at(-1)?.cells as unknown[][] | undefined)?.push([]);
    else if (t.type === "th_open" || t.type === "td_open") {
      const rows = out.at(-1)?.cells as RichJson[][] | undefined;
      rows?.at(-1)?.push({ text: text(), align: "left", valign: "top" });
    } else if ((t.type === "bullet_list_open" || t.type === "ordered_list_open") && t.level === 0)
      out.push({ type: "list", items: [] });
    else if (t.type === "inline" && tokens[i - 2]?.type === "list_item_open") {
      const list = out.at(-1);
      if (Array.isArray(list?.items))
        list.items.push({ blocks: [{ type: "paragraph", text: t.content }] });
    }
  }
  return out;
}

/** `$…$` formulas in a line of rich Markdown. */
function mathText(line: string): unknown {
  const parts: unknown[] = [];
  let rest = line;
  for (
    let m = /\$([^\s$](?:[^$]*[^\s$])?)\$/.exec(rest);
    m;
    m = /\$([^\s$](?:[^$]*[^\s$])?)\$/.exec(rest)
  ) {
    if (m.index > 0) parts.push(rest.slice(0, m.index));
    parts.push({ type: "mathematical_expression", expression: m[1] });
    rest = rest.slice(m.index + m[0].length);
  }
  if (rest) parts.push(rest);
  return parts.length === 1 ? parts[0] : parts;
}

const HTML_BLOCK_TAGS =
  /^(p|h[1-6]|pre|blockquote|li|tr|details|hr|tg-math-block|tg-thinking|footer|aside|figure)$/;

/** Rich HTML, for what a test sends by hand: each block-level element a paragraph of its text. */
function htmlBlocks(source: string): RichJson[] {
  const out: RichJson[] = [];
  let current = "";
  const flush = (type = "paragraph"): void => {
    const text = current.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").trim();
    if (text || type === "thinking") out.push({ type, text });
    current = "";
  };
  for (const part of source.split(/(<[^>]*>)/)) {
    const tag = /^<\/?\s*([a-z0-9-]+)/i.exec(part)?.[1]?.toLowerCase();
    if (tag === undefined) current += part;
    else if (tag === "br") current += "\n";
    else if (tag === "tg-thinking") flush(part.startsWith("</") ? "thinking" : "paragraph");
    else if (HTML_BLOCK_TAGS.test(tag)) flush();
  }
  flush();
  return out;
}
