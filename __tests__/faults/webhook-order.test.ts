import { beforeEach, describe, expect, it } from "@jest/globals";
import { useFaultBed, useQueuedWebhook } from "./fault-bed.js";
import {
  ledgerItem,
  type Person,
  person,
  repliesTo,
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
});
