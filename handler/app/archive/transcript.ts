import type { ArchiveDocument } from "./format.js";

/** The same conversation for a person to read: a header, then one timestamped block per message. */
export function renderTranscript(doc: ArchiveDocument): string {
  const who = doc.user.username
    ? `@${doc.user.username}`
    : (doc.user.first_name ?? String(doc.user.id));
  const header = [
    `Conversation with ${doc.session.model}`,
    `User: ${who} (id ${doc.user.id}, chat ${doc.user.chat_id})`,
    `Session: ${doc.session.id} · started ${doc.session.started_at} · ${doc.session.ended_at ? `ended ${doc.session.ended_at}` : "still active"}`,
    `${doc.session.archived_at ? `Archived: ${doc.session.archived_at} (${doc.session.archive_reason})` : `Exported live: ${doc.session.exported_at}`} · ${doc.message_count} messages · ${doc.usage.prompt_tokens}+${doc.usage.completion_tokens} tokens`,
    ...(doc.parameters.system_prompt ? [`System prompt: ${doc.parameters.system_prompt}`] : []),
    ...(doc.parameters.think ? [`Reasoning (/think): ${doc.parameters.think}`] : []),
    "=".repeat(72),
  ];
  const body = doc.messages.map((m, i) => {
    const speaker = m.role === "user" ? who : m.role === "assistant" ? doc.session.model : "system";
    // A failed message answered later by /retry is followed directly by that answer.
    const answeredLater = doc.messages[i + 1]?.role === "assistant";
    const images = m.images?.length
      ? ` [${m.images.length === 1 ? "image" : `${m.images.length} images`}]`
      : "";
    const heard = m.voice ? " [voice message, transcribed]" : "";
    const note = `${heard}${images}${
      m.failed
        ? ` [${answeredLater ? "first attempt failed" : "not answered"}: ${m.failed}]`
        : m.cut_off
          ? ` [cut off: ${m.cut_off}]`
          : m.stopped
            ? " [stopped by the user]"
            : ""
    }`;
    return `[${m.timestamp}] ${speaker}${note}:\n${m.content}\n`;
  });
  return `${header.join("\n")}\n\n${body.join("\n")}`;
}
