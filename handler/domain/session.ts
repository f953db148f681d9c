import type { ThinkSetting } from "./think.js";
import type { UpdateStamp } from "./update-stamp.js";

/**
 * Longest message the bot stores (a longer answer is cut, with a note). Well
 * under {@link MAX_ARCHIVED_MESSAGE_CHARS}, so every stored message can be
 * archived, exported and imported again, and small enough that one answer
 * cannot push a session item towards DynamoDB's 400 KB.
 */
export const MAX_STORED_MESSAGE_CHARS = 20_000;

/**
 * An answer as it is shown and stored: whole when it fits
 * {@link MAX_STORED_MESSAGE_CHARS}, else cut with a note saying so.
 */
export function capAnswer(text: string): string {
  if (text.length <= MAX_STORED_MESSAGE_CHARS) return text;
  const note = `\n\n[… the answer was cut here: it passed ${MAX_STORED_MESSAGE_CHARS} characters]`;
  return `${text.slice(0, MAX_STORED_MESSAGE_CHARS - note.length)}${note}`;
}

/** Longest message an archive may hold (the reader's limit; the writer clips to it). */
export const MAX_ARCHIVED_MESSAGE_CHARS = 100_000;

/** Longest Ollama address recorded in an archive (a record only, never called). */
export const MAX_RECORDED_ENDPOINT_CHARS = 500;

/** Who wrote a message in a conversation. */
export type Role = "system" | "user" | "assistant";

/** One stored message. `seq` numbers the session's messages from 1, without gaps. */
export interface ChatMessage {
  readonly seq: number;
  readonly role: Role;
  readonly content: string;
  /** ISO-8601 time the message was written. */
  readonly ts: string;
  /** Telegram update that produced it (user messages), for tracing. */
  readonly updateId?: number;
  /** Set on a user message the model could not answer (e.g. Ollama was down). */
  readonly failed?: string;
  /**
   * S3 keys of images sent with a user message, under the conversation's own
   * prefix (see `media/image-keys.ts`): the bytes never go into DynamoDB.
   */
  readonly images?: readonly string[];
  /**
   * Set on a user message that came as a voice note or audio file: its
   * content is what the speech server heard (after the caption, if any).
   */
  readonly voice?: boolean;
  /**
   * S3 key of that audio, under the conversation's own prefix (see
   * `voice/audio-files.ts`); kept, never read back or sent to the model.
   */
  readonly audio?: string;
  /**
   * Set on an answer the model did not finish: `length` when it reached
   * `num_predict`. Such an answer is shown and stored, marked, never as complete.
   */
  readonly cutOff?: string;
  /** Set on an answer the user stopped: it holds what was written until then. */
  readonly stopped?: boolean;
}

/** Ollama generation parameters a user may set per session (`/set`). */
export interface ModelOptions {
  readonly temperature?: number;
  readonly num_ctx?: number;
  readonly num_predict?: number;
  readonly top_p?: number;
  readonly top_k?: number;
  readonly seed?: number;
}

/** Telegram metadata of the user, kept for archives. */
export interface UserMeta {
  readonly id: number;
  readonly username?: string;
  readonly firstName?: string;
  readonly languageCode?: string;
}

/** Token counts and durations reported by Ollama, summed over the session. */
export interface UsageTotals {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Sum of Ollama's `total_duration`, in milliseconds. */
  readonly totalMs: number;
  readonly replies: number;
}

/** Why a session went to S3. */
export type ArchiveReason = "ended" | "new" | "idle" | "size" | "imported";

/** A conversation with one model: the design document's `ChatbotSessions` item. */
export interface Session {
  readonly userId: number;
  readonly chatId: number;
  /**
   * The group this conversation belongs to; undefined for the user's private
   * chat (see `chat-scope.ts`). Never changes after the session is created.
   */
  readonly groupChatId?: number;
  readonly model: string;
  readonly sessionId: string;
  readonly status: "active" | "closed";
  /** The recent window kept in DynamoDB; older messages live in S3. */
  readonly conversation: readonly ChatMessage[];
  /** Messages ever written to the session (the last `seq`). */
  readonly messageCount: number;
  /** Messages with `seq <= archivedCount` are safely in the S3 archive. */
  readonly archivedCount: number;
  /**
   * First message of the newest archive part (the part holds
   * `archiveTail..archivedCount`). Undefined when no part was written: then the
   * composed archive holds messages 1..`archivedCount` (imports, and sessions
   * archived before parts existed).
   */
  readonly archiveTail?: number;
  readonly createdAt: string;
  readonly lastMessageTs: string;
  /**
   * The public URL of the Ollama server that wrote the session's latest answer
   * (the first of `OLLAMA_URL`'s servers until one has); stored as
   * `ollama_endpoint` in DynamoDB and the archive. A record, never an address
   * to call. Never carries user info: a password stays in the requests.
   */
  readonly ollamaUrl: string;
  readonly s3Path?: string;
  readonly options: ModelOptions;
  readonly systemPrompt?: string;
  /** `/think`: whether and how hard the model reasons; unset, the model decides. */
  readonly think?: ThinkSetting;
  readonly usage: UsageTotals;
  /** The last Telegram update applied to this item (deduplication: `update-stamp.ts`). */
  readonly lastUpdateId: number;
  /** When that update was taken on (epoch ms; see {@link UpdateStamp}). */
  readonly lastUpdateAt?: number;
  readonly user: UserMeta;
  /**
   * Created in this invoke for a user's message and not stored yet: the
   * message's append stores the whole item (one write instead of two).
   */
  readonly unsaved?: true;
  readonly closedAt?: string;
  readonly archivedAt?: string;
  readonly archiveReason?: ArchiveReason;
  /** Set while an archive the user asked for waits for S3 (it is retried by the idle sweep). */
  readonly pendingArchive?: ArchiveReason;
  /** Set once the user has been told their context is being trimmed. */
  readonly contextTrimWarned?: boolean;
}

/** What a user sets for one conversation: `/set` options, `/system` and `/think`. */
export type SessionSettings = Pick<Session, "options" | "systemPrompt" | "think">;

/** The settings of `session`, to change one and keep the others. */
export function settingsOf(session: Session): SessionSettings {
  return { options: session.options, systemPrompt: session.systemPrompt, think: session.think };
}

/** Per-user state: which model they talk to and each model's active session. */
export interface UserProfile {
  readonly userId: number;
  readonly chatId: number;
  readonly currentModel: string;
  /** `activeKey(scope, model)` → session id of its active session in that chat. */
  readonly activeSessions: Readonly<Record<string, string>>;
  /** The last update applied to the profile, and when it was taken on (see {@link UpdateStamp}). */
  readonly lastUpdateId: number;
  readonly lastUpdateAt?: number;
  readonly user: UserMeta;
}

/** Identifies a session item. */
export interface SessionKey {
  readonly userId: number;
  readonly model: string;
  readonly sessionId: string;
}

/** A new empty active session. */
export function newSession(args: {
  userId: number;
  chatId: number;
  groupChatId?: number;
  model: string;
  sessionId: string;
  ollamaUrl: string;
  user: UserMeta;
  now: Date;
}): Session {
  const now = args.now.toISOString();
  return {
    userId: args.userId,
    chatId: args.chatId,
    ...(args.groupChatId !== undefined ? { groupChatId: args.groupChatId } : {}),
    model: args.model,
    sessionId: args.sessionId,
    status: "active",
    conversation: [],
    messageCount: 0,
    archivedCount: 0,
    createdAt: now,
    lastMessageTs: now,
    ollamaUrl: args.ollamaUrl,
    options: {},
    usage: { promptTokens: 0, completionTokens: 0, totalMs: 0, replies: 0 },
    lastUpdateId: 0,
    user: args.user,
  };
}

/** Sortable, unique, readable session id: `20261124T101500Z-3f9a1c`. */
export function newSessionId(now: Date, random: () => number = Math.random): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const suffix = Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, "0");
  return `${stamp}-${suffix}`;
}

/** Approximate stored size of messages (content plus per-message overhead), for the size bounds of the live window. */
export function messagesBytes(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + Buffer.byteLength(m.content, "utf8") + 64, 0);
}
