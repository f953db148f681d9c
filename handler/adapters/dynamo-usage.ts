import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { UsageStore, UsageTurn } from "../app/ports.js";
import type { Usage } from "../domain/usage.js";
import { MissingIndexError } from "../errors.js";
import { type Item, isConditionFailure, USAGE_INDEX, userPk } from "./dynamo-items.js";

/** Sort key of a user's usage item. */
export const USAGE_SK = "USAGE";

/** A write that failed only because its condition did not hold. */
const conditionFailed = Symbol("condition failed");

/**
 * {@link UsageStore} on the `ChatbotSessions` table: one item per user
 * (`USER#<id>` / `USAGE`) holds today's counters (`usage_day`,
 * `day_messages`, `day_tokens`) beside the all-time ones (`messages`,
 * `tokens`), so a write (one turn, or several the meter held together) costs
 * one UpdateItem. The first write of a UTC day restarts the day counters with
 * a second, conditional write instead of a TTL'd item per day (which would
 * cost a second write on every turn).
 */
export class DynamoUsageStore implements UsageStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(userId: number): Promise<Usage | undefined> {
    const res = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { PK: userPk(userId), SK: USAGE_SK },
        // Limits are checked against it: an eventually consistent read could miss the last turn.
        ConsistentRead: true,
      }),
    );
    return res.Item ? usageFromItem(res.Item) : undefined;
  }

  async record(turn: UsageTurn, knownDay?: string): Promise<Usage> {
    // The same day (the common case) adds; a new day restarts. Whichever fails its
    // condition, the other is right, unless another turn restarted the day in between: then
    // adding is right again. A stored day later than ours (a turn that began before midnight
    // and a newer one already counted after it) counts in the all-time numbers only.
    const order: ("add" | "restart")[] =
      knownDay === turn.day ? ["add", "restart", "add"] : ["restart", "add"];
    for (const kind of order) {
      const usage = await this.write(turn, kind);
      if (usage !== conditionFailed) return usage;
    }
    const usage = await this.write(turn, "all-time");
    if (usage === conditionFailed)
      throw new Error("unconditional usage write reported a condition");
    return usage;
  }

  async topOfDay(day: string, limit: number): Promise<Usage[]> {
    try {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: USAGE_INDEX,
          KeyConditionExpression: "usage_day = :day",
          ExpressionAttributeValues: { ":day": day },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (res.Items ?? []).map(usageFromItem);
    } catch (err) {
      // "The table does not have the specified index": a table created before the index.
      if (
        err instanceof Error &&
        err.name === "ValidationException" &&
        /specified index/i.test(err.message)
      )
        throw new MissingIndexError(USAGE_INDEX, { cause: err });
      throw err;
    }
  }

  private async write(
    turn: UsageTurn,
    kind: "add" | "restart" | "all-time",
  ): Promise<Usage | typeof conditionFailed> {
    const name = turn.name ? ", user_name = :name" : "";
    const common = {
      ":n": turn.messages,
      ":tokens": turn.tokens,
      ":uid": turn.userId,
      ":type": "usage",
      ...(turn.name ? { ":name": turn.name } : {}),
    };
    const expression = {
      add: {
        UpdateExpression: `SET user_id = :uid, item_type = :type${name} ADD day_messages :n, day_tokens :tokens, messages :n, tokens :tokens`,
        ConditionExpression: "usage_day = :day",
      },
      restart: {
        UpdateExpression: `SET usage_day = :day, day_messages = :n, day_tokens = :tokens, user_id = :uid, item_type = :type${name} ADD messages :n, tokens :tokens`,
        ConditionExpression: "attribute_not_exists(usage_day) OR usage_day < :day",
      },
      "all-time": {
        UpdateExpression: `SET user_id = :uid, item_type = :type${name} ADD messages :n, tokens :tokens`,
        ConditionExpression: undefined,
      },
    }[kind];
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { PK: userPk(turn.userId), SK: USAGE_SK },
          ...expression,
          ExpressionAttributeValues: {
            ...common,
            ...(expression.ConditionExpression ? { ":day": turn.day } : {}),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return usageFromItem(res.Attributes ?? {});
    } catch (err) {
      if (isConditionFailure(err)) return conditionFailed;
      throw err;
    }
  }
}

function usageFromItem(i: Item): Usage {
  const n = (v: unknown) => (typeof v === "number" ? v : 0);
  return {
    userId: n(i.user_id),
    day: typeof i.usage_day === "string" ? i.usage_day : "",
    dayMessages: n(i.day_messages),
    dayTokens: n(i.day_tokens),
    messages: n(i.messages),
    tokens: n(i.tokens),
    ...(typeof i.user_name === "string" ? { name: i.user_name } : {}),
  };
}
