import { beforeEach, describe, expect, it } from "@jest/globals";
import { ageSessions } from "../archive/support.js";
import { coldStart } from "../harness/lambda.js";
import { useFaultBed, useQueuedWebhook } from "./fault-bed.js";
import {
  person,
  repliesTo,
  sessionItems,
  storedConversation,
  waitFor,
  webhookUpdate,
} from "./support.js";

/** A session is idle after an hour; tests age sessions (ageSessions) instead of sleeping. */
const IDLE_MINUTES = "60";

/**
 * In webhook mode the idle sweep runs in the scheduled poll invoke while
 * queued invokes answer users. A user who writes again after the idle time
 * has a session that looks idle until the answer is stored: the sweep must
 * leave it to the answer, not close it underneath.
 */
describe("faults: the idle sweep meets a webhook answer in progress", () => {
  const suite = useFaultBed({ resetOllama: true });
  const { bed, guard } = suite;
  const webhook = useQueuedWebhook(suite, {
    runs: "fresh",
    env: { SESSION_IDLE_MINUTES: IDLE_MINUTES },
  });
  beforeEach(() => {
    webhook.lambdaApi.hold = true;
  });

  const deliver = async (update: object): Promise<void> => {
    expect((await webhook.deliver(update)).statusCode).toBe(200);
  };

  it("a poll invoke's sweep skips a session whose queued answer is still in the model: one reply, the turn in the original session", async () => {
    // Arrange: Ada talked once, then stayed away past the idle time
    const ada = person("Ada");
    await deliver(webhookUpdate(ada, "first message"));
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();
    const [original] = await sessionItems(bed, ada.user.id);
    await ageSessions(bed, ada);
    // Her next answer streams its first chunk, then waits in the model
    const slow = bed.ollama.holdAfterFirstChunk(
      (body) => body.messages.at(-1)?.content === "second message, after a pause",
    );
    await deliver(webhookUpdate(ada, "second message, after a pause"));
    const answering = webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await waitFor(() => bed.ollama.chats().length === 1, 30_000, "the second answer to start");

    // Act: the scheduled poll invoke sweeps idle sessions meanwhile
    const summary = await coldStart(webhook.env).invoke({});
    guard.record(summary);
    slow.release();
    await answering;
    await webhook.lambdaApi.settled();

    // Assess
    expect(repliesTo(bed, ada)).toEqual([
      "You said: first message",
      "You said: second message, after a pause",
    ]);
    const sessions = await sessionItems(bed, ada.user.id);
    expect(sessions.map((s) => [s.SK, s.status])).toEqual([[original?.SK, "active"]]);
    expect((await storedConversation(bed, ada.user.id)).map((m) => m.content)).toEqual([
      "first message",
      "You said: first message",
      "second message, after a pause",
      "You said: second message, after a pause",
    ]);
    expect(webhook.lambdaApi.queued().every((job) => job.attempts === 1)).toBe(true);
  });

  it("the sweep still closes that session once it is idle again and nobody is answering its user", async () => {
    // Arrange
    const bob = person("Bob");
    await deliver(webhookUpdate(bob, "hello once"));
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();
    await ageSessions(bed, bob);

    // Act
    guard.record(await coldStart(webhook.env).invoke({}));

    // Assess
    const sessions = await sessionItems(bed, bob.user.id);
    expect(sessions.map((s) => [s.status, s.archive_reason])).toEqual([["closed", "idle"]]);
  });
});
