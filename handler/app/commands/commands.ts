import { escapeHtml } from "../../format/index.js";
import { ADMIN_COMMANDS } from "../access/admin-commands.js";
import { ARCHIVE_COMMANDS } from "../archive/commands.js";
import { CONVERSATION_COMMANDS } from "../conversation/conversation-commands.js";
import { SETTINGS_COMMANDS } from "../conversation/settings-commands.js";
import { say, sayHtml, type Turn } from "../conversation/turn.js";
import { MEDIA_HELP } from "../media/file-kinds.js";
import { MODEL_COMMANDS } from "../models/model-commands.js";
import { PULL_COMMANDS } from "../models/pull.js";
import { THINK_COMMANDS } from "../models/think-command.js";
import type { BotCommandInfo } from "../ports.js";
import { STOP_COMMANDS } from "../stop/stop-command.js";
import { USAGE_COMMANDS } from "../usage/usage-command.js";
import type { CommandTable } from "./command.js";

/**
 * The menu: the one place that assembles every capability's command table.
 * Capabilities export their tables and never import this file, so adding a
 * capability's commands is one line here (see docs/architecture.md).
 */

const greet = async (turn: Turn): Promise<undefined> => {
  const profile = await turn.conversations.profile(turn.msg);
  const name = turn.msg.user.firstName ?? "there";
  await say(
    turn,
    `Hello, ${name}! 👋 I'm your self-hosted AI assistant, running on Ollama.\nYou're talking to ${profile.currentModel}. Just send a message to chat, or /help to see what I can do.`,
  );
  return undefined;
};

/** The commands about the bot itself; /help lists the whole menu. */
const BASIC_COMMANDS: CommandTable = {
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
};

/** Every command the bot understands, in menu order. */
export const COMMANDS: CommandTable = {
  ...BASIC_COMMANDS,
  ...MODEL_COMMANDS,
  ...CONVERSATION_COMMANDS,
  ...STOP_COMMANDS,
  ...SETTINGS_COMMANDS,
  ...THINK_COMMANDS,
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
