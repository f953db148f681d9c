import { scopeOf } from "../../domain/chat-scope.js";
import { sanitizeOptions } from "../../domain/model-options.js";
import { withoutUserInfo } from "../../domain/ollama-server.js";
import { type ChatMessage, newSessionId, type Session } from "../../domain/session.js";
import { stampOf } from "../../domain/update-stamp.js";
import { amountOf } from "../../domain/usage.js";
import { ConflictError } from "../../errors.js";
import { say, type Turn, type TurnOutcome } from "../conversation/turn.js";
import { importImages } from "../media/attachments.js";
import { ArchiveStorageError } from "./errors.js";
import { ARCHIVE_FORMAT, archiveMessages, archiveSchema } from "./format.js";

/**
 * Largest archive file accepted for import: Telegram's download limit, since
 * an export carries its conversation's images (see `media/attachments.ts`).
 */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

/** True when `value` (a parsed .json file) says it is one of our session exports. */
export function looksLikeExport(value: unknown): boolean {
  return typeof value === "object" && value !== null && "format" in value
    ? (value as { format: unknown }).format === ARCHIVE_FORMAT
    : false;
}

/**
 * Imports a session export the user sent back as a document (`value`: the
 * file's parsed JSON). Its images come along only from the file's own
 * attachments, stored under the new session's prefix: an image key in a file
 * is never read, so a file cannot reach anyone else's images.
 */
export async function importArchive(
  turn: Turn,
  fileName: string,
  value: unknown,
): Promise<TurnOutcome> {
  const { services, msg, log } = turn;
  const parsed = archiveSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const why = `it is not a valid archive (${issue?.path.join(".") || "file"}: ${issue?.message})`;
    log.info("import refused", { error: why });
    await say(
      turn,
      `I couldn't import ${fileName}: ${why}. Only files made by /export can be imported.`,
    );
    return "handled";
  }
  const doc = parsed.data;
  const now = services.now();
  // A file is data: its options pass the same checks as /set, and anything else is dropped.
  const { options, dropped } = sanitizeOptions(
    doc.parameters.options,
    services.config.ollama.ceilings,
  );
  if (dropped.length > 0) log.info("import dropped options", { dropped: dropped.slice(0, 20) });
  const session: Session = {
    userId: msg.userId,
    chatId: msg.chatId,
    // An import belongs to the chat it was sent in, like a conversation started there.
    ...(msg.isGroup ? { groupChatId: scopeOf(msg) } : {}),
    model: doc.session.model,
    sessionId: newSessionId(now),
    status: "closed",
    conversation: [],
    messageCount: doc.messages.length,
    archivedCount: doc.messages.length,
    createdAt: doc.session.started_at,
    lastMessageTs: doc.session.last_message_at,
    // A record, never an address to call; and a file's password is stored nowhere.
    ollamaUrl: withoutUserInfo(doc.session.ollama_endpoint),
    options,
    systemPrompt: doc.parameters.system_prompt ?? undefined,
    ...(doc.parameters.think ? { think: doc.parameters.think } : {}),
    usage: {
      promptTokens: doc.usage.prompt_tokens,
      completionTokens: doc.usage.completion_tokens,
      totalMs: doc.usage.total_duration_ms,
      replies: doc.usage.replies,
    },
    ...stampOf(msg),
    user: msg.user,
    closedAt: now.toISOString(),
    archivedAt: now.toISOString(),
    archiveReason: "imported",
  };
  let s3Path: string;
  let messages: ChatMessage[];
  try {
    // An audio key in a file names an object the importer does not own: the transcript and
    // the voice mark come along, the key does not.
    const heard = archiveMessages(doc).map(({ audio: _, ...m }) => m);
    messages = await importImages(turn, session, heard, doc.attachments);
    s3Path = await services.archiver.write(session, messages, now);
  } catch (err) {
    if (!(err instanceof ArchiveStorageError)) throw err;
    log.warn("import failed: archive storage unavailable", { error: err.message });
    await say(
      turn,
      `⚠️ I couldn't reach the archive storage to import ${fileName}. Nothing was stored; please send the file again in a minute.`,
    );
    return "handled";
  }
  try {
    // Like every closed session, its metadata expires after the retention (the S3 copy stays).
    const retention = services.config.sessions.closedRetentionSeconds;
    await services.lifecycle.putClosed(
      { ...session, s3Path },
      retention > 0 ? { expiresAt: Math.floor(now.getTime() / 1000) + retention } : {},
    );
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
  await say(
    turn,
    `📥 Imported a conversation with ${session.model} (${amountOf(messages.length, "message")}). It's in /sessions; /resume reopens it.${dropped.length > 0 ? `\nIgnored settings that /set would not accept: ${dropped.slice(0, 10).join(", ").slice(0, 300)}.` : ""}`,
  );
  return "handled";
}
