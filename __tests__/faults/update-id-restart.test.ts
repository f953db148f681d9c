import { describe, expect, it } from "@jest/globals";
import type { TestBed } from "../harness/bed.js";
import { coldStart } from "../harness/lambda.js";
import { useFaultBed, useQueuedWebhook } from "./fault-bed.js";
import {
  ledgerItem,
  type Person,
  person,
  pollerItem,
  repliesTo,
  storedConversation,
  userItems,
  webhookUpdate,
} from "./support.js";

/**
 * Telegram's update ids are not forever increasing. The Bot API: "If there are
 * no new updates for at least a week, then identifier of the next update will
 * be chosen randomly instead of sequentially"; each Bot API server
 * (`TELEGRAM_API_URL`) has its own ids too. The fake Telegram serves an offset
 * far from its queue's tail as tdlib does (from the head, confirming nothing),
 * so a bot that drops ids below its stored offset would hear nothing again.
 */

/** The model a person's profile names, and their stored messages, as the table holds them. */
async function storedState(bed: TestBed, who: Person) {
  const profile = (await userItems(bed, who.user.id)).find((i) => i.item_type === "profile");
  const texts = (await storedConversation(bed, who.user.id)).map((m) => m.content);
  return { model: profile?.current_model, texts };
}

/**
 * After the restart: the last two answers came from mistral and then phi3 (the
 * /model sent after the restart took effect), and the table holds both weeks'
 * messages with phi3 as the person's model.
 */
async function expectBothWeeksKept(bed: TestBed, who: Person): Promise<void> {
  expect(
    bed.ollama
      .chats()
      .map((c) => c.body.model)
      .slice(-2),
  ).toEqual(["mistral", "phi3"]);
  expect(await storedState(bed, who)).toEqual({
    model: "phi3",
    texts: [
      "before the quiet week",
      "You said: before the quiet week",
      "after the quiet week",
      "You said: after the quiet week",
      "on phi3",
      "You said: on phi3",
    ],
  });
}

describe("over time: Telegram restarts its update ids (polling)", () => {
  const { bed } = useFaultBed({ resetOllama: true });

  it("ids that restart lower after a quiet week: the next message, /model and the one after it are answered, stored and confirmed, with no hot loop", async () => {
    // Arrange: Ada switched to mistral and chatted in the old sequence; then a week with no updates
    const ada = person("Ada");
    bed.telegram.pushText(ada.user, ada.chat, "/model mistral");
    bed.telegram.pushText(ada.user, ada.chat, "before the quiet week");
    expect(await coldStart(bed.env).invoke({})).toMatchObject({ handled: 2 });
    expect(await coldStart(bed.env).invoke({})).toMatchObject({ updates: 0 });
    const storedOffset = Number((await pollerItem(bed))?.fetched_to);
    bed.telegram.restartUpdateIds(40);
    const firstNew = bed.telegram.pushText(ada.user, ada.chat, "after the quiet week");
    bed.telegram.pushText(ada.user, ada.chat, "/model phi3");
    bed.telegram.pushText(ada.user, ada.chat, "on phi3");
    const callsBefore = bed.telegram.requests("getUpdates").length;

    // Act
    const first = await coldStart(bed.env).invoke({});
    const second = await coldStart(bed.env).invoke({});

    // Assert
    expect(firstNew).toBeLessThan(storedOffset);
    expect(first).toMatchObject({ updates: 3, handled: 3, failed: 0 });
    expect(second).toMatchObject({ updates: 0 });
    expect(bed.telegram.pendingUpdates()).toBe(0);
    expect(repliesTo(bed, ada).slice(-3)).toEqual([
      "You said: after the quiet week",
      expect.stringContaining("Switched to phi3"),
      "You said: on phi3",
    ]);
    await expectBothWeeksKept(bed, ada);
    // Two invokes, each a handful of calls: never a loop re-reading the same updates.
    expect(bed.telegram.requests("getUpdates").length - callsBefore).toBeLessThan(10);
    expect(Number((await pollerItem(bed))?.fetched_to)).toBe(firstNew + 3);
  });

  it("ids that jump higher (another Bot API server): answered once, then confirmed", async () => {
    // Arrange
    const bob = person("Bob");
    bed.telegram.pushText(bob.user, bob.chat, "on the old server");
    await coldStart(bed.env).invoke({});
    await coldStart(bed.env).invoke({});
    bed.telegram.restartUpdateIds(900_000_000);
    bed.telegram.pushText(bob.user, bob.chat, "on the new server");

    // Act
    const first = await coldStart(bed.env).invoke({});
    const second = await coldStart(bed.env).invoke({});

    // Assert
    expect(first).toMatchObject({ updates: 1, handled: 1 });
    expect(second).toMatchObject({ updates: 0 });
    expect(repliesTo(bed, bob)).toEqual([
      "You said: on the old server",
      "You said: on the new server",
    ]);
    expect(bed.telegram.pendingUpdates()).toBe(0);
  });
});

describe("over time: Telegram restarts its update ids (webhook)", () => {
  const suite = useFaultBed({ resetOllama: true });
  const { bed } = suite;
  const webhook = useQueuedWebhook(suite, { runs: "same" });

  const deliver = async (update: { update_id: number; message: object }) => {
    expect((await webhook.deliver(update)).statusCode).toBe(200);
    await webhook.lambdaApi.settled();
  };
  const withId = (update: { update_id: number; message: object }, updateId: number) => ({
    ...update,
    update_id: updateId,
  });

  const asCommand = (update: { update_id: number; message: object }, command: string) => ({
    ...update,
    message: {
      ...update.message,
      entities: [{ type: "bot_command", offset: 0, length: command.length }],
    },
  });

  it("ids that restart lower: the next message, /model and the one after it are answered and stored; a redelivery is still a no-op", async () => {
    // Arrange: Carol switched to mistral and chatted in the old sequence; the new one starts far below
    const carol = person("Carol");
    await deliver(asCommand(withId(webhookUpdate(carol, "/model mistral"), 700_001), "/model"));
    await deliver(withId(webhookUpdate(carol, "before the quiet week"), 700_002));
    const after = withId(webhookUpdate(carol, "after the quiet week"), 41);

    // Act
    await deliver(after);
    await deliver(asCommand(withId(webhookUpdate(carol, "/model phi3"), 42), "/model"));
    await deliver(withId(webhookUpdate(carol, "on phi3"), 43));
    await deliver(after);

    // Assert
    expect(repliesTo(bed, carol)).toEqual([
      expect.stringContaining("Switched to mistral"),
      "You said: before the quiet week",
      "You said: after the quiet week",
      expect.stringContaining("Switched to phi3"),
      "You said: on phi3",
    ]);
    await expectBothWeeksKept(bed, carol);
    expect(await ledgerItem(bed, carol, 41)).toMatchObject({ status: "done", attempts: 1 });
  });

  it("ids that jump higher: answered once", async () => {
    // Arrange
    const dan = person("Dan");
    await deliver(withId(webhookUpdate(dan, "old server"), 800_001));
    const jumped = withId(webhookUpdate(dan, "new server"), 950_000_001);

    // Act
    await deliver(jumped);
    await deliver(jumped);

    // Assert
    expect(repliesTo(bed, dan)).toEqual(["You said: old server", "You said: new server"]);
  });

  it("an answered update of the old sequence under the same id does not swallow a new one: the ledger knows an update by its content too", async () => {
    // Arrange: Erin's update 61 was answered in the old sequence; the new one reaches id 61 again
    const erin = person("Erin");
    await deliver(withId(webhookUpdate(erin, "old sixty-one"), 61));

    // Act
    await deliver(withId(webhookUpdate(erin, "new sixty-one"), 61));

    // Assert
    expect(repliesTo(bed, erin)).toEqual(["You said: old sixty-one", "You said: new sixty-one"]);
    expect(await ledgerItem(bed, erin, 61)).toMatchObject({ status: "done" });
  });
});
