import { LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { main as failedMain } from "../../scripts/ops/failed.js";
import { startTestBed, type TestBed } from "../harness/bed.js";
import { FakeLambda } from "../harness/fake-lambda.js";
import { coldStart } from "../harness/lambda.js";
import { DynamoProxy } from "./dynamo-proxy.js";
import {
  ledgerItem,
  person,
  queuedWebhookEnv,
  repliesTo,
  TokenGuard,
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
  let bed: TestBed;
  let proxy: DynamoProxy;
  let lambdaApi: FakeLambda;
  const guard = new TokenGuard();

  beforeAll(async () => {
    bed = await startTestBed({ telegram: { flood: false } });
    proxy = await DynamoProxy.start(bed.aws.dynamoUrl);
    let env: Record<string, string> = {};
    lambdaApi = await FakeLambda.start(async (payload) => {
      const result = await coldStart(env).invoke(payload);
      guard.record(result);
      return result;
    });
    env = queuedWebhookEnv(bed, lambdaApi.url, { AWS_ENDPOINT_URL_DYNAMODB: proxy.url });
  });
  afterAll(async () => {
    guard.assertNoToken(bed.env.TELEGRAM_BOT_TOKEN ?? "");
    await lambdaApi.close();
    await proxy.close();
    await bed.close();
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
    const delivered = await coldStart(queuedWebhookEnv(bed, lambdaApi.url)).invoke<UrlResponse>(
      webhookDelivery(update, WEBHOOK_SECRET),
    );

    // Act: Lambda runs the queued event and both of its retries
    await lambdaApi.settled();
    const stored = await ledgerItem(bed, gus, update.update_id);
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const clients = {
      db: bed.aws.db,
      lambda: new LambdaClient({
        region: "us-east-1",
        endpoint: lambdaApi.url,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      }),
    };
    const env = { SESSIONS_TABLE_NAME: bed.aws.table };
    await failedMain([], env, io, clients);
    const listed = [...lines];
    proxy.allow();
    await failedMain(["--replay", String(update.update_id)], env, io, clients);
    await lambdaApi.settled();

    // Assert
    expect(JSON.parse(delivered.body)).toMatchObject({ ok: true, queued: true });
    expect(lambdaApi.queued()[0]).toMatchObject({ attempts: 3 });
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
});
