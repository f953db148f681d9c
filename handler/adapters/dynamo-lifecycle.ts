import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { ArchivedClose, IdleSession, SessionLifecycleStore } from "../app/ports.js";
import {
  type ArchiveReason,
  type ChatMessage,
  messagesBytes,
  type Session,
} from "../domain/session.js";
import {
  ACTIVE_INDEX,
  ACTIVE_MARKER,
  conditionalWrite,
  idleSessionOf,
  messageToItem,
  pendingSortKey,
  sessionKeyOf,
  sessionToItem,
} from "./dynamo-items.js";

/**
 * The guard of an archive write: the session is still active and no message
 * was added or archived since it was read (see {@link unchangedSinceRead}).
 */
const UNCHANGED_SINCE_READ =
  "#status = :active AND message_count = :count AND archived_count = :archived";

const unchangedSinceRead = (session: Session) => ({
  ":active": "active",
  ":count": session.messageCount,
  ":archived": session.archivedCount,
});

/**
 * {@link SessionLifecycleStore}: the archive's writes to `ChatbotSessions`.
 * Every write is conditional on the message count it was computed from, so an
 * archive never drops a message written meanwhile; trims and closes also on
 * the archived count, so the newest-part pointer (`archive_tail`) is only ever
 * moved forward from the state the part was built on.
 */
export class DynamoLifecycleStore implements SessionLifecycleStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async closeArchived(session: Session, change: ArchivedClose): Promise<Session> {
    const now = change.now.toISOString();
    const tail = change.archiveTail !== undefined;
    await this.update(
      session,
      // ollama_endpoint as read (user info dropped): an item an older version stored with the
      // whole OLLAMA_URL keeps no password once closed.
      "SET #status = :closed, s3_path = :path, archived_count = message_count, closed_at = :now, archived_at = :now, " +
        "archive_reason = :reason, window_bytes = :zero, ollama_endpoint = :endpoint" +
        (tail ? ", archive_tail = :tail" : "") +
        (change.expiresAt ? ", expires_at = :exp" : "") +
        " REMOVE conversation, GSI1PK, GSI1SK, pending_archive",
      UNCHANGED_SINCE_READ,
      {
        ...unchangedSinceRead(session),
        ":closed": "closed",
        ":path": change.s3Path,
        ":now": now,
        ":reason": change.reason,
        ":zero": 0,
        ":endpoint": session.ollamaUrl,
        ...(tail ? { ":tail": change.archiveTail } : {}),
        ...(change.expiresAt ? { ":exp": change.expiresAt } : {}),
      },
    );
    return {
      ...session,
      status: "closed",
      conversation: [],
      s3Path: change.s3Path,
      archiveTail: change.archiveTail,
      archivedCount: session.messageCount,
      closedAt: now,
      archivedAt: now,
      archiveReason: change.reason,
    };
  }

  async trimArchived(
    session: Session,
    change: { archiveTail?: number; keep: readonly ChatMessage[]; now: Date },
  ): Promise<Session> {
    const now = change.now.toISOString();
    const tail = change.archiveTail !== undefined;
    // No s3_path: while the session is active there is no composed archive to point at.
    await this.update(
      session,
      "SET conversation = :keep, archived_count = message_count, archived_at = :now, window_bytes = :bytes" +
        (tail ? ", archive_tail = :tail" : ""),
      UNCHANGED_SINCE_READ,
      {
        ...unchangedSinceRead(session),
        ":keep": change.keep.map(messageToItem),
        ":now": now,
        ":bytes": messagesBytes(change.keep),
        ...(tail ? { ":tail": change.archiveTail } : {}),
      },
    );
    return {
      ...session,
      conversation: [...change.keep],
      archivedCount: session.messageCount,
      archiveTail: change.archiveTail,
      archivedAt: now,
    };
  }

  async reopen(session: Session, window: readonly ChatMessage[], now: Date): Promise<Session> {
    const ts = now.toISOString();
    await this.update(
      session,
      "SET #status = :active, conversation = :window, window_bytes = :bytes, last_message_ts = :now, GSI1PK = :marker, GSI1SK = :now " +
        "REMOVE closed_at, expires_at, archive_reason",
      "#status = :closed",
      {
        ":active": "active",
        ":closed": "closed",
        ":window": window.map(messageToItem),
        ":bytes": messagesBytes(window),
        ":now": ts,
        ":marker": ACTIVE_MARKER,
      },
    );
    return {
      ...session,
      status: "active",
      conversation: [...window],
      lastMessageTs: ts,
      closedAt: undefined,
      archiveReason: undefined,
    };
  }

  async putClosed(session: Session, change: { expiresAt?: number } = {}): Promise<void> {
    // Closed sessions keep metadata only: their messages are in S3.
    const { conversation: _inS3, ...item } = sessionToItem(session);
    await this.write(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: change.expiresAt ? { ...item, expires_at: change.expiresAt } : item,
          ConditionExpression: "attribute_not_exists(PK)",
        }),
      ),
    );
  }

  async deferClose(session: Session, reason: ArchiveReason): Promise<void> {
    await this.update(
      session,
      "SET GSI1SK = :pending, pending_archive = :reason",
      "#status = :active AND message_count = :count",
      {
        ":pending": pendingSortKey(reason),
        ":reason": reason,
        ":active": "active",
        ":count": session.messageCount,
      },
    );
  }

  async dropEmpty(session: Session): Promise<void> {
    await this.write(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: sessionKeyOf(session),
          // Not even a setting changed since it was read (a /system prompt is worth keeping).
          ConditionExpression:
            "#status = :active AND message_count = :zero AND last_update_id = :uid",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":active": "active",
            ":zero": 0,
            ":uid": session.lastUpdateId,
          },
        }),
      ),
    );
  }

  async findIdle(before: string, limit: number): Promise<IdleSession[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: ACTIVE_INDEX,
        KeyConditionExpression: "GSI1PK = :marker AND GSI1SK < :before",
        ExpressionAttributeValues: { ":marker": ACTIVE_MARKER, ":before": before },
        Limit: limit,
      }),
    );
    return (res.Items ?? []).flatMap((item) => {
      const idle = idleSessionOf(item);
      return idle ? [idle] : [];
    });
  }

  /** Updates a session item if `condition` holds (`#status` stands for the status attribute). */
  private async update(
    session: Session,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    await this.write(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: sessionKeyOf(session),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  private async write(send: () => Promise<unknown>): Promise<void> {
    await conditionalWrite(send, "The session changed while it was being archived.");
  }
}
