import { beforeEach, describe, expect, it } from "@jest/globals";
import { useFaultBed, useQueuedWebhook } from "./fault-bed.js";
import {
  ledgerItem,
  type Person,
  person,
  repliesTo,
  sleep,
  storedConversation,
  type UrlResponse,
  WEBHOOK_SECRET,
  webhookDelivery,
  webhookUpdate,
} from "./support.js";

/**
 * Lambda's asynchronous queue is not FIFO and runs events concurrently: the
 * webhook stores each update in its lane before answering Telegram, and the
 * queued invokes answer a lane's updates in update_id order under its lease.
 */
describe("faults: queued webhook updates run out of order", () => {
  const suite = useFaultBed({ resetOllama: true });
  const { bed } = suite;
  // Each queued event runs on its own warm instance, as concurrent Lambda events do.
  const webhook = useQueuedWebhook(suite, { runs: "fresh" });
  beforeEach(() => {
    webhook.lambdaApi.hold = true;
  });

  const deliverAll = async (updates: readonly object[]): Promise<void> => {
    for (const update of updates) expect((await webhook.deliver(update)).statusCode).toBe(200);
  };
  const userTexts = async (p: Person) =>
    (await storedConversation(bed, p.user.id)).map((m) => [m.role, m.content]);

  it("reverse order, two at a time: every update answered once, each chat in update_id order, with the right context", async () => {
    // Arrange: two users, three messages each, interleaved as Telegram sent them
    const ada = person("Ada");
    const bob = person("Bob");
    const updates = [
      webhookUpdate(ada, "a1"),
      webhookUpdate(bob, "b1"),
      webhookUpdate(ada, "a2"),
      webhookUpdate(ada, "a3"),
      webhookUpdate(bob, "b2"),
      webhookUpdate(bob, "b3"),
    ];
    await deliverAll(updates);

    // Act: Lambda runs the queued events last-first, two at once
    const runsBefore = webhook.lambdaApi.runs().length;
    await webhook.lambdaApi.runHeld({ order: "reverse", concurrency: 2 });
    await webhook.lambdaApi.settled();

    // Assert
    const firstRun = webhook.lambdaApi.runs()[runsBefore] as { update: { update_id: number } };
    expect(firstRun.update.update_id).toBe(updates.at(-1)?.update_id);
    expect(repliesTo(bed, ada)).toEqual(["You said: a1", "You said: a2", "You said: a3"]);
    expect(repliesTo(bed, bob)).toEqual(["You said: b1", "You said: b2", "You said: b3"]);
    expect(await userTexts(ada)).toEqual([
      ["user", "a1"],
      ["assistant", "You said: a1"],
      ["user", "a2"],
      ["assistant", "You said: a2"],
      ["user", "a3"],
      ["assistant", "You said: a3"],
    ]);
    // The model saw each earlier turn as context: the last of Ada's calls carries a1 and a2.
    const adaCalls = bed.ollama
      .chats()
      .map((c) => c.body.messages.filter((m) => m.role !== "system").map((m) => m.content))
      .filter((contents) => contents.at(-1)?.startsWith("a"));
    expect(adaCalls).toEqual([
      ["a1"],
      ["a1", "You said: a1", "a2"],
      ["a1", "You said: a1", "a2", "You said: a2", "a3"],
    ]);
    for (const [who, update] of [
      [ada, updates[0]],
      [bob, updates[1]],
      [ada, updates[3]],
    ] as const)
      expect(await ledgerItem(bed, who, update?.update_id ?? 0)).toMatchObject({
        status: "done",
        attempts: 1,
      });
    expect(webhook.lambdaApi.queued().every((job) => job.error === undefined)).toBe(true);
  });

  it("a Telegram redelivery of a queued update that is already answered is ignored", async () => {
    // Arrange
    const cleo = person("Cleo");
    const update = webhookUpdate(cleo, "once");
    await deliverAll([update]);
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();

    // Act
    const again = await webhook.fn.invoke<UrlResponse>(webhookDelivery(update, WEBHOOK_SECRET));
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });

    // Assert
    expect(JSON.parse(again.body)).toMatchObject({ ok: true, duplicate: true });
    expect(repliesTo(bed, cleo)).toEqual(["You said: once"]);
  });

  it("an earlier update that arrives after a later one (a redelivery) is still answered first: the ledger hands out a lane in update_id order, not arrival order", async () => {
    // Arrange: Telegram's first delivery of d1 failed; d2 arrived, then d1 was redelivered
    const dora = person("Dora");
    const [d1, d2] = [webhookUpdate(dora, "d1"), webhookUpdate(dora, "d2")];
    await deliverAll([d2]);
    // Recorded a few ms apart, so arrival order and id order truly differ in the ledger.
    await sleep(5);
    await deliverAll([d1]);

    // Act: the later update's event runs first and drains the lane
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();

    // Assert
    expect(repliesTo(bed, dora)).toEqual(["You said: d1", "You said: d2"]);
    expect(await userTexts(dora)).toEqual([
      ["user", "d1"],
      ["assistant", "You said: d1"],
      ["user", "d2"],
      ["assistant", "You said: d2"],
    ]);
  });

  it("an earlier update that arrives only after a later one was answered is answered too, not taken for a repeat", async () => {
    // Arrange: e2 was delivered and answered; e1's first delivery had failed and comes back now
    const emil = person("Emil");
    const [e1, e2] = [webhookUpdate(emil, "e1"), webhookUpdate(emil, "e2")];
    await deliverAll([e2]);
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();

    // Act
    await deliverAll([e1]);
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();

    // Assert: answered in the order they reached the bot, each once
    expect(repliesTo(bed, emil)).toEqual(["You said: e2", "You said: e1"]);
    expect(await userTexts(emil)).toEqual([
      ["user", "e2"],
      ["assistant", "You said: e2"],
      ["user", "e1"],
      ["assistant", "You said: e1"],
    ]);
  });
});
