/**
 * The mapping between domain objects and `ChatbotSessions` items. Attribute
 * names follow the design document (`user_id`, `chat_id`, `model_name`, …).
 */
import type { IdleSession } from "../app/ports.js";
import { withoutUserInfo } from "../domain/ollama-server.js";
import {
  type ArchiveReason,
  type ChatMessage,
  messagesBytes,
  type Session,
  type SessionKey,
  type UserProfile,
} from "../domain/session.js";
import { isThinkSetting } from "../domain/think.js";
import { ConflictError } from "../errors.js";
import { stampFromItem, stampToItem } from "./dynamo-stamp.js";

/** Sparse index of active sessions by last activity; idle sessions are found with a Query. */
export const ACTIVE_INDEX = "ActiveByLastMessage";
/**
 * Index of per-user usage items by UTC day (`usage_day`) and that day's tokens
 * (`day_tokens`): admins' `/usage all` reads a day's top users with one Query
 * of `Limit` items instead of a Scan of the table.
 */
export const USAGE_INDEX = "UsageByDay";
/** Value of `GSI1PK` on every active session. */
export const ACTIVE_MARKER = "ACTIVE";

/** A raw DynamoDB item as lib-dynamodb returns it. */
export type Item = Record<string, unknown>;

/** `USER#<telegram_user_id>` */
export const userPk = (userId: number): string => `USER#${userId}`;
/** `MODEL#<model_name>#SESSION#<session_id>` */
export const sessionSk = (model: string, sessionId: string): string =>
  `MODEL#${model}#SESSION#${sessionId}`;
/** Sort key of the per-user profile item. */
export const PROFILE_SK = "PROFILE";

/** Primary key of a session item. */
export function sessionKeyOf(key: SessionKey): { PK: string; SK: string } {
  return { PK: userPk(key.userId), SK: sessionSk(key.model, key.sessionId) };
}

/** DynamoDB refused a write because its condition did not hold. */
export function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === "ConditionalCheckFailedException";
}

/**
 * Runs a conditional write: a failed condition becomes a {@link ConflictError}
 * saying `conflict`; every other error (a throttle, say) is rethrown untouched.
 */
export async function conditionalWrite<T>(write: () => Promise<T>, conflict: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isConditionFailure(err)) throw new ConflictError(conflict, { cause: err });
    throw err;
  }
}

/** Domain message → list element. */
export function messageToItem(m: ChatMessage): Item {
  return {
    seq: m.seq,
    role: m.role,
    content: m.content,
    ts: m.ts,
    ...(m.updateId !== undefined ? { update_id: m.updateId } : {}),
    ...(m.failed ? { failed: m.failed } : {}),
    ...(m.images?.length ? { images: [...m.images] } : {}),
    ...(m.voice ? { voice: true } : {}),
    ...(m.audio ? { audio: m.audio } : {}),
    ...(m.cutOff ? { cut_off: m.cutOff } : {}),
    ...(m.stopped ? { stopped: true } : {}),
  };
}

function messageFromItem(raw: unknown): ChatMessage {
  const i = raw as Item;
  return {
    seq: Number(i.seq),
    role: i.role as ChatMessage["role"],
    content: String(i.content ?? ""),
    ts: String(i.ts),
    ...(i.update_id !== undefined ? { updateId: Number(i.update_id) } : {}),
    ...(i.failed ? { failed: String(i.failed) } : {}),
    ...(Array.isArray(i.images) && i.images.length > 0 ? { images: i.images.map(String) } : {}),
    ...(i.voice === true ? { voice: true } : {}),
    ...(typeof i.audio === "string" && i.audio ? { audio: i.audio } : {}),
    ...(i.cut_off ? { cutOff: String(i.cut_off) } : {}),
    ...(i.stopped === true ? { stopped: true } : {}),
  };
}

const num = (v: unknown, fallback = 0): number => (typeof v === "number" ? v : fallback);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Session → full item (used on create). */
export function sessionToItem(s: Session): Item {
  return {
    ...sessionKeyOf(s),
    item_type: "session",
    user_id: s.userId,
    chat_id: s.chatId,
    ...(s.groupChatId !== undefined ? { group_chat_id: s.groupChatId } : {}),
    model_name: s.model,
    session_id: s.sessionId,
    conversation: s.conversation.map(messageToItem),
    message_count: s.messageCount,
    archived_count: s.archivedCount,
    ...(s.archiveTail !== undefined ? { archive_tail: s.archiveTail } : {}),
    window_bytes: messagesBytes(s.conversation),
    created_at: s.createdAt,
    last_message_ts: s.lastMessageTs,
    status: s.status,
    ollama_endpoint: s.ollamaUrl,
    ...(s.s3Path ? { s3_path: s.s3Path } : {}),
    options: { ...s.options },
    ...(s.systemPrompt ? { system_prompt: s.systemPrompt } : {}),
    ...(s.think ? { think: s.think } : {}),
    prompt_tokens: s.usage.promptTokens,
    completion_tokens: s.usage.completionTokens,
    total_ms: s.usage.totalMs,
    replies: s.usage.replies,
    ...stampToItem(s),
    user: userMetaToItem(s.user),
    ...(s.status === "active" ? { GSI1PK: ACTIVE_MARKER, GSI1SK: s.lastMessageTs } : {}),
    ...(s.closedAt ? { closed_at: s.closedAt } : {}),
    ...(s.archivedAt ? { archived_at: s.archivedAt } : {}),
    ...(s.archiveReason ? { archive_reason: s.archiveReason } : {}),
    ...(s.contextTrimWarned ? { context_trim_warned: true } : {}),
  };
}

/** Item → session (tolerates the bulky fields being absent on closed sessions). */
export function sessionFromItem(i: Item): Session {
  return {
    userId: num(i.user_id),
    chatId: num(i.chat_id),
    ...(typeof i.group_chat_id === "number" ? { groupChatId: i.group_chat_id } : {}),
    model: String(i.model_name),
    sessionId: String(i.session_id),
    status: i.status === "closed" ? "closed" : "active",
    conversation: Array.isArray(i.conversation) ? i.conversation.map(messageFromItem) : [],
    messageCount: num(i.message_count),
    archivedCount: num(i.archived_count),
    archiveTail: typeof i.archive_tail === "number" ? i.archive_tail : undefined,
    createdAt: String(i.created_at),
    lastMessageTs: String(i.last_message_ts),
    // Items stored before credentials were kept out of the record may still carry them.
    ollamaUrl: withoutUserInfo(String(i.ollama_endpoint ?? "")),
    s3Path: str(i.s3_path),
    options: (i.options ?? {}) as Session["options"],
    systemPrompt: str(i.system_prompt),
    ...(isThinkSetting(i.think) ? { think: i.think } : {}),
    usage: {
      promptTokens: num(i.prompt_tokens),
      completionTokens: num(i.completion_tokens),
      totalMs: num(i.total_ms),
      replies: num(i.replies),
    },
    ...stampFromItem(i),
    user: userMetaFromItem(i),
    closedAt: str(i.closed_at),
    archivedAt: str(i.archived_at),
    archiveReason: str(i.archive_reason) as Session["archiveReason"],
    pendingArchive: str(i.pending_archive) as Session["pendingArchive"],
    contextTrimWarned: i.context_trim_warned === true,
  };
}

/** The `user` map of a session or profile item; its id falls back to the item's `user_id`. */
function userMetaFromItem(i: Item): Session["user"] {
  const user = (i.user ?? {}) as Item;
  return {
    id: num(user.id, num(i.user_id)),
    username: str(user.username),
    firstName: str(user.first_name),
    languageCode: str(user.language_code),
  };
}

function userMetaToItem(u: Session["user"]): Item {
  return {
    id: u.id,
    ...(u.username ? { username: u.username } : {}),
    ...(u.firstName ? { first_name: u.firstName } : {}),
    ...(u.languageCode ? { language_code: u.languageCode } : {}),
  };
}

/** Profile → item. */
export function profileToItem(p: UserProfile): Item {
  return {
    PK: userPk(p.userId),
    SK: PROFILE_SK,
    item_type: "profile",
    user_id: p.userId,
    chat_id: p.chatId,
    current_model: p.currentModel,
    active_sessions: { ...p.activeSessions },
    ...stampToItem(p),
    user: userMetaToItem(p.user),
  };
}

/** Item → profile. */
export function profileFromItem(i: Item): UserProfile {
  return {
    userId: num(i.user_id),
    chatId: num(i.chat_id),
    currentModel: String(i.current_model),
    activeSessions: (i.active_sessions ?? {}) as Record<string, string>,
    ...stampFromItem(i),
    user: userMetaFromItem(i),
  };
}

const ARCHIVE_REASONS: readonly ArchiveReason[] = ["ended", "new", "idle", "size", "imported"];

/**
 * `GSI1SK` of a session whose ending waits for S3: sorts before every ISO
 * timestamp, so the next sweep's index query finds it first, whatever its age.
 */
export const pendingSortKey = (reason: ArchiveReason): string => `0#${reason}`;

function pendingReasonOf(sortKey: unknown): ArchiveReason | undefined {
  const match = /^0#(\w+)$/.exec(String(sortKey));
  return ARCHIVE_REASONS.find((r) => r === match?.[1]);
}

/** An item of the active-sessions index as the idle sweep needs it; undefined for a key it cannot read. */
export function idleSessionOf(item: Item): IdleSession | undefined {
  const match = /^USER#(\d+)$/.exec(String(item.PK));
  const sk = /^MODEL#(.+)#SESSION#(.+)$/.exec(String(item.SK));
  const pendingReason = pendingReasonOf(item.GSI1SK);
  if (!(match?.[1] && sk?.[1] && sk[2])) return undefined;
  return {
    userId: Number(match[1]),
    model: sk[1],
    sessionId: sk[2],
    ...(pendingReason ? { pendingReason } : {}),
  };
}
