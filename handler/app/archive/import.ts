import { scopeOf } from "../../domain/chat-scope.js";
import { sanitizeOptions } from "../../domain/model-options.js";
import { newSessionId, type Session } from "../../domain/session.js";
import { ConflictError, UserInputError } from "../../errors.js";
import { say, type Turn, type TurnOutcome } from "../conversation/turn.js";
import { ArchiveStorageError } from "./errors.js";
import { archiveMessages, archiveSchema } from "./format.js";

/** Largest archive file accepted for import. */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

/** Imports a JSON archive the user sent back as a document. */
export async function importArchive(
  turn: Turn,
  fileId: string,
  fileName: string,
  size: number,
): Promise<TurnOutcome> {
  const { services, msg, log } = turn;
  if (!fileName.toLowerCase().endsWith(".json")) {
    await say(
      turn,
      "I can only import conversation archives (.json files made by /export). Send your question as text to chat.",
    );
    return "handled";
  }
  if (size > MAX_IMPORT_BYTES) {
    await say(
      turn,
      `That file is ${(size / 1024 / 1024).toFixed(1)} MB; archives up to ${MAX_IMPORT_BYTES / 1024 / 1024} MB can be imported.`,
    );
    return "handled";
  }
  let doc: ReturnType<typeof archiveSchema.parse>;
  try {
    const bytes = await services.telegram.downloadFile(fileId, MAX_IMPORT_BYTES);
    const parsed = archiveSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UserInputError(
        `it is not a valid archive (${issue?.path.join(".") || "file"}: ${issue?.message})`,
      );
    }
    doc = parsed.data;
  } catch (err) {
    if (!(err instanceof UserInputError || err instanceof SyntaxError)) throw err;
    log.info("import refused", { error: err.message });
    await say(
      turn,
      `I couldn't import ${fileName}: ${err instanceof SyntaxError ? "it is not valid JSON" : err.message}. Only files made by /export can be imported.`,
    );
    return "handled";
  }
  const messages = archiveMessages(doc);
  const now = services.now();
  // A file is data: its options pass the same checks as /set, and anything else is dropped.
  const { options, dropped } = sanitizeOptions(doc.parameters.options);
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
    messageCount: messages.length,
    archivedCount: messages.length,
    createdAt: doc.session.started_at,
    lastMessageTs: doc.session.last_message_at,
    ollamaUrl: doc.session.ollama_endpoint,
    options,
    systemPrompt: doc.parameters.system_prompt ?? undefined,
    usage: {
      promptTokens: doc.usage.prompt_tokens,
      completionTokens: doc.usage.completion_tokens,
      totalMs: doc.usage.total_duration_ms,
      replies: doc.usage.replies,
    },
    lastUpdateId: msg.updateId,
    user: msg.user,
    closedAt: now.toISOString(),
    archivedAt: now.toISOString(),
    archiveReason: "imported",
  };
  let s3Path: string;
  try {
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
    `📥 Imported a ${session.model} conversation with ${messages.length} messages. It's in /sessions; /resume reopens it.${dropped.length > 0 ? `\nIgnored settings that /set would not accept: ${dropped.slice(0, 10).join(", ").slice(0, 300)}.` : ""}`,
  );
  return "handled";
}
