import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { AccessState, AccessStore } from "../app/ports.js";
import { isConditionFailure } from "./dynamo-items.js";

/**
 * {@link AccessStore} as one item per bot (`PK=BOT#<bot id>`, `SK=ACCESS`):
 * the owner who claimed the bot and the ids admins allowed. The claim is a
 * conditional write, so two first messages arriving at once make one owner.
 */
export class DynamoAccessStore implements AccessStore {
  private readonly key: { PK: string; SK: string };

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    botId: number,
  ) {
    this.key = { PK: `BOT#${botId}`, SK: "ACCESS" };
  }

  async get(): Promise<AccessState> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: this.key, ConsistentRead: true }),
    );
    return fromItem(res.Item);
  }

  async claimOwner(userId: number, now: Date): Promise<number> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key,
          UpdateExpression: "SET owner_id = :owner, claimed_at = :now",
          ConditionExpression: "attribute_not_exists(owner_id)",
          ExpressionAttributeValues: { ":owner": userId, ":now": now.toISOString() },
        }),
      );
      return userId;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    // Someone else's first message won: theirs is the owner.
    const { ownerId } = await this.get();
    if (ownerId === undefined) throw new Error("The bot's owner claim vanished while it was read.");
    return ownerId;
  }

  async allow(userId: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key,
        UpdateExpression: "ADD allowed :ids",
        ExpressionAttributeValues: { ":ids": new Set([userId]) },
      }),
    );
  }
}

function fromItem(item: Record<string, unknown> | undefined): AccessState {
  const allowed = item?.allowed;
  return {
    ownerId: typeof item?.owner_id === "number" ? item.owner_id : undefined,
    allowed: allowed instanceof Set ? [...allowed].map(Number) : [],
  };
}
