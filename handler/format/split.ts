/** Telegram's limit on a message's visible text, in UTF-16 code units. */
export const TELEGRAM_TEXT_LIMIT = 4096;

type Atom =
  | { kind: "open"; raw: string; name: string }
  | { kind: "close"; raw: string; name: string }
  | { kind: "text"; raw: string; visible: string };

const TAG = /^<(\/?)([a-z-]+)[^>]*>/i;
const ENTITY = /^&(#x[0-9a-f]+|#\d+|[a-z]+);/i;

function atomize(html: string): Atom[] {
  const atoms: Atom[] = [];
  let i = 0;
  while (i < html.length) {
    // A tag is matched whole, however long its attributes (a link's URL can be thousands of characters).
    const tagEnd = html[i] === "<" ? html.indexOf(">", i) : -1;
    const tag = tagEnd >= 0 ? TAG.exec(html.slice(i, tagEnd + 1)) : null;
    if (tag) {
      const name = (tag[2] ?? "").toLowerCase();
      atoms.push({ kind: tag[1] ? "close" : "open", raw: tag[0], name });
      i += tag[0].length;
      continue;
    }
    const entity = html[i] === "&" ? ENTITY.exec(html.slice(i, i + 16)) : null;
    if (entity) {
      atoms.push({ kind: "text", raw: entity[0], visible: "x" });
      i += entity[0].length;
      continue;
    }
    const cp = String.fromCodePoint(html.codePointAt(i) ?? 0);
    atoms.push({ kind: "text", raw: cp, visible: cp });
    i += cp.length;
  }
  return atoms;
}

/** Break preferences, best first: paragraph, line, sentence end, space. */
const BOUNDARIES: ReadonlyArray<(prev: string, cur: string) => boolean> = [
  (p, c) => p === "\n" && c === "\n",
  (_, c) => c === "\n",
  (p, c) => /[.!?]/.test(p) && c === " ",
  (_, c) => c === " " || c === "\t",
];

/**
 * Splits text (visible characters, with their positions) at the best boundary
 * at or before `limit`, keeping at least half a message before the cut.
 * @returns the index of the first unit of the next chunk.
 */
function bestCut(visible: readonly string[], start: number, limit: number): number {
  let len = 0;
  let end = start;
  while (end < visible.length && len + (visible[end]?.length ?? 0) <= limit)
    len += visible[end++]?.length ?? 0;
  if (end >= visible.length) return visible.length;
  const minEnd = start + Math.floor((end - start) / 2);
  for (const good of BOUNDARIES) {
    for (let i = end; i > minEnd; i--) if (good(visible[i - 1] ?? "", visible[i] ?? "")) return i;
  }
  return Math.max(end, start + 1);
}

/**
 * Splits Telegram HTML into messages of at most `limit` visible characters.
 * Never cuts a tag, an entity or a surrogate pair; an element open at a cut is
 * closed at the end of one chunk and reopened (same attributes) at the start of
 * the next, so a long code block stays a code block in every message. No message
 * starts with whitespace, except a code line's indentation inside `<pre>`.
 */
export function splitTelegramHtml(html: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const atoms = atomize(html);
  const textIdx: number[] = [];
  const visible: string[] = [];
  for (const [i, a] of atoms.entries()) {
    if (a.kind === "text") {
      textIdx.push(i);
      visible.push(a.visible === "x" ? "x" : a.raw);
    }
  }
  const chunks: string[] = [];
  const stack: Extract<Atom, { kind: "open" }>[] = [];
  let atomPos = 0;
  let vis = 0;
  while (atomPos < atoms.length) {
    const first = vis === 0;
    const cut = bestCut(visible, vis, limit);
    const stopAtom = cut < textIdx.length ? (textIdx[cut] ?? atoms.length) : atoms.length;
    let chunk = stack.map((s) => s.raw).join("");
    for (; atomPos < stopAtom; atomPos++) {
      const a = atoms[atomPos];
      if (!a) continue;
      chunk += a.raw;
      if (a.kind === "open") stack.push(a);
      else if (a.kind === "close") {
        const at = stack.map((s) => s.name).lastIndexOf(a.name);
        if (at >= 0) stack.splice(at, 1);
      }
    }
    chunk += [...stack]
      .reverse()
      .map((s) => `</${s.name}>`)
      .join("");
    vis = cut;
    if (hasVisibleText(chunk))
      chunks.push(
        chunk.replace(
          /^((?:<[^>]+>)*)(\s+)/,
          (_, tags: string, space: string) => tags + indentation(space, insidePre(tags), first),
        ),
      );
  }
  return chunks;
}

/** Whether the tags a chunk starts with leave it inside a code block. */
function insidePre(tags: string): boolean {
  return tags.toLowerCase().lastIndexOf("<pre") > tags.toLowerCase().lastIndexOf("</pre");
}

/**
 * What stays of the whitespace a chunk starts with: nothing (a part never starts with the
 * space or line break it was cut at), except, where lines may be code, the indentation
 * of its first line (all of it in the first chunk, which starts where the text does).
 */
function indentation(space: string, code: boolean, first: boolean): string {
  if (!code) return "";
  if (space.includes("\n")) return space.slice(space.lastIndexOf("\n") + 1);
  return first ? space : "";
}

/** True when a chunk shows something: Telegram refuses a message of tags and whitespace only. */
function hasVisibleText(html: string): boolean {
  // An entity is never whitespace (`&amp;`, `&lt;`…), so only the tags need removing.
  return html.replace(/<[^>]*>/g, "").trim().length > 0;
}

/** Splits plain text into messages of at most `limit` characters, at the best boundary. */
export function splitPlainText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  const units = Array.from(text);
  const chunks: string[] = [];
  let start = 0;
  while (start < units.length) {
    const cut = bestCut(units, start, limit);
    // Plain text cannot say which lines are code: a line's indentation stays.
    const chunk = units
      .slice(start, cut)
      .join("")
      .replace(/^\s+/, (space) => indentation(space, true, start === 0));
    if (chunk.trim().length > 0) chunks.push(chunk);
    start = cut;
  }
  return chunks;
}
