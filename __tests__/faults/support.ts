/**
 * Shared helpers of the fault-injection suite: people who talk to the bot,
 * readers of what the handler stored in DynamoDB, and a guard that collects
 * everything the bundle said (logs, invoke results, errors) so each file can
 * prove the bot token never appeared in any of it.
 */
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "@jest/globals";
import type { TestBed } from "../harness/bed.js";
import {
  conversationOf,
  type StoredMessage,
  sessionItems,
  storesTurn,
  userItems,
} from "../harness/items.js";
import { allLogs, coldStart } from "../harness/lambda.js";
import type { Person, PollSummary } from "../harness/people.js";

export type { Person, PollSummary } from "../harness/people.js";
export { person, repliesTo, sleep, waitFor } from "../harness/people.js";

/** A function URL response (webhook mode). */
export interface UrlResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** How many of `texts` contain `needle`. */
export function countContaining(texts: readonly string[], needle: string): number {
  return texts.filter((t) => t.includes(needle)).length;
}

export { type StoredMessage, sessionItems, storesTurn, userItems };

/** The conversation of the user's sessions, oldest session first. */
export async function storedConversation(bed: TestBed, userId: number): Promise<StoredMessage[]> {
  return (await sessionItems(bed, userId)).flatMap(conversationOf);
}

/** The bot's id as the handler derives it (the token's numeric prefix). */
export function botId(bed: TestBed): string {
  return bed.env.TELEGRAM_BOT_TOKEN?.split(":")[0] ?? "";
}

/** The poller's item: lease, stored offset, finished and failed update ids. */
export async function pollerItem(bed: TestBed): Promise<Record<string, unknown> | undefined> {
  const res = await bed.aws.db.send(
    new GetCommand({
      TableName: bed.aws.table,
      Key: { PK: `BOT#${botId(bed)}`, SK: "POLLER" },
      ConsistentRead: true,
    }),
  );
  return res.Item;
}

/** Every item under the bot's partition (poller state, webhook claims). */
export async function botItems(bed: TestBed): Promise<Record<string, unknown>[]> {
  const res = await bed.aws.db.send(
    new QueryCommand({
      TableName: bed.aws.table,
      KeyConditionExpression: "PK = :pk",
      ExpressionAttributeValues: { ":pk": `BOT#${botId(bed)}` },
      ConsistentRead: true,
    }),
  );
  return res.Items ?? [];
}

/**
 * The webhook ledger's item of an update sent by `p` (its lane is the sender):
 * status `pending`, `done` or `failed`, `attempts`, and the update while unanswered.
 */
export async function ledgerItem(
  bed: TestBed,
  p: Person,
  updateId: number,
): Promise<Record<string, unknown> | undefined> {
  const res = await bed.aws.db.send(
    new GetCommand({
      TableName: bed.aws.table,
      Key: {
        PK: `BOT#${botId(bed)}#LANE#u${p.user.id}`,
        SK: `UPDATE#${String(updateId).padStart(16, "0")}`,
      },
      ConsistentRead: true,
    }),
  );
  return res.Item;
}

/**
 * Collects every invoke result, error and extra output (child processes) of a
 * file; {@link TokenGuard.assertNoToken} checks them and every captured log line.
 */
export class TokenGuard {
  private readonly texts: string[] = [];
  private readonly childLogs: string[] = [];

  /** Remembers a result, an error (message, stack and causes) or raw output. */
  record(value: unknown): void {
    this.texts.push(textOf(value));
  }

  /** Remembers the lines a bundle running in a child process wrote (its logs). */
  recordChildLogs(lines: readonly string[]): void {
    this.childLogs.push(...lines);
  }

  /** Fails if the token appears anywhere the bundle wrote or returned during the file. */
  assertNoToken(token: string): void {
    const logs = [...allLogs(), ...this.childLogs];
    // The suite captured log lines: a check on nothing would pass vacuously.
    expect(logs.length).toBeGreaterThan(0);
    const secret = token.split(":")[1] ?? token;
    const leaks = [...logs, ...this.texts].filter((t) => t.includes(token) || t.includes(secret));
    expect(leaks).toEqual([]);
  }
}

function textOf(value: unknown, depth = 0): string {
  if (value instanceof Error) {
    const cause = depth < 5 && value.cause !== undefined ? textOf(value.cause, depth + 1) : "";
    return `${value.name}: ${value.message}\n${value.stack ?? ""}\n${cause}`;
  }
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? String(value);
}

/** Invokes a fresh copy of the bundle (poll mode) and records the result for the token check. */
export async function poll(
  bed: TestBed,
  guard: TokenGuard,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<PollSummary> {
  const lambda = coldStart({ ...bed.env, ...options.env });
  try {
    const summary = await lambda.invoke<PollSummary>({}, { timeoutMs: options.timeoutMs });
    guard.record(summary);
    return summary;
  } catch (err) {
    guard.record(err);
    throw err;
  }
}

/** Runs `fn`, expecting it to throw; returns what it threw (recorded for the token check). */
export async function failure(guard: TokenGuard, fn: () => Promise<unknown>): Promise<Error> {
  try {
    const result = await fn();
    guard.record(result);
  } catch (err) {
    guard.record(err);
    if (err instanceof Error) return err;
    return new Error(String(err));
  }
  throw new Error("expected the invoke to fail, but it succeeded");
}

/** The webhook secret the fault suite deploys with. */
export const WEBHOOK_SECRET = "fault-suite_webhook-secret-0123456789";

/**
 * The function's environment in webhook mode with the asynchronous hand-off:
 * deliveries queue the update through the Lambda Invoke API at `lambdaUrl`.
 */
export function queuedWebhookEnv(
  bed: TestBed,
  lambdaUrl: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    ...bed.env,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    AWS_LAMBDA_FUNCTION_NAME: "telegram-bot",
    AWS_ENDPOINT_URL_LAMBDA: lambdaUrl,
    ...extra,
  };
}

let nextWebhookUpdateId = 700_000;

/** A Telegram update as the webhook receives it. */
export function webhookUpdate(p: Person, text: string): { update_id: number; message: object } {
  return {
    update_id: nextWebhookUpdateId++,
    message: {
      message_id: nextWebhookUpdateId,
      date: Math.floor(Date.now() / 1000),
      from: { ...p.user, is_bot: false },
      chat: { ...p.chat, first_name: p.user.first_name },
      text,
    },
  };
}

/** A Lambda function URL request carrying `update`, as Telegram sends it. */
export function webhookDelivery(
  update: object,
  secret: string | undefined,
  body = JSON.stringify(update),
) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      ...(secret === undefined ? {} : { "x-telegram-bot-api-secret-token": secret }),
    },
    requestContext: { http: { method: "POST", path: "/", sourceIp: "91.108.6.1" } },
    body,
    isBase64Encoded: false,
  };
}
