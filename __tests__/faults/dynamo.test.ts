import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { DynamoProxy } from "./dynamo-proxy.js";
import { useFaultBed } from "./fault-bed.js";
import {
  botId,
  countContaining,
  failure,
  person,
  poll,
  pollerItem,
  repliesTo,
  storedConversation,
  storesTurn,
  userItems,
} from "./support.js";

describe("faults: DynamoDB unreachable or refusing", () => {
  const { bed, guard } = useFaultBed();
  let proxy: DynamoProxy;
  let viaProxy: Record<string, string>;
  beforeAll(async () => {
    proxy = await DynamoProxy.start(bed.aws.dynamoUrl);
    viaProxy = { AWS_ENDPOINT_URL_DYNAMODB: proxy.url };
  });
  beforeEach(async () => {
    proxy.allow();
    await proxy.comeBack();
    // A test that stopped DynamoDB leaves it down; it comes back with its data.
    await bed.aws.startDynamo();
  });
  bed.beforeClose(() => proxy.close());

  it("DynamoDB unreachable: the invoke fails with a clear message before reading Telegram; once it is back the next invoke answers the update exactly once", async () => {
    // Arrange: Ada already has a conversation, so we can see the data survived
    const ada = person("Ada");
    bed.telegram.pushText(ada.user, ada.chat, "before the outage");
    await poll(bed, guard, { env: viaProxy });
    bed.telegram.pushText(ada.user, ada.chat, "is the database up?");
    const getUpdatesBefore = bed.telegram.requests("getUpdates").length;
    const resetBefore = proxy.connectionsReset();
    proxy.resetConnections();

    // Act
    const error = await failure(guard, () => poll(bed, guard, { env: viaProxy }));
    const triesWhileDown = proxy.connectionsReset() - resetBefore;
    const readWhileDown = bed.telegram.requests("getUpdates").length - getUpdatesBefore;
    const modelCallsWhileDown = bed.ollama.chats().length;
    await proxy.comeBack();
    const next = await poll(bed, guard, { env: viaProxy });
    const after = await poll(bed, guard, { env: viaProxy });

    // Assert
    expect(error.name).toBe("StorageError");
    expect(error.message).toMatch(/Could not take the poller lease in DynamoDB/);
    expect(error.message).toMatch(/no update is lost/);
    // Promptly: only the SDK's own attempts at the lease (a bare DynamoDBClient makes 4
    // against a port that resets every connection), then the invoke gives up: no retry loop.
    expect(triesWhileDown).toBeGreaterThan(0);
    expect(triesWhileDown).toBeLessThanOrEqual(4);
    expect(readWhileDown).toBe(0);
    expect(modelCallsWhileDown).toBe(1);
    expect(next).toMatchObject({ status: "ok", handled: 1, failed: 0 });
    expect(after).toMatchObject({ updates: 0 });
    expect(repliesTo(bed, ada)).toEqual([
      "You said: before the outage",
      "You said: is the database up?",
    ]);
    const stored = await storedConversation(bed, ada.user.id);
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ["user", "before the outage"],
      ["assistant", "You said: before the outage"],
      ["user", "is the database up?"],
      ["assistant", "You said: is the database up?"],
    ]);
  });

  it("DynamoDB throttles reads of one user (SDK retries exhausted): the update is retried on the next invoke and answered once", async () => {
    // Arrange
    const bob = person("Bob");
    const carol = person("Carol");
    const id = bed.telegram.pushText(bob.user, bob.chat, "throttled question");
    bed.telegram.pushText(carol.user, carol.chat, "unthrottled question");
    proxy.refuse({
      match: (op, body) => op === "GetItem" && body.includes(`"USER#${bob.user.id}"`),
      type: "ThrottlingException",
      message: "Rate of requests exceeds the allowed throughput.",
    });

    // Act
    const throttled = await poll(bed, guard, { env: viaProxy });
    const attemptsAfter = (await pollerItem(bed))?.attempts;
    const sdkTries = proxy.calls().filter((c) => c.status === 400).length;
    proxy.allow();
    const next = await poll(bed, guard, { env: viaProxy });

    // Assert
    expect(throttled).toMatchObject({ handled: 1, failed: 1, offset: id });
    expect(throttled.errors.join("\n")).toContain("ThrottlingException");
    expect(sdkTries).toBeGreaterThanOrEqual(2);
    expect(attemptsAfter).toEqual({ [String(id)]: 1 });
    // Only Bob's update is taken up again: Carol's was finished, so it is neither answered nor seen twice.
    expect(next).toMatchObject({ updates: 1, handled: 1, failed: 0, duplicates: 0 });
    expect(repliesTo(bed, bob)).toEqual(["You said: throttled question"]);
    expect(repliesTo(bed, carol)).toEqual(["You said: unthrottled question"]);
    expect((await storedConversation(bed, bob.user.id)).map((m) => m.role)).toEqual([
      "user",
      "assistant",
    ]);
  });

  it("DynamoDB refuses the write after the reply went out: retried and stored once; the user sees the reply twice (the send→record window, as after a crash)", async () => {
    // Arrange
    const dave = person("Dave");
    const id = bed.telegram.pushText(dave.user, dave.chat, "store me please");
    proxy.refuse({
      match: storesTurn,
      type: "ProvisionedThroughputExceededException",
      message: "The level of configured provisioned throughput for the table was exceeded.",
    });

    // Act
    const refused = await poll(bed, guard, { env: viaProxy });
    proxy.allow();
    const next = await poll(bed, guard, { env: viaProxy });

    // Assert
    expect(refused).toMatchObject({ handled: 0, failed: 1, offset: id });
    expect(next).toMatchObject({ handled: 1, failed: 0 });
    expect(countContaining(repliesTo(bed, dave), "You said: store me please")).toBe(2);
    const stored = await storedConversation(bed, dave.user.id);
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ["user", "store me please"],
      ["assistant", "You said: store me please"],
    ]);
  });
  it("DynamoDB refuses to store the updates taken on (and the release): none is started, so the one Telegram sends again is answered once", async () => {
    // Arrange: every save of the poller item fails; its lease then lapses
    const fay = person("Fay");
    bed.telegram.pushText(fay.user, fay.chat, "take me once");
    proxy.refuse({
      match: (op, body) => op === "UpdateItem" && body.includes("next_offset"),
      type: "ProvisionedThroughputExceededException",
      message: "The level of configured provisioned throughput for the table was exceeded.",
    });

    // Act
    const refused = await poll(bed, guard, { env: viaProxy });
    proxy.allow();
    // The lease it could not release lapses (LEASE_MS): made to happen instead of waited for.
    await bed.aws.db.send(
      new UpdateCommand({
        TableName: bed.aws.table,
        Key: { PK: `BOT#${botId(bed)}`, SK: "POLLER" },
        UpdateExpression: "REMOVE lease_owner, lease_until",
      }),
    );
    const next = await poll(bed, guard, { env: viaProxy });

    // Assert: Telegram still had it (nothing was confirmed), and it was answered and stored once
    expect(refused).toMatchObject({ updates: 1, handled: 0 });
    expect(next).toMatchObject({ updates: 1, handled: 1 });
    expect(repliesTo(bed, fay)).toEqual(["You said: take me once"]);
    expect((await storedConversation(bed, fay.user.id)).map((m) => m.content)).toEqual([
      "take me once",
      "You said: take me once",
    ]);
  });

  it("DynamoDB refuses the sender's next turn: the count held for their answered turn is still written before the invoke ends", async () => {
    // Arrange: two messages at once; storing the second one's turn is refused
    const erin = person("Erin");
    bed.telegram.pushText(erin.user, erin.chat, "counted first");
    bed.telegram.pushText(erin.user, erin.chat, "refused second");
    proxy.refuse({
      match: (op, body) => storesTurn(op, body) && body.includes("refused second"),
      type: "ProvisionedThroughputExceededException",
      message: "The level of configured provisioned throughput for the table was exceeded.",
    });
    const usage = async () =>
      (await userItems(bed, erin.user.id)).find((i) => i.SK === "USAGE")?.messages;

    // Act
    const refused = await poll(bed, guard, { env: viaProxy });
    const afterRefusal = await usage();
    proxy.allow();
    const next = await poll(bed, guard, { env: viaProxy });

    // Assert: the first turn was counted while the second waited, and written once the invoke was done
    expect(refused).toMatchObject({ handled: 1, failed: 1 });
    expect(afterRefusal).toBe(1);
    expect(next).toMatchObject({ handled: 1, failed: 0 });
    expect(await usage()).toBe(2);
  });

  it("DynamoDB stopped outright (aws.stopDynamo): the invoke fails with a clear message and reads nothing from Telegram; started again it has kept its data, and the update is answered once", async () => {
    // Arrange: Zoe's turn is stored before DynamoDB stops
    const zoe = person("Zoe");
    bed.telegram.pushText(zoe.user, zoe.chat, "remember me");
    await poll(bed, guard);
    const eve = person("Eve");
    bed.telegram.pushText(eve.user, eve.chat, "anyone there?");
    const getUpdatesBefore = bed.telegram.requests("getUpdates").length;
    await bed.aws.stopDynamo();

    // Act
    const error = await failure(guard, () => poll(bed, guard));
    const readWhileDown = bed.telegram.requests("getUpdates").length - getUpdatesBefore;
    const pendingWhileDown = bed.telegram.pendingUpdates();
    const repliesWhileDown = repliesTo(bed, eve);
    await bed.aws.startDynamo();
    const next = await poll(bed, guard);

    // Assert
    expect(error.name).toBe("StorageError");
    expect(error.message).toMatch(/Could not take the poller lease in DynamoDB \(.+\)/);
    expect(readWhileDown).toBe(0);
    expect(pendingWhileDown).toBeGreaterThanOrEqual(1);
    expect(repliesWhileDown).toEqual([]);
    expect(next).toMatchObject({ handled: 1, failed: 0 });
    expect(repliesTo(bed, eve)).toEqual(["You said: anyone there?"]);
    expect((await storedConversation(bed, zoe.user.id)).map((m) => m.content)).toEqual([
      "remember me",
      "You said: remember me",
    ]);
  });
});
