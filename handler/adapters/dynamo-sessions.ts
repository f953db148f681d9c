import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { AppendChange, SessionStore } from "../app/ports.js";
import {
  type ChatMessage,
  messagesBytes,
  type Session,
  type SessionKey,
  type SessionSettings,
  type UserProfile,
} from "../domain/session.js";
import { stampOf, type UpdateRef } from "../domain/update-stamp.js";
import { ConflictError } from "../errors.js";
import {
  conditionalWrite,
  messageToItem,
  PROFILE_SK,
  profileFromItem,
  profileToItem,
  sessionFromItem,
  sessionKeyOf,
  sessionToItem,
  userPk,
} from "./dynamo-items.js";
import { notAppliedCondition } from "./dynamo-stamp.js";

/**
 * {@link SessionStore} on the `ChatbotSessions` table. The document client is
 * passed in (built once per process). `ConditionalCheckFailedException`
 * becomes {@link ConflictError}; every other SDK error is rethrown untouched,
 * so a throttle is never mistaken for "no session".
 */
export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getProfile(userId: number): Promise<UserProfile | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { PK: userPk(userId), SK: PROFILE_SK } }),
    );
    return res.Item ? profileFromItem(res.Item) : undefined;
  }

  async saveProfile(profile: UserProfile): Promise<void> {
    const stamped = notAppliedCondition(
      { updateId: profile.lastUpdateId, receivedAt: profile.lastUpdateAt ?? 0 },
      { orSame: true },
    );
    await this.conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: profileToItem(profile),
          ConditionExpression: `attribute_not_exists(PK) OR ${stamped.expression}`,
          ExpressionAttributeValues: stamped.values,
        }),
      ),
    );
  }

  async getSession(key: SessionKey): Promise<Session | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: sessionKeyOf(key), ConsistentRead: true }),
    );
    return res.Item ? sessionFromItem(res.Item) : undefined;
  }

  async createSession(session: Session): Promise<void> {
    await this.conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: sessionToItem(session),
          ConditionExpression: "attribute_not_exists(PK)",
        }),
      ),
    );
  }

  async appendMessages(
    session: Session,
    messages: readonly ChatMessage[],
    change: AppendChange,
  ): Promise<Session> {
    const { unsaved, ...before } = session;
    const updated = appended(before, messages, change);
    // A session created for this very message: one PutItem stores it with its first turn.
    if (unsaved) {
      await this.createSession(updated);
      return updated;
    }
    const usage = change.usage;
    const fresh = notAppliedCondition(change.update);
    await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: sessionKeyOf(session),
          // Only the new messages travel: the write costs the same at message 10 and 1,000.
          UpdateExpression:
            "SET conversation = list_append(conversation, :msgs), message_count = :count, window_bytes = :bytes, " +
            "last_message_ts = :now, GSI1SK = :now, last_update_id = :uid, last_update_at = :at, chat_id = :chat" +
            (change.contextTrimWarned ? ", context_trim_warned = :true" : "") +
            (change.answeredBy ? ", ollama_endpoint = :endpoint" : "") +
            " ADD prompt_tokens :pt, completion_tokens :ct, total_ms :ms, replies :replies",
          ConditionExpression: `#status = :active AND message_count = :expected AND ${fresh.expression}`,
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":msgs": messages.map(messageToItem),
            ":count": updated.messageCount,
            ":bytes": messagesBytes(updated.conversation),
            ":now": updated.lastMessageTs,
            ...fresh.values,
            ":chat": session.chatId,
            ":active": "active",
            ":expected": session.messageCount,
            ":pt": usage?.promptTokens ?? 0,
            ":ct": usage?.completionTokens ?? 0,
            ":ms": usage?.totalMs ?? 0,
            ":replies": updated.usage.replies - session.usage.replies,
            ...(change.contextTrimWarned ? { ":true": true } : {}),
            ...(change.answeredBy ? { ":endpoint": change.answeredBy } : {}),
          },
        }),
      ),
    );
    return updated;
  }

  async updateSettings(
    session: Session,
    settings: SessionSettings,
    update: UpdateRef,
  ): Promise<Session> {
    // Each setting is written, or removed when unset: the item says exactly what is in effect.
    const fresh = notAppliedCondition(update);
    const set = ["options = :opts", "last_update_id = :uid", "last_update_at = :at"];
    const remove: string[] = [];
    if (settings.systemPrompt) set.push("system_prompt = :sys");
    else remove.push("system_prompt");
    if (settings.think) set.push("think = :think");
    else remove.push("think");
    await this.conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: sessionKeyOf(session),
          UpdateExpression: `SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""}`,
          ConditionExpression: `#status = :active AND ${fresh.expression}`,
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":opts": { ...settings.options },
            ...fresh.values,
            ":active": "active",
            ...(settings.systemPrompt ? { ":sys": settings.systemPrompt } : {}),
            ...(settings.think ? { ":think": settings.think } : {}),
          },
        }),
      ),
    );
    return { ...session, ...settings, ...stampOf(update) };
  }

  async listSessions(userId: number): Promise<Session[]> {
    const sessions: Session[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :model)",
        // Metadata only: the conversation window stays in the table.
        ProjectionExpression:
          "user_id, chat_id, group_chat_id, model_name, session_id, #status, message_count, archived_count, created_at, " +
          "last_message_ts, s3_path, ollama_endpoint, closed_at, archived_at, archive_reason, pending_archive",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":pk": userPk(userId), ":model": "MODEL#" },
      },
    );
    for await (const page of pages)
      for (const item of page.Items ?? []) sessions.push(sessionFromItem(item));
    return sessions.sort((a, b) => b.lastMessageTs.localeCompare(a.lastMessageTs));
  }

  private conditional<T>(write: () => Promise<T>): Promise<T> {
    return conditionalWrite(
      write,
      "The item changed since it was read (or the update was already applied).",
    );
  }
}

/** `session` after `messages` were appended by `change`: what the append leaves stored. */
function appended(
  session: Session,
  messages: readonly ChatMessage[],
  change: AppendChange,
): Session {
  const usage = change.usage;
  return {
    ...session,
    conversation: [...session.conversation, ...messages],
    messageCount: session.messageCount + messages.length,
    lastMessageTs: change.now.toISOString(),
    ...stampOf(change.update),
    contextTrimWarned: session.contextTrimWarned || change.contextTrimWarned,
    ollamaUrl: change.answeredBy ?? session.ollamaUrl,
    usage: {
      promptTokens: session.usage.promptTokens + (usage?.promptTokens ?? 0),
      completionTokens: session.usage.completionTokens + (usage?.completionTokens ?? 0),
      totalMs: session.usage.totalMs + (usage?.totalMs ?? 0),
      replies: session.usage.replies + messages.filter((m) => m.role === "assistant").length,
    },
  };
}
