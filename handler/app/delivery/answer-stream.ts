import { TelegramApiError } from "../../errors.js";
import type { ReplyParts } from "../../format/index.js";
import type { Turn } from "../conversation/turn.js";
import { stopButton } from "../stop/buttons.js";
import type { WorkRef } from "../stop/stop-switch.js";
import { type AnswerFormat, htmlFormat } from "./answer-format.js";
import { DraftReply } from "./draft-streaming.js";
import { richFormat } from "./rich-format.js";
import { RichUnavailableError } from "./rich-support.js";
import { type AnswerStream, StreamingReply } from "./streaming.js";

/** Least time between two edits (or draft frames) of a private chat, and of a group. */
const PRIVATE_INTERVAL_MS = 1_000;
const GROUP_INTERVAL_MS = 3_000;

/**
 * The ways this turn's answer can be written: rich messages while the Bot
 * API server has them (and RICH_MESSAGES is not off), and HTML, which every
 * server takes.
 */
export function answerFormats(turn: Turn): {
  readonly rich: AnswerFormat<unknown> | undefined;
  readonly html: AnswerFormat<string>;
} {
  const { services, delivery, log } = turn;
  const html = htmlFormat(services.telegram, services.replier, delivery, log);
  const rich = delivery.rich.usable
    ? richFormat(services.telegram, delivery.rich, services.config.chat.showThinking, log)
    : undefined;
  return { rich, html };
}

/**
 * How this turn's answer is shown while the model writes it (`STREAM_MODE`):
 * a native draft in private chats (`draft`, with Telegram's own Stop), a
 * message edited as it grows with a Stop button under it (`edit`, and groups
 * in `draft` mode), or nothing until it is complete (`off`). Each in rich
 * messages where the server has them, falling back to HTML where it has not.
 */
export function openAnswerStream(turn: Turn, work: WorkRef): AnswerStream | undefined {
  const { msg, target, log } = turn;
  const mode = turn.services.config.chat.streamMode;
  if (mode === "off") return undefined;
  const interval = msg.isGroup ? GROUP_INTERVAL_MS : PRIVATE_INTERVAL_MS;
  const formats = answerFormats(turn);
  const edits = <P>(format: AnswerFormat<P>, fallback?: () => AnswerStream) =>
    new StreamingReply(target, log, {
      format,
      minEditIntervalMs: interval,
      buttons: [stopButton("stop", work)],
      fallback,
    });
  const drafts = <P>(format: AnswerFormat<P>, fallback: () => AnswerStream) =>
    new DraftReply(target, log, {
      format,
      draftId: work.workId,
      minIntervalMs: interval,
      fallback,
    });
  const useEdits = mode === "edit" || msg.isGroup;
  const htmlStream = (): AnswerStream =>
    useEdits || turn.delivery.draftsUnavailable
      ? edits(formats.html)
      : drafts(formats.html, () => edits(formats.html));
  const { rich } = formats;
  if (!rich) return htmlStream();
  return useEdits ? edits(rich, htmlStream) : drafts(rich, htmlStream);
}

/**
 * Shows the final answer: through the stream that showed it growing, else as
 * new messages. A rich answer Telegram refuses (or a server found without
 * rich messages) is sent again as HTML, so the answer is never lost to the
 * newer format; an HTML refusal is for the caller.
 */
export async function showFinal(
  turn: Turn,
  stream: AnswerStream | undefined,
  answer: ReplyParts,
): Promise<void> {
  const { rich, html } = answerFormats(turn);
  try {
    if (stream) await stream.finish(answer);
    else await (rich ?? html).sendFinal(turn.target, answer);
    return;
  } catch (err) {
    const wasRich = stream ? stream.rich : rich !== undefined;
    const missing = err instanceof RichUnavailableError;
    if (!wasRich || !(missing || (err instanceof TelegramApiError && err.code === 400))) throw err;
    if (!missing)
      turn.log.warn("telegram refused the rich answer; sending it as HTML", {
        description: err.description,
      });
  }
  await html.sendFinal(turn.target, answer);
}
