import type MarkdownItClass from "markdown-it";

type MarkdownIt = InstanceType<typeof MarkdownItClass>;
type InlineRule = Parameters<MarkdownIt["inline"]["ruler"]["before"]>[2];
type BlockRule = Parameters<MarkdownIt["block"]["ruler"]["before"]>[2];
type InlineState = Parameters<InlineRule>[0];

/** Token types this plugin adds: `content` is the LaTeX source, without delimiters. */
export const MATH_INLINE = "math_inline";
export const MATH_DISPLAY = "math_display";
export const MATH_BLOCK = "math_block";

const isSpace = (ch: string | undefined): boolean => ch === undefined || /\s/.test(ch);
const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= "0" && ch <= "9";
const isAlnum = (ch: string | undefined): boolean => ch !== undefined && /[A-Za-z0-9]/.test(ch);

/** True when the character at `at` is escaped by an odd run of backslashes. */
function escaped(src: string, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= 0 && src[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

/** The first unescaped `marker` at or after `from`, or -1. */
function findUnescaped(src: string, marker: string, from: number, to: number): number {
  for (let at = src.indexOf(marker, from); at >= 0 && at < to; at = src.indexOf(marker, at + 1)) {
    if (!escaped(src, at)) return at;
  }
  return -1;
}

/**
 * Sentences are not formulas: two words of three or more letters in a row
 * (TeX commands and their braced arguments, `\text{per day}`, set aside).
 * "$5 and you get 10$" is prose between two prices; "$E = mc^2$" is not.
 */
export function looksLikeProse(tex: string): boolean {
  const bare = tex.replace(/\\[A-Za-z]+(\{[^{}]*\})?/g, " ");
  return /[A-Za-z]{3,}\s+[A-Za-z]{3,}/.test(bare);
}

/**
 * `$…$` is a formula only when it reads like one, so that prices and shell
 * variables stay text: the opening `$` follows no letter or digit and has no
 * space after it; the very next unescaped `$` closes it (a `$` never pairs
 * across another one), has no space before it and no digit after it ("$5 and
 * $10", "$5-$10"); a letter right after it is allowed only after a one-letter
 * formula ("the $n$th", but not "$PATH:$HOME"); and its content is not prose.
 */
function singleDollar(state: InlineState, silent: boolean): boolean {
  const { src, pos, posMax } = state;
  if (isAlnum(src[pos - 1]) || isSpace(src[pos + 1])) return false;
  const end = findUnescaped(src, "$", pos + 1, posMax);
  if (end < 0) return false;
  const tex = src.slice(pos + 1, end);
  const after = src[end + 1];
  if (isSpace(src[end - 1]) || isDigit(after)) return false;
  if (/[A-Za-z]/.test(after ?? "") && [...tex].length > 1) return false;
  if (looksLikeProse(tex)) return false;
  if (!silent) state.push(MATH_INLINE, "math", 0).content = tex;
  state.pos = end + 1;
  return true;
}

/** `$$…$$` and `\[…\]` inside a line: a displayed formula (alone in its paragraph, a block). */
function delimited(
  state: InlineState,
  silent: boolean,
  open: string,
  close: string,
  type: string,
): boolean {
  const { src, pos, posMax } = state;
  if (!src.startsWith(open, pos)) return false;
  const end = findUnescaped(src, close, pos + open.length, posMax);
  if (end < 0) return false;
  const tex = src.slice(pos + open.length, end).trim();
  if (tex === "") return false;
  // "arr\[0\]" is an escaped bracket, not display math: \[ must start a word and hold TeX.
  if (open === "\\[" && (!isSpace(src[pos - 1]) || !/[\s\\^_={}]/.test(tex))) return false;
  if (!silent) state.push(type, "math", 0).content = tex;
  state.pos = end + close.length;
  return true;
}

const mathInline: InlineRule = (state, silent) => {
  const ch = state.src[state.pos];
  if (ch === "$") {
    return state.src[state.pos + 1] === "$"
      ? delimited(state, silent, "$$", "$$", MATH_DISPLAY)
      : singleDollar(state, silent);
  }
  if (ch !== "\\") return false;
  return (
    delimited(state, silent, "\\(", "\\)", MATH_INLINE) ||
    delimited(state, silent, "\\[", "\\]", MATH_DISPLAY)
  );
};

/**
 * A displayed formula on lines of its own (`$$` or `\[` starting a line, the
 * matching `$$` or `\]` ending one), read before Markdown can take a line of it
 * for a list item or a heading ("+ 2x", "= b").
 */
const mathBlock: BlockRule = (state, startLine, endLine, silent) => {
  if ((state.sCount[startLine] ?? 0) - state.blkIndent >= 4) return false;
  const line = (n: number): string =>
    state.src.slice((state.bMarks[n] ?? 0) + (state.tShift[n] ?? 0), state.eMarks[n]).trimEnd();
  const first = line(startLine);
  const [open, close] = first.startsWith("$$") ? ["$$", "$$"] : ["\\[", "\\]"];
  if (!first.startsWith(open)) return false;
  let body = first.slice(open.length);
  let last = startLine;
  const closedOn = (text: string): boolean =>
    text.endsWith(close) && !escaped(text, text.length - close.length);
  if (!(body.trim() !== "" && closedOn(body))) {
    // The formula goes on until a line that ends with the closing delimiter.
    if (body.trim() !== "" && body.includes(close)) return false; // "$$x$$ is …": inline
    for (last = startLine + 1; last < endLine; last++) {
      const text = line(last);
      // TeX allows no blank line in a displayed formula: this was not one.
      if (text === "") return false;
      body += `\n${text}`;
      if (closedOn(text)) break;
    }
    if (last >= endLine) return false;
  }
  const tex = body.slice(0, body.length - close.length).trim();
  if (tex === "") return false;
  if (silent) return true;
  const token = state.push(MATH_BLOCK, "math", 0);
  token.content = tex;
  token.map = [startLine, last + 1];
  state.line = last + 1;
  return true;
};

/**
 * A markdown-it plugin for the formulas models write: `$…$` and `\(…\)`
 * inline, `$$…$$` and `\[…\]` displayed, with the money rule of
 * {@link singleDollar}. Code spans and blocks stay literal (markdown-it reads
 * them first), and `\$` is always a dollar sign.
 */
export function mathPlugin(md: MarkdownIt): void {
  md.inline.ruler.before("escape", "math_inline", mathInline);
  md.block.ruler.before("fence", MATH_BLOCK, mathBlock, {
    alt: ["paragraph", "reference", "blockquote", "list"],
  });
}
