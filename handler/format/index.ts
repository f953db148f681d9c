/** Turning a model's raw output into Telegram messages: pure functions, no I/O. */
export { decodeEntities, escapeHtml, toPlainText } from "./escape.js";
export { renderTelegramHtml } from "./markdown.js";
export {
  formatHtmlReply,
  formatRichReply,
  MAX_RICH_THINKING_SHOWN,
  type ReplyParts,
  richPartialPages,
  richThinkingFrame,
} from "./reply.js";
export { type RichBlock, renderRichBlocks } from "./rich.js";
export { RICH_LIMITS, type RichLimits, splitRichBlocks } from "./rich-split.js";
export { splitPlainText, splitTelegramHtml, TELEGRAM_TEXT_LIMIT } from "./split.js";
export {
  extractThinking,
  formatReply,
  MAX_THINKING_SHOWN,
  partialAnswerParts,
  renderPartial,
} from "./thinking.js";
