import type { RichText } from "@grammyjs/types";
import type { RichBlock } from "./rich.js";

/** How much one rich message may hold. */
export interface RichLimits {
  /** Characters of text, formula sources included (Unicode code points). */
  readonly chars: number;
  /** Blocks, counting nested blocks, list items and table rows. */
  readonly blocks: number;
}

/** Telegram's limits on one rich message (Bot API 10.1). */
export const RICH_LIMITS: RichLimits = { chars: 32_768, blocks: 500 };

interface Size {
  chars: number;
  blocks: number;
}

const length = (s: string): number => [...s].length;

/** Characters of rich text as Telegram counts them: what shows, and formula sources. */
export function richTextLength(text: RichText): number {
  if (typeof text === "string") return length(text);
  if (Array.isArray(text)) return text.reduce((n, t) => n + richTextLength(t), 0);
  if ("text" in text) return richTextLength(text.text);
  if ("expression" in text) return length(text.expression);
  if ("alternative_text" in text) return length(text.alternative_text);
  return 0;
}

const add = (a: Size, b: Size): Size => ({ chars: a.chars + b.chars, blocks: a.blocks + b.blocks });
const sum = (blocks: readonly RichBlock[]): Size =>
  blocks.reduce((s, b) => add(s, sizeOf(b)), { chars: 0, blocks: 0 });
const one = (...texts: (RichText | undefined)[]): Size => ({
  chars: texts.reduce<number>((n, t) => n + (t === undefined ? 0 : richTextLength(t)), 0),
  blocks: 1,
});

/** What a block counts against the limits. */
export function sizeOf(block: RichBlock): Size {
  switch (block.type) {
    case "list":
      return block.items.reduce((s, item) => add(s, add(sum(item.blocks), one())), one());
    case "blockquote":
      return add(one(block.credit), sum(block.blocks));
    case "details":
      return add(one(block.summary), sum(block.blocks));
    case "table":
      return {
        chars: block.cells.flat().reduce((n, c) => n + (c.text ? richTextLength(c.text) : 0), 0),
        blocks: 1 + block.cells.length,
      };
    case "mathematical_expression":
      return { chars: length(block.expression), blocks: 1 };
    case "paragraph":
    case "heading":
    case "pre":
    case "footer":
    case "thinking":
      return one(block.text);
    case "expandable_blockquote":
    case "pullquote":
      return one(block.text, block.credit);
    default:
      return one();
  }
}

const fits = (size: Size, limits: RichLimits): boolean =>
  size.chars <= limits.chars && size.blocks <= limits.blocks;

/**
 * Splits blocks into messages within `limits`, filling each as far as it
 * goes. A block is cut only when it is larger than a message on its own, and
 * then only between its parts: a list between items (numbers kept), a table
 * between rows (its header row repeated), a quote between its blocks; a code
 * block between lines only when it alone passes the character limit.
 */
export function splitRichBlocks(
  blocks: readonly RichBlock[],
  limits: RichLimits = RICH_LIMITS,
): RichBlock[][] {
  const pages: RichBlock[][] = [];
  let page: RichBlock[] = [];
  let used: Size = { chars: 0, blocks: 0 };
  for (const block of blocks.flatMap((b) => fitting(b, limits))) {
    const size = sizeOf(block);
    if (page.length > 0 && !fits(add(used, size), limits)) {
      pages.push(page);
      page = [];
      used = { chars: 0, blocks: 0 };
    }
    page.push(block);
    used = add(used, size);
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

/** `block` as pieces that each fit in a message of their own. */
function fitting(block: RichBlock, limits: RichLimits): RichBlock[] {
  if (fits(sizeOf(block), limits)) return [block];
  const halves = divide(block);
  return halves ? halves.flatMap((b) => fitting(b, limits)) : [block];
}

const halve = <T>(items: readonly T[]): [T[], T[]] => {
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
};

/** Two smaller blocks saying what `block` says, or undefined when it cannot be cut. */
function divide(block: RichBlock): RichBlock[] | undefined {
  switch (block.type) {
    case "list": {
      if (block.items.length < 2) return undefined;
      return halve(block.items).map((items) => ({ ...block, items }));
    }
    case "table": {
      const head = block.cells.findIndex((row) => !row.every((c) => c.is_header));
      const header = block.cells.slice(0, Math.max(0, head));
      const body = block.cells.slice(header.length);
      if (body.length < 2) return undefined;
      return halve(body).map((rows) => ({ ...block, cells: [...header, ...rows] }));
    }
    case "blockquote":
    case "details": {
      if (block.blocks.length < 2) return undefined;
      return halve(block.blocks).map((blocks) => ({ ...block, blocks }));
    }
    case "pre": {
      const text = typeof block.text === "string" ? block.text : undefined;
      const lines = text?.split("\n") ?? [];
      if (lines.length < 2) return undefined;
      return halve(lines).map((part) => ({ ...block, text: part.join("\n") }));
    }
    case "paragraph": {
      const parts = divideText(block.text);
      return parts?.map((text) => ({ ...block, text }));
    }
    default:
      return undefined;
  }
}

/** Rich text cut in two, between its pieces or at a space near the middle of a string. */
function divideText(text: RichText): [RichText, RichText] | undefined {
  if (Array.isArray(text)) return text.length < 2 ? undefined : halve(text);
  if (typeof text !== "string" || text.length < 2) return undefined;
  const mid = Math.floor(text.length / 2);
  const space = text.lastIndexOf(" ", mid);
  let at = space > 0 ? space : mid;
  if (/[\udc00-\udfff]/.test(text[at] ?? "")) at--; // never half a surrogate pair
  return [text.slice(0, at), text.slice(at)];
}
