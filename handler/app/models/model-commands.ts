import { appliedAlready, stampOf } from "../../domain/update-stamp.js";
import type { CommandTable } from "../commands/command.js";
import { say } from "../conversation/turn.js";
import { modelNameFrom, showModels } from "./models-command.js";
import { labels, offerOrSay } from "./offer.js";
import { showStatus } from "./status-command.js";

/** `/models`, `/model` and `/status`: which models there are, which one a user talks to, and whether the Ollama servers answer. */
export const MODEL_COMMANDS: CommandTable = {
  models: {
    description: "List the installed models: size and capabilities",
    run: showModels,
  },
  model: {
    description: "Show or switch the model",
    usage: "[name]",
    run: async (turn, args) => {
      const { conversations, msg } = turn;
      const profile = await conversations.profile(msg);
      if (!args) {
        await say(
          turn,
          `You're talking to ${profile.currentModel}. Switch with /model <name>; see /models for the list.`,
        );
        return undefined;
      }
      const wanted = await modelNameFrom(turn, args);
      if (!wanted) return undefined;
      if (appliedAlready(profile, msg)) return "duplicate";
      const offer = await offerOrSay(turn);
      if (!offer) return undefined;
      const installed = offer.models.map((m) => m.name);
      if (!installed.includes(wanted)) {
        const where =
          offer.reports.length === 1
            ? "the Ollama server"
            : offer.unreachable.length === 0
              ? "any of the Ollama servers"
              : `any Ollama server I can reach (not reachable now: ${labels(offer.unreachable.map((r) => r.server))})`;
        await say(
          turn,
          `The model "${wanted}" is not installed on ${where}.\nInstalled: ${installed.join(", ") || "none"}\nPull it with: ollama pull ${wanted}`,
        );
        return undefined;
      }
      const switched = {
        ...profile,
        currentModel: wanted,
        ...stampOf(msg),
        chatId: msg.chatId,
      };
      await conversations.saveProfile(switched);
      const { session } = await conversations.activeFor(msg, switched, wanted);
      const resumed =
        session.messageCount > 0
          ? ` Resuming your conversation (${session.messageCount} messages).`
          : " Starting a new conversation.";
      await say(turn, `Switched to ${wanted}.${resumed}`);
      return "handled";
    },
  },
  status: {
    description: "Ollama status, current model and session",
    run: showStatus,
  },
};
