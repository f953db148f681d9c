import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { UpdateClaims } from "../app/ports.js";
import { isConditionFailure } from "./dynamo-items.js";

/** Claims of webhook updates are kept two days: Telegram redelivers for at most 24 h. */
const CLAIM_RETENTION_SECONDS = 2 * 86_400;

/**
 * {@link UpdateClaims} as one small item per webhook update
 * (`PK=BOT#<bot id>`, `SK=UPDATE#<update id>`), expiring by TTL.
 */
export class DynamoUpdateClaims implements UpdateClaims {
  private readonly pk: string;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    botId: number,
  ) {
    this.pk = `BOT#${botId}`;
  }

  async claim(
    updateId: number,
    until: number,
    now: number,
  ): Promise<number | "done" | "in_progress"> {
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { PK: this.pk, SK: `UPDATE#${updateId}` },
          UpdateExpression:
            "SET #status = :processing, claim_until = :until, expires_at = :exp ADD attempts :one",
          ConditionExpression:
            "attribute_not_exists(PK) OR (#status = :processing AND claim_until < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":processing": "processing",
            ":until": until,
            ":now": now,
            ":one": 1,
            ":exp": Math.floor(now / 1000) + CLAIM_RETENTION_SECONDS,
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Number(res.Attributes?.attempts ?? 1);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    // Held: done for good, or claimed by a delivery that may still be running (or died).
    const held = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { PK: this.pk, SK: `UPDATE#${updateId}` },
        ConsistentRead: true,
      }),
    );
    return held.Item?.status === "done" ? "done" : "in_progress";
  }

  async release(updateId: number, done: boolean): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { PK: this.pk, SK: `UPDATE#${updateId}` },
        UpdateExpression: done ? "SET #status = :done" : "SET claim_until = :zero",
        ExpressionAttributeNames: done ? { "#status": "status" } : undefined,
        ExpressionAttributeValues: done ? { ":done": "done" } : { ":zero": 0 },
      }),
    );
  }
}
