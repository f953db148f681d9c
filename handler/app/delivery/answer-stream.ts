import type { Turn } from "../conversation/turn.js";
import { stopButton } from "../stop/buttons.js";
import type { WorkRef } from "../stop/stop-switch.js";
import { DraftReply } from "./draft-streaming.js";
import { type AnswerStream, StreamingReply } from "./streaming.js";

/** Least time between two edits (or draft frames) of a private chat, and of a group. */
const PRIVATE_INTERVAL_MS = 1_000;
const GROUP_INTERVAL_MS = 3_000;

/**
 * How this turn's answer is shown while the model writes it (`STREAM_MODE`):
 * a native draft in private chats (`draft`, with Telegram's own Stop), a
 * message edited as it grows with a Stop button under it (`edit`, and groups
 * in `draft` mode), or nothing until it is complete (`off`).
 */
export function openAnswerStream(turn: Turn, work: WorkRef): AnswerStream | undefined {
  const { services, msg, target, log } = turn;
  const mode = services.config.chat.streamMode;
  if (mode === "off") return undefined;
  const interval = msg.isGroup ? GROUP_INTERVAL_MS : PRIVATE_INTERVAL_MS;
  const edits = () =>
    new StreamingReply(services.replier, target, log, {
      minEditIntervalMs: interval,
      buttons: [stopButton("stop", work)],
    });
  if (mode === "edit" || msg.isGroup || turn.delivery.draftsUnavailable) return edits();
  return new DraftReply(services.telegram, services.replier, target, log, turn.delivery, {
    draftId: work.workId,
    minIntervalMs: interval,
    fallback: edits,
  });
}
