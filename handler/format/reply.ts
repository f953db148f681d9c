import { escapeHtml } from "./escape.js";
import { type RichBlock, renderRichBlocks } from "./rich.js";
import { type RichLimits, splitRichBlocks } from "./rich-split.js";
import { extractThinking, formatReply, MAX_THINKING_SHOWN } from "./thinking.js";

/**
 * Longest reasoning kept in a rich answer's collapsed block: its end (the
 * conclusion). With the longest stored answer (20,000 characters) it still
 * fits one rich message.
 */
export const MAX_RICH_THINKING_SHOWN = 8_000;

/** Everything a final answer shows, before it is rendered for Telegram. */
export interface ReplyParts {
  /** The model's answer, in its own Markdown. */
  readonly answer: string;
  /** The model's reasoning (may be empty). */
  readonly thinking: string;
  readonly showThinking: "collapsed" | "hidden";
  /** Lines under the answer, shown in italics (cut off, stopped). */
  readonly notes: readonly string[];
  /** The stats line, last. */
  readonly footer?: string;
}

/** The last `max` characters of `text`, marked as cut when they are not all of it. */
function tail(text: string, max: number): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** The final answer as Telegram HTML: reasoning (collapsed) above the answer, notes in italics. */
export function formatHtmlReply(parts: ReplyParts): string {
  const lines = [...parts.notes, ...(parts.footer ? [parts.footer] : [])];
  return [formatReply(parts), ...lines.map((line) => `<i>${escapeHtml(line)}</i>`)].join("\n\n");
}

/**
 * The final answer as rich blocks. It leads with the answer; the reasoning
 * follows, folded into a collapsed block (the answer is what the user asked
 * for, and the reasoning stays one tap away), and the stats are its footer.
 */
export function formatRichReply(parts: ReplyParts): RichBlock[] {
  const blocks = renderRichBlocks(parts.answer);
  for (const note of parts.notes)
    blocks.push({ type: "paragraph", text: { type: "italic", text: note } });
  const thinking = parts.thinking.trim();
  if (parts.showThinking === "collapsed" && thinking) {
    blocks.push({
      type: "details",
      summary: "💭 Reasoning",
      blocks: [{ type: "paragraph", text: tail(thinking, MAX_RICH_THINKING_SHOWN) }],
    });
  }
  if (parts.footer) blocks.push({ type: "footer", text: parts.footer });
  return blocks;
}

/**
 * The answer of a still-streaming output as rich messages, without its
 * reasoning; undefined while there is no answer text yet (or what may be the
 * start of a `<think>` tag).
 */
export function richPartialPages(rawSoFar: string, limits?: RichLimits): RichBlock[][] | undefined {
  if ("<think>".startsWith(rawSoFar.trimStart())) return undefined;
  const { answer } = extractThinking(rawSoFar);
  if (answer.trim().length === 0) return undefined;
  return splitRichBlocks(renderRichBlocks(answer), limits);
}

/**
 * What a draft shows while the model reasons and has written no answer yet:
 * Telegram's thinking block with the latest of the reasoning (from
 * `message.thinking`, or a `<think>` section of the content), or only the
 * block's placeholder when reasoning is hidden. Undefined without reasoning.
 */
export function richThinkingFrame(
  rawSoFar: string,
  thinkingSoFar: string,
  showThinking: "collapsed" | "hidden",
): RichBlock[] | undefined {
  const inline = rawSoFar.trimStart().startsWith("<think>")
    ? extractThinking(rawSoFar).thinking
    : "";
  const thinking = [thinkingSoFar.trim(), inline].filter(Boolean).join("\n\n");
  if (thinking === "") return undefined;
  const text = showThinking === "hidden" ? "Thinking…" : tail(thinking, MAX_THINKING_SHOWN);
  return [{ type: "thinking", text }];
}
