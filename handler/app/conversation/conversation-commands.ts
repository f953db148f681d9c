import { appliedAlready } from "../../domain/update-stamp.js";
import { escapeHtml } from "../../format/index.js";
import { ARCHIVE_DEFERRED_NOTE } from "../archive/commands.js";
import type { CommandTable } from "../commands/command.js";
import { answer } from "./chat.js";
import { say, sayHtml } from "./turn.js";

/** `/new`, `/history` and `/retry`: starting over, looking back and asking again in this conversation. */
export const CONVERSATION_COMMANDS: CommandTable = {
  new: {
    description: "Archive this conversation and start a fresh one",
    run: async (turn) => {
      const { conversations, msg, services } = turn;
      const profile = await conversations.profile(msg);
      if (appliedAlready(profile, msg)) return "duplicate";
      const current = await conversations.storedCurrent(msg, profile);
      const archive =
        current?.status === "active" && current.messageCount > 0 ? current : undefined;
      // If S3 fails, the old session is archived by a later invoke: the user does not wait.
      const ended = archive ? await services.archiver.end(archive, "new") : undefined;
      if (ended && !ended.deferred) conversations.remember(ended.session);
      const { session } = await conversations.startSession(msg, profile, profile.currentModel, {
        stamp: msg,
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
        const who = m.role === "user" ? `🧑 You${m.voice ? " 🎤" : ""}` : `🤖 ${session.model}`;
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
  retry: {
    description: "Regenerate the last answer",
    run: async (turn) => {
      const { session } = await turn.conversations.current(turn.msg);
      if (appliedAlready(session, turn.msg)) return "duplicate";
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
};
