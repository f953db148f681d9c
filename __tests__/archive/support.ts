/**
 * Shared helpers of the archive tests: users, invokes, and reading what the
 * handler stored in DynamoDB and S3 (through the test's own clients).
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey } from "@aws-sdk/client-s3";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { type SuiteBed, type TestBed, useTestBed } from "../harness/bed.js";
import type { TgUser } from "../harness/fake-telegram.js";
import { sessionItems } from "../harness/items.js";
import { person as makePerson, type Person } from "../harness/people.js";

/**
 * The bed of an archive `describe` ({@link useTestBed}): replies are sent whole (streaming and Telegram's
 * flood control are tested elsewhere and would only slow these tests down).
 */
export function useArchiveBed(env: Readonly<Record<string, string>> = {}): SuiteBed {
  return useTestBed({ env: { STREAM_REPLIES: "false", ...env }, telegram: { flood: false } });
}

export { conversationOf, type StoredMessage, sessionItems } from "../harness/items.js";
export type { Person, PollSummary } from "../harness/people.js";
export { invoke, lastText, repliesTo, say, sleep } from "../harness/people.js";

/** A user with every metadata field Telegram sends, in their private chat. */
export function person(id: number, name: string, extra: Partial<TgUser> = {}): Person {
  return makePerson(name, {
    id,
    user: { username: name.toLowerCase(), language_code: "en", ...extra },
  });
}

// ---- DynamoDB ---------------------------------------------------------------

/** A raw `ChatbotSessions` item. */
export type Item = Record<string, unknown>;

/** The user's profile item. */
export async function profileItem(bed: TestBed, who: Person): Promise<Item | undefined> {
  const res = await bed.aws.db.send(
    new GetCommand({
      TableName: bed.aws.table,
      Key: { PK: `USER#${who.user.id}`, SK: "PROFILE" },
    }),
  );
  return res.Item;
}

/** The single session item of the user (fails the test when there is not exactly one). */
export async function onlySession(bed: TestBed, who: Person): Promise<Item> {
  const items = await sessionItems(bed, who.user.id);
  if (items.length !== 1)
    throw new Error(`expected 1 session of ${who.user.id}, got ${items.length}`);
  return items[0] as Item;
}

/**
 * Moves the last activity of `who`'s active sessions `byMs` into the past (their
 * `last_message_ts` and its index key): a session becomes idle without the test
 * sleeping, and without racing an idle time short enough to pass during an invoke.
 */
export async function ageSessions(
  bed: TestBed,
  who: Person,
  byMs = 2 * 60 * 60_000,
): Promise<void> {
  for (const item of await sessionItems(bed, who.user.id)) {
    if (item.status !== "active") continue;
    const past = new Date(Date.parse(String(item.last_message_ts)) - byMs).toISOString();
    await bed.aws.db.send(
      new UpdateCommand({
        TableName: bed.aws.table,
        Key: { PK: item.PK, SK: item.SK },
        UpdateExpression: "SET last_message_ts = :past, GSI1SK = :past",
        ExpressionAttributeValues: { ":past": past },
      }),
    );
  }
}

/** A session item read again by its key. */
export async function reread(bed: TestBed, item: Item): Promise<Item | undefined> {
  const res = await bed.aws.db.send(
    new GetCommand({
      TableName: bed.aws.table,
      Key: { PK: item.PK, SK: item.SK },
      ConsistentRead: true,
    }),
  );
  return res.Item;
}

/** Writes an item back exactly as given (to recreate an earlier state). */
export async function putItem(bed: TestBed, item: Item): Promise<void> {
  await bed.aws.db.send(new PutCommand({ TableName: bed.aws.table, Item: item }));
}

/** The item's size as stored: every attribute name and value, serialized. */
export function itemBytes(item: Item): number {
  return Buffer.byteLength(JSON.stringify(item), "utf8");
}

// ---- S3 ---------------------------------------------------------------------

/** The archive JSON as the issue specifies it. */
export interface ArchiveJson {
  format: string;
  version: number;
  session: {
    id: string;
    model: string;
    status: string;
    started_at: string;
    last_message_at: string;
    ended_at: string | null;
    archived_at?: string;
    archive_reason?: string;
    exported_at?: string;
    ollama_endpoint: string;
  };
  user: {
    id: number;
    chat_id: number;
    username: string | null;
    first_name: string | null;
    language_code: string | null;
  };
  parameters: { system_prompt: string | null; options: Record<string, number> };
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_duration_ms: number;
    replies: number;
  };
  message_count: number;
  messages: { seq: number; role: string; content: string; timestamp: string; failed?: string }[];
}

/** Every key in the bucket under `prefix`, sorted. */
export async function s3Keys(bed: TestBed, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await bed.aws.s3.send(
      new ListObjectsV2Command({
        Bucket: bed.aws.bucket,
        Prefix: prefix,
        ContinuationToken: token,
      }),
    );
    for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = res.NextContinuationToken;
  } while (token);
  return keys.sort();
}

/** An object's text, or undefined when there is none. */
export async function s3Text(bed: TestBed, key: string): Promise<string | undefined> {
  try {
    const res = await bed.aws.s3.send(new GetObjectCommand({ Bucket: bed.aws.bucket, Key: key }));
    return await res.Body?.transformToString("utf-8");
  } catch (err) {
    if (err instanceof NoSuchKey || (err instanceof Error && err.name === "NoSuchKey"))
      return undefined;
    throw err;
  }
}

/** The parsed archive JSON at `key` (fails the test when missing). */
export async function archiveAt(bed: TestBed, key: string): Promise<ArchiveJson> {
  const text = await s3Text(bed, key);
  if (text === undefined) throw new Error(`no object ${key}`);
  return JSON.parse(text) as ArchiveJson;
}

/** The object key of an `s3://bucket/key` path. */
export function keyOf(bed: TestBed, s3Path: unknown): string {
  const prefix = `s3://${bed.aws.bucket}/`;
  const path = String(s3Path);
  if (!path.startsWith(prefix)) throw new Error(`${path} is not in ${bed.aws.bucket}`);
  return path.slice(prefix.length);
}

/** `<user_id>/model_<segment>/session_<id>` of a session item. */
export function expectedKeyBase(userId: number, modelSegment: string, sessionId: unknown): string {
  return `${userId}/model_${modelSegment}/session_${String(sessionId)}`;
}

/** True when seqs are exactly 1..n in order (no duplicates, no gaps). */
export function isContiguous(messages: readonly { seq: number }[]): boolean {
  return messages.every((m, i) => m.seq === i + 1);
}

/** ISO-8601 timestamp with milliseconds and Z, as `Date#toISOString` writes it. */
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A part object: messages a trim moved to S3 while the session was active. */
export interface PartJson {
  format: string;
  version: number;
  session_id: string;
  first_seq: number;
  last_seq: number;
  previous_first_seq: number | null;
  messages: ArchiveJson["messages"];
}

/** `parts/<user_id>/model_<segment>/session_<id>/`: where a session's parts live. */
export function partsPrefixOf(item: Item, modelSegment = "llama3"): string {
  return `parts/${String(item.user_id)}/model_${modelSegment}/session_${String(item.session_id)}/`;
}

/** Every part of a session, in key (= message) order, with its key and exact stored text. */
export async function partsOf(
  bed: TestBed,
  item: Item,
  modelSegment = "llama3",
): Promise<{ key: string; text: string; part: PartJson }[]> {
  const keys = await s3Keys(bed, partsPrefixOf(item, modelSegment));
  return Promise.all(
    keys.map(async (key) => {
      const text = (await s3Text(bed, key)) ?? "";
      return { key, text, part: JSON.parse(text) as PartJson };
    }),
  );
}

/** The messages of a session's parts, by message number (overlapping parts counted once). */
export async function partMessages(
  bed: TestBed,
  item: Item,
  modelSegment = "llama3",
): Promise<ArchiveJson["messages"]> {
  const bySeq = new Map<number, ArchiveJson["messages"][number]>();
  for (const { part } of await partsOf(bed, item, modelSegment))
    for (const m of part.messages) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
