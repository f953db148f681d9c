import { describe, expect, it } from "@jest/globals";
import { coldStart } from "../harness/lambda.js";
import { useFaultBed, useQueuedWebhook } from "./fault-bed.js";
import {
  ledgerItem,
  person,
  repliesTo,
  type UrlResponse,
  WEBHOOK_SECRET,
  webhookDelivery,
  webhookUpdate,
} from "./support.js";

/**
 * Webhook mode as deployed: the function knows its own name (Lambda sets
 * AWS_LAMBDA_FUNCTION_NAME) and queues each update for an asynchronous invoke
 * of itself, so Telegram gets its 200 at once. The fake Lambda API runs the
 * queued invoke on a warm copy of the same bundle and retries it on failure.
 */
describe("faults: webhook answered at once, update handled by a queued invoke", () => {
  const suite = useFaultBed({ resetOllama: true });
  const { bed, guard } = suite;
  const webhook = useQueuedWebhook(suite, { runs: "same" });

  it("slow model: Telegram hears 200 long before the answer, which the queued invoke sends once", async () => {
    // Arrange
    const ada = person("Ada");
    bed.ollama.latencyMs = 2_000;
    const update = webhookUpdate(ada, "take your time");

    // Act
    const response = await webhook.deliver(update);
    const respondedAt = Date.now();
    const repliesAtResponse = repliesTo(bed, ada).length;
    await webhook.lambdaApi.settled();

    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true, queued: true });
    expect(repliesAtResponse).toBe(0);
    const replies = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.params.chat_id === ada.chat.id);
    expect(replies.length).toBeGreaterThan(0);
    for (const r of replies) expect(r.at).toBeGreaterThanOrEqual(respondedAt);
    expect(webhook.lambdaApi.queued().at(-1)).toMatchObject({
      functionName: "telegram-bot",
      payload: { source: "telegram-webhook", update: { update_id: update.update_id } },
      attempts: 1,
    });
    expect(repliesTo(bed, ada)).toEqual(["You said: take your time"]);
    expect(await ledgerItem(bed, ada, update.update_id)).toMatchObject({ status: "done" });
  });

  it("redelivery after the update was answered: 200 duplicate, nothing queued, answered once", async () => {
    // Arrange
    const bob = person("Bob");
    const update = webhookUpdate(bob, "only once please");
    await webhook.deliver(update);
    await webhook.lambdaApi.settled();
    const queuedBefore = webhook.lambdaApi.queued().length;

    // Act
    const again = await webhook.deliver(update);
    await webhook.lambdaApi.settled();

    // Assert
    expect(JSON.parse(again.body)).toMatchObject({ ok: true, duplicate: true });
    expect(webhook.lambdaApi.queued()).toHaveLength(queuedBefore);
    expect(repliesTo(bed, bob)).toEqual(["You said: only once please"]);
  });

  it("a queued invoke that fails is retried by Lambda's asynchronous retries and answers once", async () => {
    // Arrange: Telegram refuses the reply through every retry of the first run (the answer
    // streams as a draft in a private chat; its final text is the one sendMessage, with four tries).
    const cleo = person("Cleo");
    bed.telegram.failNext("sendMessage", { status: 500, description: "Internal Server Error" }, 4);
    const update = webhookUpdate(cleo, "try again");

    // Act
    const response = await webhook.deliver(update);
    await webhook.lambdaApi.settled();

    // Assert
    expect(response.statusCode).toBe(200);
    const job = webhook.lambdaApi.queued().at(-1);
    expect(job?.attempts).toBe(2);
    expect(job?.error).toBeUndefined();
    expect(repliesTo(bed, cleo)).toEqual(["You said: try again"]);
    expect(await ledgerItem(bed, cleo, update.update_id)).toMatchObject({ status: "done" });
  });

  it("Lambda API unreachable: the delivery answers the update inline instead, once", async () => {
    // Arrange
    const dan = person("Dan");
    const inline = coldStart({ ...webhook.env, AWS_ENDPOINT_URL_LAMBDA: "http://127.0.0.1:9" });
    const update = webhookUpdate(dan, "no queue today");

    // Act
    const response = await inline.invoke<UrlResponse>(webhookDelivery(update, WEBHOOK_SECRET));
    guard.record(response);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true, outcome: "handled" });
    expect(repliesTo(bed, dan)).toEqual(["You said: no queue today"]);
  });
});
