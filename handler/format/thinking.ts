import { escapeHtml } from "./escape.js";
import { renderTelegramHtml } from "./markdown.js";
import { splitTelegramHtml } from "./split.js";

/** Longest reasoning shown; its end is kept (the conclusion), never crowding out the answer. */
export const MAX_THINKING_SHOWN = 1000;

/**
 * Separates a reasoning model's `<think>…</think>` from its answer. An
 * unterminated `<think>` (a stream still running) makes the rest thinking so far.
 */
export function extractThinking(raw: string): { thinking: string; answer: string } {
  const parts: string[] = [];
  let answer = raw.replace(/<think>([\s\S]*?)<\/think>/g, (_, inner: string) => {
    parts.push(inner.trim());
    return "";
  });
  const open = answer.indexOf("<think>");
  if (open >= 0) {
    parts.push(answer.slice(open + "<think>".length).trim());
    answer = answer.slice(0, open);
  }
  return { thinking: parts.filter(Boolean).join("\n\n"), answer: answer.trim() };
}

/** The final message: the rendered answer, with the reasoning as a collapsed quote unless hidden. */
export function formatReply(args: {
  answer: string;
  thinking: string;
  showThinking: "collapsed" | "hidden";
}): string {
  const body = renderTelegramHtml(args.answer);
  const thinking = args.thinking.trim();
  if (args.showThinking === "hidden" || thinking.length === 0) return body;
  const shown =
    thinking.length > MAX_THINKING_SHOWN ? `…${thinking.slice(-MAX_THINKING_SHOWN)}` : thinking;
  return `<blockquote expandable>💭 ${escapeHtml(shown)}</blockquote>\n${body}`;
}

/** Renders an answer that is still streaming; markdown-it closes what the model has not closed yet. */
export function renderPartial(rawSoFar: string): string {
  return renderTelegramHtml(rawSoFar);
}

/**
 * What of a still-streaming output can be shown now: the answer so far,
 * without its reasoning, rendered and split into Telegram messages. Undefined
 * while there is nothing to show: no answer text yet, or text that may be the
 * start of a `<think>` tag ("<thi"), which must never appear as text.
 */
export function partialAnswerParts(rawSoFar: string): string[] | undefined {
  if ("<think>".startsWith(rawSoFar.trimStart())) return undefined;
  const { answer } = extractThinking(rawSoFar);
  if (answer.trim().length === 0) return undefined;
  return splitTelegramHtml(renderPartial(answer));
}
