// Telegram's rich messages (Bot API 10.1) as DOM nodes: the blocks of a
// message or a draft (headings, paragraphs, lists, quotes, code, tables,
// formulas, collapsible blocks, the draft's thinking block) and their rich
// text, built with createElement and text nodes only, never as HTML. A
// formula shows its TeX source, as a client without a math renderer would.
import { linkTo, spoiler } from "/format.js";

/** A rich message's (or a rich draft's) blocks, drawn in a `div.rich`. */
export function richMessage(blocks) {
  return el("div", "rich", richBlocks(blocks));
}

function richBlocks(blocks) {
  const out = document.createDocumentFragment();
  for (const block of blocks ?? []) out.append(blockNode(block));
  return out;
}

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function blockNode(b) {
  switch (b.type) {
    case "paragraph":
      return el("p", "", richText(b.text));
    case "heading":
      return heading(b);
    case "pre":
      return codeBlock(b);
    case "footer":
      return el("p", "footer", el("small", "", richText(b.text)));
    case "divider":
      return el("hr");
    case "mathematical_expression":
      return formula(b.expression, "math-block");
    case "anchor":
      // Anchors only name a place in the message; names from model text never become ids.
      return document.createDocumentFragment();
    case "list":
      return list(b.items ?? []);
    case "blockquote":
      return quote(richBlocks(b.blocks), b.credit);
    case "expandable_blockquote":
      return collapsible("Quote", quote(el("p", "", richText(b.text)), b.credit), false);
    case "pullquote":
      return quote(el("p", "", richText(b.text)), b.credit, "pullquote");
    case "table":
      return table(b);
    case "details":
      return collapsible(richText(b.summary), richBlocks(b.blocks), b.is_open === true);
    case "thinking":
      return el("div", "thinking", richText(b.text));
    default:
      return unsupported(b);
  }
}

/** Sizes 1-6 as h3-h6 (under the page's own h1, the bot, and h2, the draft), sized by class. */
function heading(b) {
  const size = Math.min(6, Math.max(1, Number(b.size) || 1));
  return el(`h${Math.min(6, size + 2)}`, `size-${size}`, richText(b.text));
}

function codeBlock(b) {
  const code = el("code", "", richText(b.text));
  const wrap = el("div", "code-block");
  if (b.language) {
    code.dataset.language = b.language;
    wrap.append(el("span", "code-language", b.language));
  }
  wrap.append(el("pre", "", code));
  return wrap;
}

function formula(expression, className) {
  const node = el(className === "math-block" ? "div" : "span", className, String(expression ?? ""));
  node.setAttribute("role", "math");
  node.title = "Formula (TeX source)";
  return node;
}

/** Numbered when the items carry a number (ordered lists), else bullets; task items get a box. */
function list(items) {
  const ordered = items.some((item) => typeof item.value === "number" || item.type);
  const root = el(ordered ? "ol" : "ul", items.some((i) => i.has_checkbox) ? "tasks" : "");
  for (const item of items) {
    const li = el("li");
    if (ordered && typeof item.value === "number") li.value = item.value;
    if (ordered && item.type) li.type = item.type;
    if (item.has_checkbox) {
      const box = el("input");
      box.type = "checkbox";
      box.disabled = true;
      box.checked = item.is_checked === true;
      box.setAttribute("aria-label", item.is_checked ? "done" : "to do");
      li.append(box);
    }
    li.append(richBlocks(item.blocks));
    root.append(li);
  }
  return root;
}

function quote(content, credit, className = "") {
  const node = el("blockquote", className, content);
  if (credit !== undefined) node.append(el("cite", "", richText(credit)));
  return node;
}

function collapsible(summary, content, open) {
  const details = el("details", "", el("summary", "", summary), el("div", "details-body", content));
  details.open = open;
  return details;
}

function table(b) {
  const classes = [
    b.is_bordered && "bordered",
    b.is_striped && "striped",
    b.is_compact && "compact",
  ].filter(Boolean);
  const node = el("table", classes.join(" "));
  if (b.caption !== undefined) node.append(el("caption", "", richText(b.caption)));
  const body = el("tbody");
  for (const row of b.cells ?? []) {
    const tr = el("tr");
    for (const cell of row) {
      const td = el(cell.is_header ? "th" : "td", `align-${cell.align} valign-${cell.valign}`);
      if (cell.text === undefined) td.classList.add("invisible");
      else td.append(richText(cell.text));
      if (cell.colspan > 1) td.colSpan = cell.colspan;
      if (cell.rowspan > 1) td.rowSpan = cell.rowspan;
      tr.append(td);
    }
    body.append(tr);
  }
  node.append(body);
  return el("div", "table-scroll", node);
}

/** A block the demo does not draw (media, maps, buttons): its caption, and what it is. */
function unsupported(b) {
  const node = el("p", "unsupported", `[${String(b.type ?? "block").replace(/_/g, " ")}]`);
  if (b.caption?.text !== undefined) node.append(" ", richText(b.caption.text));
  return node;
}

const INLINE_TAGS = {
  bold: "strong",
  italic: "em",
  underline: "u",
  strikethrough: "s",
  subscript: "sub",
  superscript: "sup",
  marked: "mark",
  code: "code",
};

/** Rich text (a string, an array, or a typed part with nested text) as DOM nodes. */
function richText(value) {
  if (typeof value === "string") return document.createTextNode(value);
  const out = document.createDocumentFragment();
  if (Array.isArray(value)) {
    for (const part of value) out.append(richText(part));
    return out;
  }
  if (value === null || typeof value !== "object") return out;
  const inner = () => richText(value.text);
  if (INLINE_TAGS[value.type]) return el(INLINE_TAGS[value.type], "", inner());
  switch (value.type) {
    case "mathematical_expression":
      return formula(value.expression, "math");
    case "spoiler": {
      const span = spoiler();
      span.append(inner());
      return span;
    }
    case "custom_emoji":
      return document.createTextNode(String(value.alternative_text ?? ""));
    case "url":
    case "email_address":
    case "phone_number": {
      const href =
        value.type === "url"
          ? value.url
          : value.type === "email_address"
            ? `mailto:${value.email_address}`
            : `tel:${value.phone_number}`;
      const a = linkTo(href);
      if (!a) return inner();
      a.append(inner());
      return a;
    }
    case "anchor":
      return out;
    default:
      // Mentions, hashtags, commands, dates, references: their text, as written.
      return el("span", value.type ? `rich-${value.type}` : "", inner());
  }
}
