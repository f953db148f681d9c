/** Turning a model's raw output into Telegram messages: pure functions, no I/O. */
export { decodeEntities, escapeHtml, toPlainText } from "./escape.js";
export { renderTelegramHtml } from "./markdown.js";
export { splitPlainText, splitTelegramHtml, TELEGRAM_TEXT_LIMIT } from "./split.js";
export {
  extractThinking,
  formatReply,
  MAX_THINKING_SHOWN,
  partialAnswerParts,
  renderPartial,
} from "./thinking.js";
