import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { ageSessions } from "../archive/support.js";
import { startTestBed, type TestBed } from "../harness/bed.js";
import { FakeLambda } from "../harness/fake-lambda.js";
import { coldStart, type LambdaInstance } from "../harness/lambda.js";
import {
  person,
  queuedWebhookEnv,
  repliesTo,
  storedConversation,
  TokenGuard,
  type UrlResponse,
  userItems,
  WEBHOOK_SECRET,
  waitFor,
  webhookDelivery,
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
  let bed: TestBed;
  let lambdaApi: FakeLambda;
  let env: Record<string, string> = {};
  let fn: LambdaInstance;
  const guard = new TokenGuard();

  beforeAll(async () => {
    bed = await startTestBed({ telegram: { flood: false } });
    lambdaApi = await FakeLambda.start((payload) => coldStart(env).invoke(payload));
    env = queuedWebhookEnv(bed, lambdaApi.url, { SESSION_IDLE_MINUTES: IDLE_MINUTES });
    fn = coldStart(env);
  });
  beforeEach(() => {
    bed.ollama.reset();
    lambdaApi.hold = true;
  });
  afterAll(async () => {
    guard.assertNoToken(bed.env.TELEGRAM_BOT_TOKEN ?? "");
    await lambdaApi.close();
    await bed.close();
  });

  const deliver = async (update: object): Promise<void> => {
    const response = await fn.invoke<UrlResponse>(webhookDelivery(update, WEBHOOK_SECRET));
    guard.record(response);
    expect(response.statusCode).toBe(200);
  };
  const sessionItems = async (userId: number) =>
    (await userItems(bed, userId)).filter((i) => String(i.SK).startsWith("MODEL#"));

  it("a poll invoke's sweep skips a session whose queued answer is still in the model: one reply, the turn in the original session", async () => {
    // Arrange: Ada talked once, then stayed away past the idle time
    const ada = person("Ada");
    await deliver(webhookUpdate(ada, "first message"));
    await lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await lambdaApi.settled();
    const [original] = await sessionItems(ada.user.id);
    await ageSessions(bed, ada);
    // Her next answer streams its first chunk, then waits in the model
    const slow = bed.ollama.holdAfterFirstChunk(
      (body) => body.messages.at(-1)?.content === "second message, after a pause",
    );
    await deliver(webhookUpdate(ada, "second message, after a pause"));
    const answering = lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await waitFor(() => bed.ollama.chats().length === 1, 30_000, "the second answer to start");

    // Act: the scheduled poll invoke sweeps idle sessions meanwhile
    const summary = await coldStart(env).invoke({});
    guard.record(summary);
    slow.release();
    await answering;
    await lambdaApi.settled();

    // Assess
    expect(repliesTo(bed, ada)).toEqual([
      "You said: first message",
      "You said: second message, after a pause",
    ]);
    const sessions = await sessionItems(ada.user.id);
    expect(sessions.map((s) => [s.SK, s.status])).toEqual([[original?.SK, "active"]]);
    expect((await storedConversation(bed, ada.user.id)).map((m) => m.content)).toEqual([
      "first message",
      "You said: first message",
      "second message, after a pause",
      "You said: second message, after a pause",
    ]);
    expect(lambdaApi.queued().every((job) => job.attempts === 1)).toBe(true);
  });

  it("the sweep still closes that session once it is idle again and nobody is answering its user", async () => {
    // Arrange
    const bob = person("Bob");
    await deliver(webhookUpdate(bob, "hello once"));
    await lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await lambdaApi.settled();
    await ageSessions(bed, bob);

    // Act
    guard.record(await coldStart(env).invoke({}));

    // Assess
    const sessions = await sessionItems(bob.user.id);
    expect(sessions.map((s) => [s.status, s.archive_reason])).toEqual([["closed", "idle"]]);
  });
});
