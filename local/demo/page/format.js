// Telegram-formatted text as DOM nodes: the message text and its entities
// (UTF-16 offsets, nested), drawn with textContent only, never as HTML.

/** Builds Telegram-formatted text (UTF-16 offsets, nested entities) as DOM nodes. */
export function formatted(text, entities) {
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  return build(text, sorted, 0, text.length);
}

function build(text, entities, start, end) {
  const out = document.createDocumentFragment();
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const e = entities[i];
    const stop = Math.min(end, e.offset + e.length);
    let j = i + 1;
    while (j < entities.length && entities[j].offset < stop) j++;
    if (e.offset >= pos) {
      out.append(text.slice(pos, e.offset));
      const { outer, inner } = elementFor(e);
      inner.append(build(text, entities.slice(i + 1, j), e.offset, stop));
      out.append(outer);
      pos = stop;
    }
    i = j;
  }
  out.append(text.slice(pos, end));
  return out;
}

const TAGS = {
  bold: "strong",
  italic: "em",
  underline: "u",
  strikethrough: "s",
  code: "code",
  blockquote: "blockquote",
};

function elementFor(entity) {
  const single = (tag) => {
    const el = document.createElement(tag);
    return { outer: el, inner: el };
  };
  if (TAGS[entity.type]) return single(TAGS[entity.type]);
  if (entity.type === "pre") {
    const pre = document.createElement("pre");
    const code = document.createElement("code");
    pre.append(code);
    return { outer: pre, inner: code };
  }
  if (entity.type === "expandable_blockquote") {
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Show more";
    const quote = document.createElement("blockquote");
    details.append(summary, quote);
    return { outer: details, inner: quote };
  }
  const link = entity.type === "text_link" ? linkTo(entity.url) : undefined;
  if (link) return { outer: link, inner: link };
  if (entity.type === "spoiler") {
    const span = spoiler();
    return { outer: span, inner: span };
  }
  return single("span");
}

/**
 * A link that opens in a new tab, for the schemes a chat may open (web,
 * Telegram, e-mail, phone); undefined for any other (`javascript:` above all).
 */
export function linkTo(url) {
  if (!/^(https?:|tg:|mailto:|tel:)/i.test(url ?? "")) return undefined;
  const a = document.createElement("a");
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

/** Hidden text that shows itself when pressed (Telegram's spoiler). */
export function spoiler() {
  const span = document.createElement("span");
  span.className = "spoiler";
  span.tabIndex = 0;
  span.setAttribute("role", "button");
  span.setAttribute("aria-label", "Hidden text: press to show");
  const show = () => {
    span.classList.add("shown");
    span.removeAttribute("role");
    span.removeAttribute("aria-label");
  };
  span.addEventListener("click", show);
  span.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && show());
  return span;
}
