import type { CommandTable } from "../commands/command.js";
import { say, type Turn, type TurnOutcome } from "../conversation/turn.js";

/** `/stop`: stops the sender's answer (or download) running in this chat. */
export const STOP_COMMANDS: CommandTable = {
  stop: {
    description: "Stop the answer being written",
    run: async (turn) => {
      const outcome = await turn.stops.request(turn.msg.chatId, turn.msg.userId);
      turn.log.info("stop requested by /stop", { outcome });
      // When it stops, the answer itself says so: one message is enough.
      if (outcome === "finished")
        await say(turn, "Nothing to stop: no answer of yours is being written here.");
      return undefined;
    },
  },
};

/** Telegram's own Stop on a draft: the draft id names the answer. */
export async function stopDraft(turn: Turn, draftId: number): Promise<TurnOutcome> {
  const outcome = await turn.stops.request(turn.msg.chatId, turn.msg.userId, draftId);
  turn.log.info("stop requested on a draft", { outcome, draftId });
  return "handled";
}
