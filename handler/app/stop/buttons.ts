import { TelegramApiError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Turn, TurnOutcome } from "../conversation/turn.js";
import type { ChatGateway, InlineButton } from "../ports.js";
import type { WorkRef } from "./stop-switch.js";

/**
 * What a button does, by the prefix of its `callback_data`
 * (`<prefix>:<user id>:<work id>`, at most 64 bytes): Stop under a streaming
 * answer and Cancel under a model download both stop the work they name.
 */
const ACTIONS: Readonly<Record<string, { readonly stopping: string; readonly done: string }>> = {
  stop: { stopping: "⏹ Stopping the answer…", done: "That answer has already finished." },
  pull: { stopping: "⏹ Cancelling the download…", done: "That download has already finished." },
};

/** The button that stops `work` (`kind` is `stop` for answers, `pull` for downloads). */
export function stopButton(kind: "stop" | "pull", work: WorkRef): InlineButton {
  return {
    text: kind === "stop" ? "⏹ Stop" : "✖️ Cancel",
    data: `${kind}:${work.userId}:${work.workId}`,
  };
}

/**
 * Answers a button press: routes it by prefix, lets only the person who
 * started the work stop it, and always answers the press (Telegram shows a
 * spinner on the button until it is answered).
 */
export async function pressButton(turn: Turn, queryId: string, data: string): Promise<TurnOutcome> {
  const answer = (text: string, alert = false) =>
    answerPress(turn.services.telegram, turn.log, queryId, text, alert);
  const match = /^([a-z]+):(\d+):(\d+)$/.exec(data);
  const action = match ? ACTIONS[match[1] ?? ""] : undefined;
  if (!match || !action) {
    turn.log.info("button press with unknown data", { data: data.slice(0, 64) });
    await answer("This button no longer does anything.");
    return "handled";
  }
  const owner = Number(match[2]);
  if (owner !== turn.msg.userId) {
    await answer("Only the person who asked can stop this.", true);
    return "handled";
  }
  const outcome = await turn.stops.request(turn.msg.chatId, owner, Number(match[3]));
  turn.log.info("stop requested by a button", { outcome, action: match[1] });
  await answer(outcome === "stopping" ? action.stopping : action.done);
  return "handled";
}

/**
 * Answers a press. A press answered late (a redelivery, a slow invoke) gets
 * `400 query is too old`: nothing is left to do then, and the work it asked
 * for was done anyway, so that is not a failure worth retrying.
 */
export async function answerPress(
  telegram: ChatGateway,
  log: Logger,
  queryId: string,
  text: string,
  alert = false,
): Promise<void> {
  try {
    await telegram.answerCallback(queryId, text, { alert });
  } catch (err) {
    if (!(err instanceof TelegramApiError && err.code === 400)) throw err;
    log.info("telegram no longer takes an answer to this press", { description: err.description });
  }
}
