import { settingsOf } from "../../domain/session.js";
import {
  describeThink,
  isThinkSetting,
  THINK_SETTINGS,
  takesOnlyLevels,
} from "../../domain/think.js";
import { appliedAlready } from "../../domain/update-stamp.js";
import { ModelError } from "../../errors.js";
import type { CommandTable } from "../commands/command.js";
import { say, type Turn } from "../conversation/turn.js";

const USAGE = `/think ${THINK_SETTINGS.join("|")}, or /think reset for the model's default`;

/**
 * Whether `model` can reason (`thinking` in its `/api/show` capabilities),
 * or undefined after telling the user Ollama could not be asked.
 */
async function canThink(turn: Turn, model: string): Promise<boolean | undefined> {
  try {
    return (await turn.services.capabilities.capabilitiesOf(model)).includes("thinking");
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    await say(
      turn,
      `⚠️ I couldn't ask Ollama what ${model} can do (${err.message}). Try again in a moment.`,
    );
    return undefined;
  }
}

/**
 * `/think`: whether the current conversation's model reasons before it
 * answers, and how hard: Ollama's `think`, for models that list `thinking`.
 */
export const THINK_COMMANDS: CommandTable = {
  think: {
    description: "Reasoning on or off, or its effort (thinking models)",
    usage: `[${THINK_SETTINGS.join("|")}|reset]`,
    run: async (turn, args) => {
      const { session } = await turn.conversations.current(turn.msg);
      const wanted = args.trim().toLowerCase();
      if (wanted !== "" && wanted !== "reset" && !isThinkSetting(wanted)) {
        await say(turn, `Usage: ${USAGE}.`);
        return undefined;
      }
      // A reset is always allowed: it only takes a setting away.
      const thinks = wanted === "reset" || (await canThink(turn, session.model));
      if (thinks === undefined) return undefined;
      if (!thinks) {
        await say(
          turn,
          `${session.model} doesn't reason (Ollama lists no "thinking" capability for it), so there is nothing to switch. Thinking models include qwen3, deepseek-r1 and gpt-oss.`,
        );
        return undefined;
      }
      if (wanted === "") {
        await say(
          turn,
          `Reasoning for ${session.model} here: ${describeThink(session.think)}.\n${USAGE}.`,
        );
        return undefined;
      }
      if (wanted === "off" && takesOnlyLevels(session.model)) {
        await say(
          turn,
          `${session.model} always reasons (it takes only levels): /think low keeps its reasoning short.`,
        );
        return undefined;
      }
      if (appliedAlready(session, turn.msg)) return "duplicate";
      const think = wanted === "reset" ? undefined : wanted;
      const updated = await turn.services.store.updateSettings(
        session,
        { ...settingsOf(session), think },
        turn.msg,
      );
      turn.conversations.remember(updated);
      await say(turn, `✅ Reasoning for this conversation: ${describeThink(think)}.`);
      return "handled";
    },
  },
};
