import * as z from "zod";
import { canonicalModelName, modelKeySegment } from "../../domain/model-name.js";
import { MAX_SYSTEM_PROMPT_CHARS } from "../../domain/model-options.js";
import {
  type ChatMessage,
  MAX_ARCHIVED_MESSAGE_CHARS,
  MAX_RECORDED_ENDPOINT_CHARS,
  type Session,
} from "../../domain/session.js";
import { THINK_SETTINGS } from "../../domain/think.js";

/** Most images one message may name (Telegram sends one per message). */
const MAX_IMAGES_PER_MESSAGE = 10;

/** Identifies our archive files; bumped when the layout changes incompatibly. */
export const ARCHIVE_FORMAT = "telegram-ollama-chatbot/session";
export const ARCHIVE_VERSION = 1;

/** `<user_id>/model_<model_name>/session_<session_id>` (add `.json` or `.txt`). */
export function archiveKeyBase(userId: number, model: string, sessionId: string): string {
  return `${userId}/model_${modelKeySegment(model)}/session_${sessionId}`;
}

// The archive schemas are built on first use (z.lazy): only archiving and imports
// parse archives, and building zod schemas is a measurable part of a cold start.

/** One message as archives and archive parts store it. */
export const archiveMessageSchema = z.lazy(() =>
  z.object({
    seq: z.number().int().positive(),
    role: z.enum(["system", "user", "assistant"]),
    content: z.string().max(MAX_ARCHIVED_MESSAGE_CHARS),
    timestamp: z.string().datetime({ offset: true }),
    failed: z.string().max(64).optional(),
    /** S3 keys of the message's images (see `media/image-keys.ts`). */
    images: z.array(z.string().max(400)).max(MAX_IMAGES_PER_MESSAGE).optional(),
    /** A user message heard from a voice note or audio file: `content` is its transcript. */
    voice: z.boolean().optional(),
    /** S3 key of that audio (see `voice/audio-files.ts`); an import drops it. */
    audio: z.string().max(400).optional(),
    /** Why an answer stopped before its end (`length`: it reached num_predict). */
    cut_off: z.string().max(64).optional(),
    /** An answer the user stopped part-way. */
    stopped: z.boolean().optional(),
  }),
);

/**
 * Images carried inside an export, by the key its messages name them with:
 * base64 data and MIME type. The bot's own S3 archives never have them.
 */
export const attachmentsSchema = z.lazy(() =>
  z.record(z.string().max(400), z.object({ mime_type: z.string().max(100), data: z.string() })),
);

/** Images carried by an export. */
export type Attachments = z.infer<typeof attachmentsSchema>;

/** A model name as Ollama spells it, in its canonical form (it becomes part of keys). */
const modelName = z.string().transform((name, ctx) => {
  const canonical = canonicalModelName(name);
  if (canonical === undefined) {
    ctx.addIssue({ code: "custom", message: "is not a valid Ollama model name" });
    return z.NEVER;
  }
  return canonical;
});

/** The archive JSON, validated on import. */
export const archiveSchema = z.lazy(() =>
  z
    .object({
      format: z.literal(ARCHIVE_FORMAT),
      version: z.literal(ARCHIVE_VERSION),
      session: z.object({
        id: z.string().regex(/^[A-Za-z0-9._-]{1,80}$/),
        model: modelName,
        status: z.enum(["active", "closed"]),
        started_at: z.string(),
        last_message_at: z.string(),
        ended_at: z.string().nullable(),
        /** When and why it was archived; a live conversation's export has neither. */
        archived_at: z.string().optional(),
        archive_reason: z.string().optional(),
        /** When a live conversation was exported (/export): it is not archived. */
        exported_at: z.string().optional(),
        ollama_endpoint: z.string().max(MAX_RECORDED_ENDPOINT_CHARS),
      }),
      user: z.object({
        id: z.number().int(),
        chat_id: z.number().int(),
        username: z.string().nullable(),
        first_name: z.string().nullable(),
        language_code: z.string().nullable(),
      }),
      parameters: z.object({
        system_prompt: z.string().max(MAX_SYSTEM_PROMPT_CHARS).nullable(),
        /** `/think` (absent in files written before it existed). */
        think: z.enum(THINK_SETTINGS).nullable().optional(),
        options: z.record(z.string(), z.number()),
      }),
      usage: z.object({
        prompt_tokens: z.number().int().min(0),
        completion_tokens: z.number().int().min(0),
        total_duration_ms: z.number().min(0),
        replies: z.number().int().min(0),
      }),
      message_count: z.number().int().min(0),
      messages: z.array(archiveMessageSchema).max(100_000),
      attachments: attachmentsSchema.optional(),
    })
    .superRefine((doc, ctx) => {
      // Messages are numbered 1..n without gaps: a session resumed from a file
      // with holes could never be archived again.
      const gap = doc.messages.findIndex((m, i) => m.seq !== i + 1);
      if (gap >= 0) {
        ctx.addIssue({
          code: "custom",
          path: ["messages", gap, "seq"],
          message: `expected message number ${gap + 1}; messages must be numbered 1..n without gaps`,
        });
      }
      if (doc.message_count !== doc.messages.length) {
        ctx.addIssue({
          code: "custom",
          path: ["message_count"],
          message: `says ${doc.message_count} but the file has ${doc.messages.length} messages`,
        });
      }
    }),
);

/** A parsed archive document. */
export type ArchiveDocument = z.infer<typeof archiveSchema>;

/**
 * Builds the archive document of a session whose full transcript is `messages`, at
 * time `at`: a closed session's archive (`archived_at`, `archive_reason`), or a live
 * session's export (`exported_at` and no archive fields: it is not archived).
 * It enforces every limit {@link archiveSchema} checks, so whatever the bot
 * writes it can read back (a message stored before answers were capped is
 * clipped rather than making the whole session unarchivable).
 * `modelDefaults` are the Ollama parameters in effect where the session sets
 * none (e.g. `num_ctx`), so the archive records what the model really used.
 */
export function buildArchive(
  session: Session,
  messages: readonly ChatMessage[],
  at: string,
  modelDefaults: Readonly<Record<string, number>> = {},
): ArchiveDocument {
  return {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    session: {
      id: session.sessionId,
      model: session.model,
      status: session.status,
      started_at: session.createdAt,
      last_message_at: session.lastMessageTs,
      ended_at: session.status === "closed" ? (session.closedAt ?? at) : null,
      ...(session.status === "closed"
        ? { archived_at: at, archive_reason: session.archiveReason ?? "ended" }
        : { exported_at: at }),
      ollama_endpoint: session.ollamaUrl.slice(0, MAX_RECORDED_ENDPOINT_CHARS),
    },
    user: {
      id: session.userId,
      chat_id: session.chatId,
      username: session.user.username ?? null,
      first_name: session.user.firstName ?? null,
      language_code: session.user.languageCode ?? null,
    },
    parameters: {
      system_prompt: session.systemPrompt?.slice(0, MAX_SYSTEM_PROMPT_CHARS) ?? null,
      // Written only when set: files of conversations without it stay as they were.
      ...(session.think ? { think: session.think } : {}),
      options: Object.fromEntries(
        Object.entries({ ...modelDefaults, ...session.options }).filter(
          (e): e is [string, number] => typeof e[1] === "number",
        ),
      ),
    },
    usage: {
      prompt_tokens: session.usage.promptTokens,
      completion_tokens: session.usage.completionTokens,
      total_duration_ms: session.usage.totalMs,
      replies: session.usage.replies,
    },
    message_count: messages.length,
    messages: messages.map(toArchiveMessage),
  };
}

/** A message as archives store it. */
export type ArchiveMessage = z.infer<typeof archiveMessageSchema>;

/** A domain message in the archive's shape (no update id: that is for tracing live updates). */
export function toArchiveMessage(m: ChatMessage): ArchiveMessage {
  return {
    seq: m.seq,
    role: m.role,
    // The writer holds the reader's limit: whatever the bot writes, it can read back.
    content: m.content.slice(0, MAX_ARCHIVED_MESSAGE_CHARS),
    timestamp: m.ts,
    ...(m.failed ? { failed: m.failed } : {}),
    ...(m.images?.length ? { images: [...m.images] } : {}),
    ...(m.voice ? { voice: true } : {}),
    ...(m.audio ? { audio: m.audio } : {}),
    ...(m.cutOff ? { cut_off: m.cutOff } : {}),
    ...(m.stopped ? { stopped: true } : {}),
  };
}

/** An archived message as a domain message. */
export function fromArchiveMessage(m: ArchiveMessage): ChatMessage {
  return {
    seq: m.seq,
    role: m.role,
    content: m.content,
    ts: m.timestamp,
    ...(m.failed ? { failed: m.failed } : {}),
    ...(m.images?.length ? { images: m.images } : {}),
    ...(m.voice ? { voice: true } : {}),
    ...(m.audio ? { audio: m.audio } : {}),
    ...(m.cut_off ? { cutOff: m.cut_off } : {}),
    ...(m.stopped ? { stopped: true } : {}),
  };
}

/** Messages of an archive document, as domain messages. */
export function archiveMessages(doc: ArchiveDocument): ChatMessage[] {
  return doc.messages.map(fromArchiveMessage);
}

/** Merges archived and live messages by `seq`: re-running an archive changes nothing. */
export function mergeMessages(
  archived: readonly ChatMessage[],
  live: readonly ChatMessage[],
): ChatMessage[] {
  const bySeq = new Map<number, ChatMessage>();
  for (const m of archived) bySeq.set(m.seq, m);
  for (const m of live) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
