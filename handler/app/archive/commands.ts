import type { Session } from "../../domain/session.js";
import { appliedAlready, stampOf } from "../../domain/update-stamp.js";
import { escapeHtml } from "../../format/index.js";
import type { CommandTable } from "../commands/command.js";
import { activeSessionId, withActive } from "../conversation/conversations.js";
import { say, sayHtml, type Turn, type TurnOutcome } from "../conversation/turn.js";
import { EXPORT_IMAGE_BYTES, withAttachments } from "../media/attachments.js";
import { ArchiveStorageError } from "./errors.js";

const day = (iso: string | undefined) => (iso ? iso.slice(0, 16).replace("T", " ") : "?");

/**
 * The user's sessions in this chat, newest first: the numbering /export and
 * /resume use. In a group only that group's conversations are listed, so a
 * private conversation can never be shown, exported or resumed there.
 */
async function sessionsInListOrder(turn: Turn): Promise<Session[]> {
  return turn.conversations.listInChat(turn.msg);
}

function pick(sessions: readonly Session[], args: string): Session | undefined {
  const n = Number(args);
  return Number.isInteger(n) && n >= 1 ? sessions[n - 1] : undefined;
}

/** What the user is told when a session could not be archived because S3 failed. */
export const ARCHIVE_DEFERRED_NOTE =
  "I couldn't reach the archive storage, so it isn't archived yet. Nothing is lost: it is kept as it is and will be archived automatically as soon as the storage is back.";

/**
 * Runs a command that needs S3; when S3 fails the user is told to try again
 * (nothing was changed) instead of the update failing silently.
 */
async function needingStorage<T>(
  turn: Turn,
  doing: string,
  run: () => Promise<T>,
): Promise<T | "handled"> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ArchiveStorageError)) throw err;
    turn.log.warn("archive storage unavailable", { doing, error: err.message });
    await say(
      turn,
      `⚠️ I couldn't reach the archive storage to ${doing}. Nothing was changed and nothing is lost; please try again in a minute.`,
    );
    return "handled";
  }
}

/** Commands that move conversations between DynamoDB and S3. */
export const ARCHIVE_COMMANDS: CommandTable = {
  end: {
    description: "End this conversation and archive it",
    run: async (turn) => {
      const { conversations, msg, services } = turn;
      const profile = await conversations.profile(msg);
      const session = await conversations.storedCurrent(msg, profile);
      if (appliedAlready(profile, msg)) return "duplicate";
      if (session?.status !== "active" || session.messageCount === 0) {
        await say(turn, "There is no conversation to end. Send a message to start one.");
        return undefined;
      }
      const ended = await services.archiver.end(session, "ended");
      if (!ended.deferred) conversations.remember(ended.session);
      await conversations.saveProfile({
        ...profile,
        activeSessions: withActive(profile, msg, profile.currentModel, undefined),
        ...stampOf(msg),
      });
      await say(
        turn,
        ended.deferred
          ? `⚠️ Conversation ended (${session.messageCount} messages), but ${ARCHIVE_DEFERRED_NOTE} Your next message starts a new conversation.`
          : `📦 Conversation ended and archived (${session.messageCount} messages).\n${ended.session.s3Path}\nSee /sessions; /resume brings it back.`,
      );
      return "handled";
    },
  },
  sessions: {
    description: "Your conversations, live and archived",
    run: async (turn) => {
      const sessions = await sessionsInListOrder(turn);
      if (sessions.length === 0) {
        await say(turn, "You have no conversations yet.");
        return undefined;
      }
      // Each model keeps its own active conversation: the current one is the current model's.
      const profile = await turn.conversations.profile(turn.msg);
      const current = activeSessionId(profile, turn.msg, profile.currentModel);
      const lines = sessions.slice(0, 30).map((s, i) => {
        const state =
          s.status === "closed"
            ? `📦 archived (${s.archiveReason ?? "closed"})`
            : s.pendingArchive
              ? "⏳ being archived (storage was unavailable; retried automatically)"
              : s.sessionId === current
                ? "🟢 active, current"
                : "🟢 active";
        return `${i + 1}. <b>${escapeHtml(s.model)}</b> · ${state} · ${s.messageCount} msgs · ${day(s.createdAt)} → ${day(s.lastMessageTs)}`;
      });
      await sayHtml(
        turn,
        `<b>Your conversations</b> (newest first)\n${lines.join("\n")}\n\nThe current one gets your messages; /model &lt;name&gt; switches to another model's. /export &lt;n&gt; sends one as a file; /resume &lt;n&gt; reopens an archived one.`,
      );
      return undefined;
    },
  },
  archives: {
    description: "Where your archived conversations are stored",
    run: async (turn) => {
      const sessions = await sessionsInListOrder(turn);
      const lines = sessions.flatMap((s, i) =>
        s.status === "closed" && s.s3Path
          ? [
              `${i + 1}. ${escapeHtml(s.model)} · ${s.messageCount} msgs · <code>${escapeHtml(s.s3Path)}</code>`,
            ]
          : [],
      );
      await sayHtml(
        turn,
        lines.length
          ? `<b>Archived conversations</b> (numbered as in /sessions, for /export &lt;n&gt; and /resume &lt;n&gt;)\n${lines.join("\n")}`
          : "No archived conversations yet. /end archives the current one.",
      );
      return undefined;
    },
  },
  export: {
    description: "Send a conversation as a JSON file",
    usage: "[n]",
    run: (turn, args) =>
      needingStorage(turn, "export it", async () => {
        const { services, conversations, msg } = turn;
        let session: Session | undefined;
        if (args) {
          session = pick(await sessionsInListOrder(turn), args);
          if (!session) {
            await say(
              turn,
              `There is no conversation number ${args.slice(0, 20)}. See /sessions for the numbers.`,
            );
            return undefined;
          }
          if (session.status === "active") session = await services.store.getSession(session);
        } else {
          session = (await conversations.current(msg)).session;
        }
        if (!session) return undefined;
        const doc =
          session.status === "active"
            ? await services.archiver.document(session)
            : await services.archiver.readArchive(session);
        if (!doc) {
          await say(turn, "That conversation's archive could not be found in storage.");
          return undefined;
        }
        // The images travel inside the file, so an import elsewhere has them too.
        const { doc: full, left } = await withAttachments(doc, services.media);
        const content = new TextEncoder().encode(`${JSON.stringify(full, null, 2)}\n`);
        await services.telegram.sendDocument(
          msg.chatId,
          { name: `session_${session.sessionId}.json`, content },
          {
            caption: `${session.model} · ${doc.message_count} messages${session.status === "active" ? " · live conversation, not archived" : ""}${left > 0 ? ` (${left} older images left out: the file holds up to ${EXPORT_IMAGE_BYTES / 1024 / 1024} MB of them)` : ""}. Send this file back to me to import it.`,
            threadId: msg.threadId,
          },
        );
        return undefined;
      }),
  },
  resume: {
    description: "Reopen an archived conversation",
    usage: "<n>",
    run: (turn, args) =>
      needingStorage(turn, "reopen it", async (): Promise<TurnOutcome | undefined> => {
        const { services, conversations, msg } = turn;
        const target = pick(await sessionsInListOrder(turn), args);
        if (target?.status === "active") {
          const { currentModel } = await conversations.profile(msg);
          await say(
            turn,
            target.model === currentModel
              ? `Conversation ${args.trim()} is already active: just keep writing.`
              : `Conversation ${args.trim()} is already active with model ${target.model}: /model ${target.model} switches to it.`,
          );
          return undefined;
        }
        if (target?.status !== "closed") {
          await say(
            turn,
            "Usage: /resume <n>, where n is an archived conversation's number in /sessions.",
          );
          return undefined;
        }
        const profile = await conversations.profile(msg);
        if (appliedAlready(profile, msg)) return "duplicate";
        const full = await services.store.getSession(target);
        // Only the newest parts are read: reopening costs the same at any length.
        const window =
          full && (await services.archiver.recent(full, services.config.sessions.contextMessages));
        if (!full || !window) {
          await say(turn, "That conversation's archive could not be found in storage.");
          return undefined;
        }
        const currentId = activeSessionId(profile, msg, target.model);
        const current = currentId
          ? await services.store.getSession({
              userId: msg.userId,
              model: target.model,
              sessionId: currentId,
            })
          : undefined;
        // The conversation in progress is archived first (or later, if S3 fails right now).
        if (current?.status === "active" && current.messageCount > 0) {
          const ended = await services.archiver.end(current, "new");
          if (!ended.deferred) conversations.remember(ended.session);
        }
        const reopened = await services.lifecycle.reopen(full, window, services.now());
        conversations.remember(reopened);
        await conversations.saveProfile({
          ...profile,
          currentModel: target.model,
          activeSessions: withActive(profile, msg, target.model, target.sessionId),
          ...stampOf(msg),
        });
        await say(
          turn,
          `▶️ Resumed your ${target.model} conversation from ${day(target.createdAt)} (${target.messageCount} messages). The model sees its last ${window.length}.`,
        );
        return "handled";
      }),
  },
};
