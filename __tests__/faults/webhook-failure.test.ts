import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { main as failedMain } from "../../scripts/ops/failed.js";
import { failedUpdatesQueueName } from "../../src/settings.js";
import { FakeSqs } from "../harness/fake-sqs.js";
import { coldStart } from "../harness/lambda.js";
import { DynamoProxy } from "./dynamo-proxy.js";
import { useFaultBed, useQueuedWebhook } from "./fault-bed.js";
import {
  ledgerItem,
  person,
  queuedWebhookEnv,
  repliesTo,
  type UrlResponse,
  WEBHOOK_SECRET,
  webhookDelivery,
  webhookUpdate,
} from "./support.js";

/**
 * A queued webhook update that fails on every one of Lambda's attempts is
 * given up on the last: its user is told, and it stays in the failure store
 * (the ledger, status `failed`), where `npm run failed` lists and replays it.
 */
describe("faults: a queued webhook update that fails every attempt", () => {
  const queueName = failedUpdatesQueueName("telegram-bot");
  const suite = useFaultBed();
  const { bed } = suite;
  let proxy: DynamoProxy;
  let sqsApi: FakeSqs;
  beforeAll(async () => {
    proxy = await DynamoProxy.start(bed.aws.dynamoUrl);
    // The stack's on-failure destination: Lambda sends it the record of an event that failed every attempt.
    sqsApi = await FakeSqs.start();
    sqsApi.createQueue(queueName);
  });
  const webhook = useQueuedWebhook(suite, {
    runs: "fresh",
    env: () => ({ AWS_ENDPOINT_URL_DYNAMODB: proxy.url }),
    onFailure: (record) => sqsApi.enqueue(queueName, record),
  });
  bed.beforeClose(async () => {
    await sqsApi.close();
    await proxy.close();
  });

  it("is found in the failure store with its reason, its user is told, and npm run failed replays it once", async () => {
    // Arrange: DynamoDB throttles every read of Gus's sessions, through every SDK retry
    const gus = person("Gus");
    const update = webhookUpdate(gus, "are you there?");
    proxy.refuse({
      match: (op, body) => op === "GetItem" && body.includes(`"USER#${gus.user.id}"`),
      type: "ThrottlingException",
      message: "Rate of requests exceeds the allowed throughput.",
    });
    const delivered = await coldStart(
      queuedWebhookEnv(bed, webhook.lambdaApi.url),
    ).invoke<UrlResponse>(webhookDelivery(update, WEBHOOK_SECRET));

    // Act: Lambda runs the queued event and both of its retries
    await webhook.lambdaApi.settled();
    const stored = await ledgerItem(bed, gus, update.update_id);
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const clients = {
      db: bed.aws.db,
      lambda: new LambdaClient({
        region: "us-east-1",
        endpoint: webhook.lambdaApi.url,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      }),
    };
    const env = { SESSIONS_TABLE_NAME: bed.aws.table };
    await failedMain([], env, io, clients);
    const listed = [...lines];
    proxy.allow();
    await failedMain(["--replay", String(update.update_id)], env, io, clients);
    await webhook.lambdaApi.settled();

    // Assert
    expect(JSON.parse(delivered.body)).toMatchObject({ ok: true, queued: true });
    expect(webhook.lambdaApi.queued()[0]).toMatchObject({ attempts: 3 });
    expect(stored).toMatchObject({
      status: "failed",
      attempts: 3,
      GSI1PK: "FAILED_UPDATE",
      failure: expect.stringContaining("ThrottlingException"),
    });
    expect(listed.join("\n")).toContain(
      `update ${update.update_id} (lane u${gus.user.id}) given up`,
    );
    expect(repliesTo(bed, gus)).toEqual([
      expect.stringContaining("Sorry, I couldn't process your message"),
      "You said: are you there?",
    ]);
    expect(await ledgerItem(bed, gus, update.update_id)).toMatchObject({ status: "done" });
  }, 60_000);

  it("npm run failed reads the SQS failure queue: a queued webhook event and a poll event that died every attempt are told apart; --replay answers the update once and empties the queue", async () => {
    // Arrange: every ledger read of Hal's lane and every poller lease take is throttled, through every SDK retry
    const hal = person("Hal");
    const update = webhookUpdate(hal, "still there?");
    proxy.refuse({
      match: (op, body) =>
        (op === "GetItem" && body.includes(`#LANE#u${hal.user.id}"`)) ||
        (op === "UpdateItem" && body.includes('"POLLER"')),
      type: "ThrottlingException",
      message: "Rate of requests exceeds the allowed throughput.",
    });
    const lambda = new LambdaClient({
      region: "us-east-1",
      endpoint: webhook.lambdaApi.url,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const sqs = new SQSClient({
      region: "us-east-1",
      endpoint: sqsApi.url,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const delivered = await coldStart(
      queuedWebhookEnv(bed, webhook.lambdaApi.url),
    ).invoke<UrlResponse>(webhookDelivery(update, WEBHOOK_SECRET));
    // The one-minute schedule's event, as EventBridge sends it
    const scheduled = {
      version: "0",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      time: new Date().toISOString(),
      detail: {},
    };
    await lambda.send(
      new InvokeCommand({
        FunctionName: "telegram-bot",
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify(scheduled)),
      }),
    );
    await webhook.lambdaApi.settled();

    // Act
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const clients = { db: bed.aws.db, lambda, sqs };
    const env = { SESSIONS_TABLE_NAME: bed.aws.table };
    await failedMain([], env, io, clients);
    const listed = lines.splice(0);
    const onQueueAfterListing = sqsApi.bodies(queueName).length;
    proxy.allow();
    await failedMain(["--replay"], env, io, clients);
    const replayed = lines.splice(0);
    await webhook.lambdaApi.settled();
    await failedMain([], env, io, clients);

    // Assert
    expect(JSON.parse(delivered.body)).toMatchObject({ ok: true, queued: true });
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^queued webhook event for update ${update.update_id} failed every attempt \\(RetriesExhausted after 3 attempt\\(s\\) .*ThrottlingException`,
          ),
        ),
        expect.stringMatching(
          /^poll event failed every attempt \(RetriesExhausted after 3 attempt\(s\) .*nothing to replay/,
        ),
      ]),
    );
    expect(listed.filter((l) => l.includes("failed every attempt"))).toHaveLength(2);
    expect(onQueueAfterListing).toBe(2);
    expect(replayed).toEqual(
      expect.arrayContaining([
        `update ${update.update_id} queued again (from the failure queue)`,
        "1 poll event record(s) removed; one poll queued in their place",
      ]),
    );
    expect(sqsApi.bodies(queueName)).toEqual([]);
    expect(repliesTo(bed, hal)).toEqual(["You said: still there?"]);
    expect(await ledgerItem(bed, hal, update.update_id)).toMatchObject({
      status: "done",
      attempts: 1,
    });
    expect(lines).toEqual([
      "No unanswered webhook updates and no failed events in the failure queue.",
    ]);
  }, 90_000);
});
