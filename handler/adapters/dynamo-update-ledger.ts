import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Update } from "@grammyjs/types";
import type { PendingUpdate, UpdateLedger, UpdateStatus } from "../app/ports.js";
import { isConditionFailure } from "./dynamo-items.js";
import { fingerprintOf, sameUpdate, statusOf, unchanged } from "./ledger-identity.js";

/** Answered updates are kept two days (TTL): Telegram redelivers for at most 24 h. */
const DONE_RETENTION_SECONDS = 2 * 86_400;
/** `GSI1PK` of updates not answered yet: `npm run failed` finds stuck ones without a Scan. */
export const PENDING_UPDATE_MARKER = "PENDING_UPDATE";
/** `GSI1PK` of updates given up: the failure list, kept until replayed. */
export const FAILED_UPDATE_MARKER = "FAILED_UPDATE";
/** Sort key of a lane's lease item. */
const LEASE_SK = "LEASE";

/** `BOT#<bot id>#LANE#<lane>`: one partition per lane, so its updates are one Query. */
export const lanePk = (botId: number, lane: string): string => `BOT#${botId}#LANE#${lane}`;
/** `UPDATE#<update_id, zero-padded>`: sort keys order like update ids. */
export const updateSk = (updateId: number): string =>
  `UPDATE#${String(updateId).padStart(16, "0")}`;

/**
 * {@link UpdateLedger} in the sessions table. Per update one item
 * (`PK=BOT#<bot>#LANE#<lane>`, `SK=UPDATE#<id>`) holding the update until it
 * is answered; per lane one lease item (`SK=LEASE`). Pending and failed
 * updates carry `GSI1PK` (the sparse index), answered ones expire by TTL.
 * Every write is a single conditional one: no transactions.
 */
export class DynamoUpdateLedger implements UpdateLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly botId: number,
  ) {}

  private key(lane: string, updateId: number): { PK: string; SK: string } {
    return { PK: lanePk(this.botId, lane), SK: updateSk(updateId) };
  }

  async record(lane: string, update: Update, now: number): Promise<"new" | UpdateStatus> {
    const received = new Date(now).toISOString();
    const fingerprint = fingerprintOf(update);
    const item = {
      ...this.key(lane, update.update_id),
      item_type: "update",
      bot_id: this.botId,
      lane,
      update_id: update.update_id,
      update: JSON.stringify(update),
      fingerprint,
      status: "pending",
      attempts: 0,
      received_at: received,
      GSI1PK: PENDING_UPDATE_MARKER,
      GSI1SK: received,
    };
    // A finished item under this id that holds another update is from an earlier id sequence:
    // replaced. Each try is conditional on what was read, so concurrent deliveries agree on one.
    for (let tries = 0; ; tries++) {
      const existing = tries === 0 ? undefined : await this.read(lane, update.update_id);
      if (existing && sameUpdate(existing, update, now)) return statusOf(existing) ?? "pending";
      if (existing && statusOf(existing) === "pending")
        throw new Error(
          `Update ${update.update_id} of a new id sequence meets an unanswered update recorded under the same id at ${String(existing.received_at)}; it is not replaced (list and replay it with npm run failed), and Telegram delivers the new one again.`,
        );
      try {
        await this.db.send(
          new PutCommand({ TableName: this.table, Item: item, ...unchanged(existing) }),
        );
        return "new";
      } catch (err) {
        if (!isConditionFailure(err) || tries >= 3) throw err;
      }
    }
  }

  async status(lane: string, update: Update, now: number): Promise<UpdateStatus | undefined> {
    const existing = await this.read(lane, update.update_id);
    return existing && sameUpdate(existing, update, now) ? statusOf(existing) : undefined;
  }

  /** The item under an update id, read consistently. */
  private async read(lane: string, updateId: number): Promise<Record<string, unknown> | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: this.key(lane, updateId),
        ProjectionExpression: "#status, fingerprint, #update, expires_at, received_at",
        ExpressionAttributeNames: { "#status": "status", "#update": "update" },
        ConsistentRead: true,
      }),
    );
    return res.Item;
  }

  async pending(lane: string, after: number): Promise<PendingUpdate[]> {
    const found: PendingUpdate[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: "PK = :pk AND SK BETWEEN :from AND :to",
        FilterExpression: "#status = :pending",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":pk": lanePk(this.botId, lane),
          ":from": updateSk(after + 1),
          ":to": "UPDATE#~",
          ":pending": "pending",
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages)
      for (const item of page.Items ?? [])
        found.push({
          update: JSON.parse(String(item.update)) as Update,
          attempts: Number(item.attempts ?? 0),
          receivedAt: Date.parse(String(item.received_at)) || 0,
        });
    return found;
  }

  async startAttempt(lane: string, updateId: number): Promise<number> {
    const res = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(lane, updateId),
        UpdateExpression: "ADD attempts :one",
        ConditionExpression: "attribute_exists(PK)",
        ExpressionAttributeValues: { ":one": 1 },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(res.Attributes?.attempts ?? 1);
  }

  async finish(
    lane: string,
    updateId: number,
    outcome: "done" | { failed: string },
    now: number,
  ): Promise<void> {
    const at = new Date(now).toISOString();
    if (outcome === "done") {
      // The update's text leaves the table once answered; the item stays as a dedupe marker.
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(lane, updateId),
          UpdateExpression:
            "SET #status = :done, finished_at = :at, expires_at = :exp REMOVE #update, GSI1PK, GSI1SK",
          ExpressionAttributeNames: { "#status": "status", "#update": "update" },
          ExpressionAttributeValues: {
            ":done": "done",
            ":at": at,
            ":exp": Math.floor(now / 1000) + DONE_RETENTION_SECONDS,
          },
        }),
      );
      return;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(lane, updateId),
        UpdateExpression:
          "SET #status = :failed, failure = :reason, finished_at = :at, GSI1PK = :marker, GSI1SK = :at",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":failed": "failed",
          ":reason": outcome.failed.slice(0, 500),
          ":at": at,
          ":marker": FAILED_UPDATE_MARKER,
        },
      }),
    );
  }

  async acquireLane(
    lane: string,
    owner: string,
    until: number,
    now: number,
  ): Promise<{ readonly doneThrough: number } | undefined> {
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { PK: lanePk(this.botId, lane), SK: LEASE_SK },
          UpdateExpression: "SET lease_owner = :owner, lease_until = :until, item_type = :type",
          ConditionExpression:
            "attribute_not_exists(lease_owner) OR lease_owner = :owner OR lease_until < :now",
          ExpressionAttributeValues: {
            ":owner": owner,
            ":until": until,
            ":now": now,
            ":type": "lane_lease",
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { doneThrough: Number(res.Attributes?.done_through ?? 0) };
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  async releaseLane(lane: string, owner: string, doneThrough?: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { PK: lanePk(this.botId, lane), SK: LEASE_SK },
          UpdateExpression:
            doneThrough === undefined
              ? "REMOVE lease_owner, lease_until"
              : "SET done_through = :done REMOVE lease_owner, lease_until",
          ConditionExpression: "lease_owner = :owner",
          ExpressionAttributeValues: {
            ":owner": owner,
            ...(doneThrough === undefined ? {} : { ":done": doneThrough }),
          },
        }),
      );
    } catch (err) {
      // Another owner took the lapsed lease meanwhile: it is theirs now.
      if (!isConditionFailure(err)) throw err;
    }
  }
}
