import { canonicalModelName } from "../../domain/model-name.js";
import { describeThink } from "../../domain/think.js";
import { appliedAlready, stampOf } from "../../domain/update-stamp.js";
import type { CommandTable } from "../commands/command.js";
import { say } from "../conversation/turn.js";
import { installedModels, listModels, modelNameFrom, showModels } from "./models-command.js";

/** `/models`, `/model` and `/status`: which models there are, which one a user talks to, and whether Ollama answers. */
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
      const models = await listModels(turn);
      if (!models) return undefined;
      const installed = models.map((m) => canonicalModelName(m.name) ?? m.name);
      if (!installed.includes(wanted)) {
        await say(
          turn,
          `The model "${wanted}" is not installed on the Ollama server.\nInstalled: ${installed.join(", ") || "none"}\nPull it with: ollama pull ${wanted}`,
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
    run: async (turn) => {
      const { session } = await turn.conversations.current(turn.msg);
      let reach: string;
      try {
        // The configured server, whatever a session recorded: /status must not probe other hosts.
        const models = await installedModels(turn, 5_000);
        reach = `✅ reachable (${models.length} models installed)`;
      } catch (err) {
        reach = `❌ not reachable (${err instanceof Error ? err.message : String(err)})`;
      }
      // Reasoning is shown for models that can reason (or where /think was set).
      const thinks = await turn.services.capabilities
        .capabilitiesOf(session.model)
        .then((c) => c.includes("thinking"))
        .catch(() => false);
      await say(
        turn,
        [
          `Ollama: ${reach}`,
          `Model: ${session.model}`,
          ...(thinks || session.think
            ? [`Reasoning (/think): ${describeThink(session.think)}`]
            : []),
          `Session: ${session.sessionId} (started ${session.createdAt.slice(0, 16).replace("T", " ")} UTC)`,
          `Messages: ${session.messageCount}`,
        ].join("\n"),
      );
      return undefined;
    },
  },
};
