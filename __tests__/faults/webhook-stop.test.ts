import { beforeEach, describe, expect, it } from "@jest/globals";
import { buttonShown } from "../harness/people.js";
import { useFaultBed, useQueuedWebhook } from "./fault-bed.js";
import {
  ledgerItem,
  type Person,
  person,
  repliesTo,
  storedConversation,
  webhookUpdate,
} from "./support.js";

const STORY = "Once upon a time there was a model that would not stop talking about itself.";
const FIRST_CHUNK = STORY.slice(0, 16);

/**
 * Webhook mode as deployed: the answer streams in a queued invoke holding the
 * sender's lane, and the Stop press arrives as another delivery. The press
 * must not wait in that lane: it is answered at delivery and the stop request
 * reaches the streaming invoke through DynamoDB.
 */
describe("faults: Stop in webhook mode reaches the invoke that streams the answer", () => {
  const suite = useFaultBed();
  const { bed } = suite;
  const webhook = useQueuedWebhook(suite, { runs: "same", env: { STREAM_MODE: "edit" } });
  let releases: (() => void)[] = [];
  beforeEach(() => {
    for (const release of releases) release();
    releases = [];
    bed.ollama.reset();
    bed.ollama.setReply("llama3", () => STORY);
  });
  // Held answers are let go first: the fake Lambda closes once its invokes settle.
  bed.beforeClose(() => {
    for (const release of releases) release();
  });

  /** Sends `text` from `p` and waits until its answer streams with a Stop button. */
  const streaming = async (p: Person, text: string) => {
    const hold = bed.ollama.holdAfterFirstChunk((b) => b.messages.at(-1)?.content === text);
    releases.push(hold.release);
    const update = webhookUpdate(p, text);
    await webhook.deliver(update);
    const button = await buttonShown(
      bed,
      p.chat.id,
      "stop:",
      "the answer streaming with a Stop button",
    );
    return { update, button };
  };

  it("a Stop press delivered while the answer streams stops it within the check interval", async () => {
    // Arrange
    const ada = person("Ada");
    const { update, button } = await streaming(ada, "tell me a story");

    // Act
    const press = bed.telegram.pressUpdate(ada.user, ada.chat, button.messageId, button.data);
    const response = await webhook.deliver(press);
    await webhook.lambdaApi.settled();

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bed.telegram.callbackAnswers().at(-1)?.text).toBe("⏹ Stopping the answer…");
    expect(bed.ollama.chats().at(-1)?.cancelledAt).toBeDefined();
    expect(repliesTo(bed, ada)).toEqual([`${FIRST_CHUNK}\n\n⏹ Stopped.`]);
    expect((await storedConversation(bed, ada.user.id)).at(-1)).toMatchObject({
      role: "assistant",
      content: FIRST_CHUNK,
      stopped: true,
    });
    expect(await ledgerItem(bed, ada, update.update_id)).toMatchObject({ status: "done" });
    // The press went around the lane: it never became a ledger entry waiting behind the answer.
    expect(await ledgerItem(bed, ada, press.update_id)).toBeUndefined();
  });

  it("/stop delivered while the answer streams stops it too", async () => {
    // Arrange
    const bob = person("Bob");
    await streaming(bob, "write an essay");

    // Act
    const stop = webhookUpdate(bob, "/stop");
    Object.assign(stop.message, { entities: [{ type: "bot_command", offset: 0, length: 5 }] });
    const response = await webhook.deliver(stop);
    await webhook.lambdaApi.settled();

    // Assert
    expect(response.statusCode).toBe(200);
    expect(bed.ollama.chats().at(-1)?.cancelledAt).toBeDefined();
    expect(repliesTo(bed, bob)).toEqual([`${FIRST_CHUNK}\n\n⏹ Stopped.`]);
  });

  it("a malformed press (no message it was under) is answered 200 as skipped at delivery, never queued in its sender's lane", async () => {
    // Arrange: an id from the same sequence as the other deliveries
    const dan = person("Dan");
    const { update_id } = webhookUpdate(dan, "unused");
    const queuedBefore = webhook.lambdaApi.queued().length;

    // Act
    const response = await webhook.deliver({
      update_id,
      callback_query: {
        id: "4100000002",
        from: { ...dan.user, is_bot: false },
        chat_instance: "1",
        inline_message_id: "AAAAAAAAAAA",
        data: "stop:1:1",
      },
    });
    await webhook.lambdaApi.settled();

    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true, outcome: "skipped" });
    expect(webhook.lambdaApi.queued()).toHaveLength(queuedBefore);
    expect(await ledgerItem(bed, dan, update_id)).toBeUndefined();
    expect(repliesTo(bed, dan)).toEqual([]);
  });

  it("a press for an answer that already finished is answered 'already finished'", async () => {
    // Arrange
    const cleo = person("Cleo");
    const { button } = await streaming(cleo, "a short one");
    for (const release of releases.splice(0)) release();
    await webhook.lambdaApi.settled();
    expect(repliesTo(bed, cleo)).toEqual([STORY]);

    // Act: a client still showing the old keyboard
    const press = bed.telegram.pressUpdate(cleo.user, cleo.chat, button.messageId, button.data);
    await webhook.deliver(press);
    await webhook.lambdaApi.settled();

    // Assert
    expect(bed.telegram.callbackAnswers().at(-1)?.text).toBe("That answer has already finished.");
    expect(repliesTo(bed, cleo)).toEqual([STORY]);
  });
});
