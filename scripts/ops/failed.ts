/**
 * `npm run failed [-- --replay [update_id …]]`: the webhook updates nobody
 * answered. Lists the ones given up (every attempt failed; their users were
 * told), the ones still pending after {@link STUCK_AFTER_MS} (a queued
 * invoke that died or timed out every time), and the records in the stack's
 * failure queue (SQS, `failure-queue.ts`): queued webhook events and poll
 * events that failed every attempt, each kind said as such. `--replay` puts
 * updates back to pending with fresh attempts and queues an asynchronous
 * invoke for each, which answers them in their lane's order, then deletes
 * their queue records.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { QueueDoesNotExist, SQSClient } from "@aws-sdk/client-sqs";
import {
  DynamoDBDocumentClient as DocumentClient,
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { ACTIVE_INDEX } from "../../handler/adapters/dynamo-items.js";
import {
  FAILED_UPDATE_MARKER,
  PENDING_UPDATE_MARKER,
} from "../../handler/adapters/dynamo-update-ledger.js";
import { queueInvoke } from "../../handler/adapters/lambda-invoke.js";
import { failedUpdatesQueueName } from "../../src/settings.js";
import {
  deleteFailureRecord,
  type FailureRecord,
  failureQueueUrl,
  formatFailureRecord,
  readFailureQueue,
  releaseFailureRecords,
} from "./failure-queue.js";
import { clientConfig, explain, type Io, processIo, runIfMain, targetFromEnv } from "./lib.js";

/** A pending update older than this has outlived every queued attempt (Lambda retries within minutes). */
export const STUCK_AFTER_MS = 15 * 60_000;

/** One update nobody answered. */
export interface UnansweredUpdate {
  readonly key: { readonly PK: string; readonly SK: string };
  readonly updateId: number;
  readonly lane: string;
  readonly status: "failed" | "pending";
  /** When it was given up, or received (pending). */
  readonly since: string;
  readonly attempts: number;
  readonly reason?: string;
  /** The Telegram update, as received. */
  readonly update: string;
}

/** Given-up and stuck updates, oldest first, read through the table's sparse index (never a Scan). */
export async function listUnanswered(
  db: DynamoDBDocumentClient,
  table: string,
  now: number,
): Promise<UnansweredUpdate[]> {
  const keys: { PK: string; SK: string }[] = [];
  const stuckBefore = new Date(now - STUCK_AFTER_MS).toISOString();
  for (const [marker, upTo] of [
    [FAILED_UPDATE_MARKER, "~"],
    [PENDING_UPDATE_MARKER, stuckBefore],
  ] as const) {
    const pages = paginateQuery(
      { client: db },
      {
        TableName: table,
        IndexName: ACTIVE_INDEX,
        KeyConditionExpression: "GSI1PK = :marker AND GSI1SK < :upTo",
        ExpressionAttributeValues: { ":marker": marker, ":upTo": upTo },
      },
    );
    for await (const page of pages)
      for (const item of page.Items ?? []) keys.push({ PK: String(item.PK), SK: String(item.SK) });
  }
  const found: UnansweredUpdate[] = [];
  for (const key of keys) {
    const { Item: item } = await db.send(
      new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
    );
    if (!item || (item.status !== "failed" && item.status !== "pending")) continue;
    found.push({
      key,
      updateId: Number(item.update_id),
      lane: String(item.lane),
      status: item.status,
      since: String(item.status === "failed" ? item.finished_at : item.received_at),
      attempts: Number(item.attempts ?? 0),
      ...(item.failure ? { reason: String(item.failure) } : {}),
      update: String(item.update),
    });
  }
  return found.sort((a, b) => a.updateId - b.updateId);
}

/**
 * Puts an update back to pending with its attempts reset (conditional on it
 * still being unanswered), then queues the asynchronous invoke that answers it.
 */
export async function replay(
  db: DynamoDBDocumentClient,
  lambda: LambdaClient,
  table: string,
  functionName: string,
  entry: UnansweredUpdate,
  now: number,
): Promise<void> {
  const at = new Date(now).toISOString();
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: entry.key,
      UpdateExpression:
        "SET #status = :pending, attempts = :zero, received_at = :at, GSI1PK = :marker, GSI1SK = :at REMOVE failure",
      ConditionExpression: "#status IN (:pending, :failed)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: {
        ":pending": "pending",
        ":failed": "failed",
        ":zero": 0,
        ":at": at,
        ":marker": PENDING_UPDATE_MARKER,
      },
    }),
  );
  await queueInvoke(lambda, functionName, {
    source: "telegram-webhook",
    update: JSON.parse(entry.update) as unknown,
  });
}

/** One line per update, for people. */
export function formatUnanswered(entry: UnansweredUpdate): string {
  const what = entry.status === "failed" ? "given up" : "stuck pending";
  const reason = entry.reason ? `: ${entry.reason}` : "";
  return `update ${entry.updateId} (lane ${entry.lane}) ${what} since ${entry.since} after ${entry.attempts} attempt(s)${reason}`;
}

/** The clients `failed` talks to (injectable for tests). */
export interface FailedClients {
  readonly db: DynamoDBDocumentClient;
  readonly lambda: LambdaClient;
  /** The failure queue's SQS; without it only the ledger is read. */
  readonly sqs?: SQSClient;
}

/** The failure queue's records, or none when the stack has no queue (polling mode). */
async function queueRecords(
  sqs: SQSClient | undefined,
  functionName: string,
): Promise<{ url?: string; records: FailureRecord[] }> {
  if (!sqs) return { records: [] };
  let url: string;
  try {
    url = await failureQueueUrl(sqs, failedUpdatesQueueName(functionName));
  } catch (err) {
    if (err instanceof QueueDoesNotExist) return { records: [] };
    throw err;
  }
  return { url, records: await readFailureQueue(sqs, url) };
}

/**
 * The CLI: lists the ledger's unanswered updates and the failure queue's
 * records, and with `--replay` (optionally followed by update ids) replays
 * them: each update once (a queue record whose update the ledger also lists is
 * the same update), its queue record deleted after; poll records are deleted
 * and one poll is queued in their place (they carry no update of their own).
 */
export async function main(
  argv = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
  io: Io = processIo,
  clients?: FailedClients,
): Promise<number> {
  const target = targetFromEnv(env);
  const db = clients?.db ?? DocumentClient.from(new DynamoDBClient(clientConfig(target)));
  const lambda = clients?.lambda ?? new LambdaClient(clientConfig(target));
  const sqs = clients ? clients.sqs : new SQSClient(clientConfig(target));
  const doReplay = argv[0] === "--replay";
  const only = new Set(argv.slice(doReplay ? 1 : 0).map(Number));
  const wanted = (updateId: number | undefined) => only.size === 0 || only.has(Number(updateId));
  try {
    const found = (await listUnanswered(db, target.tableName, Date.now())).filter((e) =>
      wanted(e.updateId),
    );
    const queue = await queueRecords(sqs, target.functionName);
    const records = queue.records.filter((r) =>
      r.kind === "poll" ? only.size === 0 : wanted(r.update?.update_id),
    );
    const release = async (list: readonly FailureRecord[]) => {
      if (sqs && queue.url && list.length > 0) await releaseFailureRecords(sqs, queue.url, list);
    };
    if (found.length === 0 && records.length === 0) {
      await release(queue.records);
      io.out("No unanswered webhook updates and no failed events in the failure queue.");
      return 0;
    }
    for (const entry of found) io.out(formatUnanswered(entry));
    for (const record of records) io.out(formatFailureRecord(record));
    if (!doReplay) {
      // Every record read (not only those shown) goes back on the queue for the next run.
      await release(queue.records);
      io.err("Replay them with: npm run failed -- --replay [update_id …]");
      return 0;
    }
    const replayed = new Set<number>();
    for (const entry of found) {
      await replay(db, lambda, target.tableName, target.functionName, entry, Date.now());
      replayed.add(entry.updateId);
      io.out(`update ${entry.updateId} queued again`);
    }
    let polls = 0;
    for (const record of records) {
      const id = record.update?.update_id;
      if (record.kind === "poll") polls++;
      else if (id !== undefined && !replayed.has(id)) {
        // Not listed by the ledger: pending for less than STUCK_AFTER_MS, or answered since.
        // The queued handler answers a pending update and does nothing for an answered one.
        await queueInvoke(lambda, target.functionName, {
          source: "telegram-webhook",
          update: record.update,
        });
        replayed.add(id);
        io.out(`update ${id} queued again (from the failure queue)`);
      }
      if (sqs && queue.url) await deleteFailureRecord(sqs, queue.url, record);
    }
    await release(queue.records.filter((r) => !records.includes(r)));
    if (polls > 0) {
      await queueInvoke(lambda, target.functionName, { source: "npm-run-failed" });
      io.out(`${polls} poll event record(s) removed; one poll queued in their place`);
    }
    return 0;
  } catch (err) {
    throw explain(err, target);
  }
}

runIfMain(import.meta, () => main());
