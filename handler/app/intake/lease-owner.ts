import { randomUUID } from "node:crypto";

/**
 * The lease owner id of one execution (a poll, a webhook delivery, a queued
 * update). A Lambda request id alone is not unique: Lambda's retries of an
 * event reuse it, and two executions sharing an owner id would both hold the
 * same lease (a lane's or the poller's) and answer the same update twice.
 */
export function leaseOwner(invocationId: string): string {
  return `${invocationId}:${randomUUID()}`;
}
