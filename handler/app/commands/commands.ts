import { canonicalModelName } from "../../domain/model-name.js";
import { escapeHtml } from "../../format/index.js";
import { ARCHIVE_COMMANDS, ARCHIVE_DEFERRED_NOTE } from "../archive/commands.js";
import { answer } from "../conversation/chat.js";
import { say, sayHtml, type Turn, type TurnOutcome } from "../conversation/turn.js";
import { appliedAlready } from "../intake/handled.js";
import { MEDIA_HELP } from "../media/file-kinds.js";
import {
  installedModels,
  listModels,
  modelNameFrom,
  showModels,
} from "../models/models-command.js";
import { PULL_COMMANDS } from "../models/pull.js";
import type { BotCommandInfo } from "../ports.js";
import { STOP_COMMANDS } from "../stop/stop-command.js";
import { USAGE_COMMANDS } from "../usage/usage-command.js";
import { ADMIN_COMMANDS } from "./admin.js";
import { SETTINGS_COMMANDS } from "./settings.js";

/** A command: what the menu says and what it does. */
export interface Command {
  readonly description: string;
  /** Shown in /help after the command, e.g. `<name>`. */
  readonly usage?: string;
  /** Changes stored state: runs at most once per update (deduplicated on the profile or session). */
  run(turn: Turn, args: string): Promise<TurnOutcome | undefined>;
}

const greet = async (turn: Turn): Promise<undefined> => {
  const profile = await turn.conversations.profile(turn.msg);
  const name = turn.msg.user.firstName ?? "there";
  await say(
    turn,
    `Hello, ${name}! 👋 I'm your self-hosted AI assistant, running on Ollama.\nYou're talking to ${profile.currentModel}. Just send a message to chat, or /help to see what I can do.`,
  );
  return undefined;
};

/** Every command the bot understands, in menu order. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  start: { description: "Start chatting", run: greet },
  hello: { description: "Say hello and show the current model", run: greet },
  help: {
    description: "List every command",
    run: async (turn) => {
      const lines = Object.entries(COMMANDS).map(
        ([name, c]) =>
          `/${name}${c.usage ? ` ${escapeHtml(c.usage)}` : ""} — ${escapeHtml(c.description)}`,
      );
      await sayHtml(
        turn,
        `<b>Commands</b>\n${lines.join("\n")}\n\nAnything else you send goes to the current model.\n${MEDIA_HELP}`,
      );
      return undefined;
    },
  },
  echo: {
    description: "Repeat your text back",
    usage: "<text>",
    run: async (turn, args) => {
      await say(turn, args || "Usage: /echo <text>");
      return undefined;
    },
  },
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
      if (appliedAlready(profile, msg.updateId)) return "duplicate";
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
        lastUpdateId: msg.updateId,
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
  new: {
    description: "Archive this conversation and start a fresh one",
    run: async (turn) => {
      const { conversations, msg, services } = turn;
      const profile = await conversations.profile(msg);
      if (appliedAlready(profile, msg.updateId)) return "duplicate";
      const current = await conversations.storedCurrent(msg, profile);
      const archive =
        current?.status === "active" && current.messageCount > 0 ? current : undefined;
      // If S3 fails, the old session is archived by a later invoke: the user does not wait.
      const ended = archive ? await services.archiver.end(archive, "new") : undefined;
      if (ended && !ended.deferred) conversations.remember(ended.session);
      const { session } = await conversations.startSession(msg, profile, profile.currentModel, {
        stampUpdateId: msg.updateId,
      });
      const note = !archive
        ? ""
        : ended?.deferred
          ? ` The previous one (${archive.messageCount} messages) is kept: ${ARCHIVE_DEFERRED_NOTE}`
          : ` The previous one (${archive.messageCount} messages) is archived; see /sessions.`;
      await say(
        turn,
        `🆕 New conversation with ${profile.currentModel} (session ${session.sessionId}).${note}`,
      );
      return "handled";
    },
  },
  history: {
    description: "Show the recent messages of this conversation",
    run: async (turn) => {
      const { session } = await turn.conversations.current(turn.msg);
      const recent = session.conversation.slice(-10);
      if (recent.length === 0) {
        await say(turn, `This conversation with ${session.model} is empty so far.`);
        return undefined;
      }
      const lines = recent.map((m) => {
        const who = m.role === "user" ? "🧑 You" : `🤖 ${session.model}`;
        const body = m.content.length > 300 ? `${m.content.slice(0, 300)}…` : m.content;
        return `<b>${escapeHtml(who)}</b> <i>${escapeHtml(m.ts.slice(0, 16).replace("T", " "))}</i>\n${escapeHtml(body)}`;
      });
      await sayHtml(
        turn,
        `<b>Last ${recent.length} of ${session.messageCount} messages</b>\n\n${lines.join("\n\n")}`,
      );
      return undefined;
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
      await say(
        turn,
        [
          `Ollama: ${reach}`,
          `Model: ${session.model}`,
          `Session: ${session.sessionId} (started ${session.createdAt.slice(0, 16).replace("T", " ")} UTC)`,
          `Messages: ${session.messageCount}`,
        ].join("\n"),
      );
      return undefined;
    },
  },
  retry: {
    description: "Regenerate the last answer",
    run: async (turn) => {
      const { session } = await turn.conversations.current(turn.msg);
      if (appliedAlready(session, turn.msg.updateId)) return "duplicate";
      const conversation = session.conversation;
      const lastUser = [...conversation].reverse().find((m) => m.role === "user");
      if (!lastUser) {
        await say(turn, "There is nothing to retry yet: send a message first.");
        return undefined;
      }
      // The same user message, answered again from the context it had; the new answer supersedes the old one.
      const before = conversation.filter((m) => m.seq < lastUser.seq);
      return answer(turn, session, lastUser, { history: before, regenerate: true });
    },
  },
  ...STOP_COMMANDS,
  ...SETTINGS_COMMANDS,
  ...ARCHIVE_COMMANDS,
  ...USAGE_COMMANDS,
  ...ADMIN_COMMANDS,
  ...PULL_COMMANDS,
};

/** The command menu registered with Telegram (`setMyCommands`). */
export function commandMenu(): BotCommandInfo[] {
  return Object.entries(COMMANDS)
    .filter(([name]) => name !== "start")
    .map(([command, c]) => ({ command, description: c.description }));
}
