/** Reading what the handler stored in DynamoDB, through the test's own client. */
import { PutCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { TestBed } from "./bed.js";

/** A message of a session's recent window as stored (`conversation`). */
export interface StoredMessage {
  seq: number;
  role: string;
  content: string;
  ts: string;
  update_id?: number;
  failed?: string;
  cut_off?: string;
}

/** Every DynamoDB item of a user (profile and sessions), read consistently. */
export async function userItems(bed: TestBed, userId: number): Promise<Record<string, unknown>[]> {
  const res = await bed.aws.db.send(
    new QueryCommand({
      TableName: bed.aws.table,
      KeyConditionExpression: "PK = :pk",
      ExpressionAttributeValues: { ":pk": `USER#${userId}` },
      ConsistentRead: true,
    }),
  );
  return res.Items ?? [];
}

/** Every item of the table, whoever it belongs to (for checks over everything stored). */
export async function tableItems(bed: TestBed): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await bed.aws.db.send(
      new ScanCommand({ TableName: bed.aws.table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The user's session items, oldest first. */
export async function sessionItems(
  bed: TestBed,
  userId: number,
): Promise<Record<string, unknown>[]> {
  return (await userItems(bed, userId))
    .filter((i) => String(i.SK).startsWith("MODEL#"))
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
}

/** The recent window (`conversation`) of a session item. */
export function conversationOf(item: Record<string, unknown> | undefined): StoredMessage[] {
  return Array.isArray(item?.conversation) ? (item.conversation as StoredMessage[]) : [];
}

/**
 * True for the DynamoDB request that stores a turn's messages: an append
 * (`UpdateItem` with `list_append`), or the `PutItem` that creates a session
 * together with its first turn (a new session is stored by its first message).
 */
export function storesTurn(operation: string, body: string): boolean {
  if (operation === "UpdateItem") return body.includes("list_append");
  if (operation !== "PutItem") return false;
  const item = (JSON.parse(body) as { Item?: Record<string, { S?: string; L?: unknown[] }> }).Item;
  return item?.item_type?.S === "session" && (item.conversation?.L?.length ?? 0) > 0;
}

/** A user's usage counters, as another invoke (or an earlier day) left them. */
export interface StoredUsage {
  readonly day: string;
  readonly dayMessages: number;
  readonly dayTokens: number;
  readonly messages: number;
  readonly tokens: number;
}

/** Stores a user's usage item (`USER#<id>` / `USAGE`) as the bot writes it. */
export async function putUsageItem(bed: TestBed, userId: number, u: StoredUsage): Promise<void> {
  await bed.aws.db.send(
    new PutCommand({
      TableName: bed.aws.table,
      Item: {
        PK: `USER#${userId}`,
        SK: "USAGE",
        item_type: "usage",
        user_id: userId,
        usage_day: u.day,
        day_messages: u.dayMessages,
        day_tokens: u.dayTokens,
        messages: u.messages,
        tokens: u.tokens,
      },
    }),
  );
}
