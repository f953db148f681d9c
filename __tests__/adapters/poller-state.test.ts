import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Update } from "@grammyjs/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { DynamoPollerStateStore } from "../../handler/adapters/dynamo-poller-state.js";
import { PollProgress } from "../../handler/app/intake/polling/poll-progress.js";
import { AwsEmulators } from "../harness/aws-emulators.js";

/** The poller item (dynalite) across a restart of Telegram's update ids. */
describe("poller state: what a later invoke reads back after Telegram's ids restart", () => {
  let aws: AwsEmulators;
  beforeAll(async () => {
    aws = await AwsEmulators.start();
  });
  afterAll(() => aws.close());

  const updates = (...ids: number[]): Update[] => ids.map((update_id) => ({ update_id }));

  it("an update finished before the restart is not read back as pending, even when the restart takes no new update on", async () => {
    // Arrange: 1000 and 1001 taken on; 1001 finished (its save does not rewrite the list)
    const store = new DynamoPollerStateStore(aws.db, aws.table, 5151, 15_000);
    const state = await store.acquire("me", Date.now() + 15_000, Date.now());
    if (!state) throw new Error("lease not taken");
    const progress = new PollProgress(state);
    progress.take(updates(1000, 1001), 1);
    await store.save("me", progress.snapshot(), false);
    progress.finish(1001);
    await store.save("me", progress.snapshot(), false);

    // Act: the ids restart at 40 with an update too large to keep (finished at once, never held)
    const huge = { update_id: 40, padding: "x".repeat(300 * 1024) } as Update;
    const { restart, taken } = progress.take([huge], 2);
    await store.save("me", progress.snapshot(), true);
    const next = await new DynamoPollerStateStore(aws.db, aws.table, 5151, 15_000).acquire(
      "later",
      Date.now() + 15_000,
      Date.now(),
    );

    // Assert
    expect(restart).toEqual({ askedFrom: 1002, firstId: 40 });
    expect(taken).toEqual([]);
    expect(next?.pending?.map((t) => t.update.update_id)).toEqual([1000]);
    expect(next?.pending?.[0]?.receivedAt).toBe(1);
    expect(new PollProgress(next ?? state).nextOffset).toBe(41);
  });

  it("reads a pending list stored before received times were kept as taken on at 0", async () => {
    // Arrange: the item as an earlier version wrote it (bare updates)
    await aws.db.send(
      new PutCommand({
        TableName: aws.table,
        Item: {
          PK: "BOT#6161",
          SK: "POLLER",
          next_offset: 7,
          fetched_to: 9,
          pending: JSON.stringify(updates(7, 8)),
          done: [],
          attempts: {},
        },
      }),
    );

    // Act
    const state = await new DynamoPollerStateStore(aws.db, aws.table, 6161, 15_000).acquire(
      "me",
      Date.now() + 15_000,
      Date.now(),
    );

    // Assert
    expect(state?.pending).toEqual([
      { update: { update_id: 7 }, receivedAt: 0 },
      { update: { update_id: 8 }, receivedAt: 0 },
    ]);
  });
});
