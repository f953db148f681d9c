import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { updateSk } from "../../handler/adapters/dynamo-update-ledger.js";
import { DynamoProxy } from "./dynamo-proxy.js";
import { useFaultBed, useQueuedWebhook } from "./fault-bed.js";
import { person, repliesTo, storedConversation, webhookUpdate } from "./support.js";

/**
 * A session remembers only the last update applied to it. When a late, lower
 * update is applied after one whose finish was lost (stored, then the ledger
 * refused to record it as done: the crash window), the retry of that one must
 * still be known for a repeat.
 */
describe("faults: a webhook update retried after a late earlier one was answered", () => {
  const suite = useFaultBed();
  const { bed } = suite;
  let proxy: DynamoProxy;
  beforeAll(async () => {
    proxy = await DynamoProxy.start(bed.aws.dynamoUrl);
  });
  const webhook = useQueuedWebhook(suite, {
    runs: "fresh",
    env: () => ({ AWS_ENDPOINT_URL_DYNAMODB: proxy.url }),
  });
  bed.beforeClose(() => proxy.close());
  beforeEach(() => {
    webhook.lambdaApi.hold = true;
  });

  it("answers and stores each once: the retried update's message is already in the session", async () => {
    // Arrange: h2 is answered and stored, but recording it as done is refused
    const hana = person("Hana");
    const [h1, h2] = [webhookUpdate(hana, "h1"), webhookUpdate(hana, "h2")];
    proxy.refuse({
      match: (op, body) =>
        op === "UpdateItem" && body.includes(updateSk(h2.update_id)) && body.includes(":done"),
      type: "ProvisionedThroughputExceededException",
      message: "The level of configured provisioned throughput for the table was exceeded.",
    });
    webhook.lambdaApi.maxRetries = 0;
    expect((await webhook.deliver(h2)).statusCode).toBe(200);
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();
    proxy.allow();
    webhook.lambdaApi.maxRetries = 2;

    // Act: h1's first delivery had failed; it comes back now, and its drain finds h2 still pending
    expect((await webhook.deliver(h1)).statusCode).toBe(200);
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();

    // Assert
    expect(repliesTo(bed, hana)).toEqual(["You said: h2", "You said: h1"]);
    expect((await storedConversation(bed, hana.user.id)).map((m) => m.content)).toEqual([
      "h2",
      "You said: h2",
      "h1",
      "You said: h1",
    ]);
  });
});
