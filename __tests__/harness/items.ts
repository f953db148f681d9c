import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { TestBed } from "./bed.js";

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
