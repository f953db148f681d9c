/**
 * The stack's on-failure destination (webhook mode): the SQS queue where
 * Lambda puts an asynchronous invocation that failed every attempt, as an
 * invocation record (`requestContext`, `requestPayload`, `responsePayload`).
 * Two kinds land there, told apart by the rule the handler itself routes by
 * (`queuedUpdateOf`): queued webhook updates, whose update is also still
 * pending in the ledger, and poll events (the schedule), which carry no update.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Update } from "@grammyjs/types";
import { queuedUpdateOf } from "../../handler/app/intake/webhook/webhook.js";

/** How long records read by a listing stay hidden from other readers (SQS visibility timeout). */
export const LISTING_VISIBILITY_SECONDS = 60;

/** One invocation record read from the failure queue. */
export interface FailureRecord {
  /** `webhook`: a queued update; `poll`: a poll invoke (schedule or manual), nothing to replay. */
  readonly kind: "webhook" | "poll";
  /** Deletes this record (valid until the visibility timeout ends). */
  readonly receiptHandle: string;
  /** Why Lambda gave up: `RetriesExhausted`, `EventAgeExceeded`, … */
  readonly condition: string;
  readonly attempts: number;
  readonly error: string;
  readonly at: string;
  /** Set for `webhook` records. */
  readonly update?: Update;
}

/** The failure queue's URL, found by the stack's naming rule. */
export async function failureQueueUrl(sqs: SQSClient, name: string): Promise<string> {
  const res = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!res.QueueUrl) throw new Error(`SQS returned no URL for queue ${name}`);
  return res.QueueUrl;
}

/**
 * Reads every record on the queue without removing it: each stays hidden for
 * {@link LISTING_VISIBILITY_SECONDS} (so it is read once here), then comes
 * back unless deleted. Long polling (1 s) asks every SQS server, so an empty
 * answer means the queue is empty, not that a sample missed it.
 */
export async function readFailureQueue(sqs: SQSClient, queueUrl: string): Promise<FailureRecord[]> {
  const records: FailureRecord[] = [];
  for (;;) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: LISTING_VISIBILITY_SECONDS,
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) return records;
    for (const m of messages)
      if (m.ReceiptHandle) records.push(parseRecord(m.Body ?? "", m.ReceiptHandle));
  }
}

/** Makes listed records visible again at once, so the next `npm run failed` sees them too. */
export async function releaseFailureRecords(
  sqs: SQSClient,
  queueUrl: string,
  records: readonly FailureRecord[],
): Promise<void> {
  for (const record of records)
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: 0,
      }),
    );
}

/** Removes a record once it is replayed or known to need nothing. */
export async function deleteFailureRecord(
  sqs: SQSClient,
  queueUrl: string,
  record: FailureRecord,
): Promise<void> {
  await sqs.send(
    new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }),
  );
}

/** One record's fields; a body that is not an invocation record is shown as a poll event's would be, with its text as the error. */
export function parseRecord(body: string, receiptHandle: string): FailureRecord {
  let parsed: {
    requestContext?: { condition?: string; approximateInvokeCount?: number };
    timestamp?: string;
    requestPayload?: unknown;
    responsePayload?: { errorType?: string; errorMessage?: string };
  } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    parsed = { responsePayload: { errorMessage: body.slice(0, 200) } };
  }
  const queued = queuedUpdateOf(parsed.requestPayload, Date.now());
  const response = parsed.responsePayload;
  return {
    kind: queued ? "webhook" : "poll",
    receiptHandle,
    condition: parsed.requestContext?.condition ?? "unknown",
    attempts: Number(parsed.requestContext?.approximateInvokeCount ?? 0),
    error: [response?.errorType, response?.errorMessage].filter(Boolean).join(": ") || "unknown",
    at: parsed.timestamp ?? "unknown",
    ...(queued ? { update: queued.raw } : {}),
  };
}

/** One line per record, for people. */
export function formatFailureRecord(record: FailureRecord): string {
  const why = `${record.condition} after ${record.attempts} attempt(s) at ${record.at}: ${record.error}`;
  return record.kind === "webhook"
    ? `queued webhook event for update ${record.update?.update_id} failed every attempt (${why})`
    : `poll event failed every attempt (${why}); nothing to replay: its updates wait at Telegram or in the poller item, and the next poll retries them`;
}
