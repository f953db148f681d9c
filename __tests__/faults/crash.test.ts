import { beforeEach, describe, expect, it } from "@jest/globals";
import type { ChatBody } from "../harness/fake-ollama.js";
import { recordMeasurement } from "../harness/measurements.js";
import { spawnLambda } from "./child-lambda.js";
import { useFaultBed } from "./fault-bed.js";
import {
  type Person,
  person,
  poll,
  pollerItem,
  sleep,
  storedConversation,
  storesTurn,
  waitFor,
} from "./support.js";

/** The handler's poller lease (handler/app/intake/polling/poller.ts LEASE_MS): a dead poller blocks the others at most this long. */
const LEASE_MS = 15_000;

/** The answer the model gives: starts with the question, so even a partial message says which update it answers. */
const answerTo = (question: string) => `re ${question}: ${"and so on ".repeat(14).trim()}.`;
const lastQuestion = (body: ChatBody) =>
  body.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";

describe("faults: the process dies in the middle of a batch", () => {
  const { bed, guard } = useFaultBed();
  const streaming = { STREAM_REPLIES: "true" };

  beforeEach(() => {
    bed.ollama.reset();
    bed.ollama.setReply("llama3", (body) => answerTo(lastQuestion(body)));
  });

  /** Bot messages to `p` that answer `question` (partial ones included), as they read now. */
  const answersTo = (p: Person, question: string) =>
    bed.telegram.sentMessages(p.chat.id).filter((m) => m.text.startsWith(`re ${question}:`));

  /**
   * For each answered question: ms from the first text of its answer reaching
   * Telegram to DynamoDB confirming the exchange was stored. A crash inside this
   * window is the one case that answers an update twice.
   */
  const unrecordedWindows = (p: Person, questions: readonly string[]) =>
    questions.flatMap((q) => {
      const shown = bed.telegram
        .requests("sendMessage")
        .find(
          (r) =>
            r.params.chat_id === p.chat.id &&
            r.status === 200 &&
            String(r.params.text).startsWith(`re ${q}:`),
        );
      const stored = bed.aws
        .dynamoRequests()
        .find(
          (c) => storesTurn(c.operation, c.body) && c.status === 200 && c.body.includes(`"${q}"`),
        );
      return shown && stored?.done !== undefined ? [stored.done - shown.at] : [];
    });

  it("crash mid-batch (SIGKILL after 3 replies): the next invoke once the lease lapses answers the rest, only the reply in flight is repeated", async () => {
    // Arrange: one chat, so answers go strictly one after another; a slow, streaming model
    const ada = person("Ada");
    const questions = [1, 2, 3, 4, 5, 6].map((n) => `crash ${n}`);
    for (const q of questions) bed.telegram.pushText(ada.user, ada.chat, q);
    bed.ollama.latencyMs = 250;
    bed.ollama.chunkDelayMs = 40;
    const sends = () =>
      bed.telegram
        .requests("sendMessage")
        .filter((r) => r.params.chat_id === ada.chat.id && r.status === 200).length;

    // Act: kill the child Lambda as the third answer starts to appear
    const child = spawnLambda({ ...bed.env, ...streaming }, {}, 120_000);
    await waitFor(() => sends() >= 3, 20_000, "three replies from the child Lambda");
    child.kill();
    const exit = await child.exited;
    const killedAt = Date.now();
    guard.record(child.output().join("\n"));
    const shownAtKill = questions.filter((q) => answersTo(ada, q).length > 0);
    const storedAtKill = (await storedConversation(bed, ada.user.id))
      .filter((m) => m.role === "user")
      .map((m) => m.content);
    const atKill = await pollerItem(bed);
    const offsetAtKill = atKill?.next_offset;
    const leaseUntil = Number(atKill?.lease_until);
    const windows = unrecordedWindows(ada, storedAtKill);

    const rightAfter = await poll(bed, guard, { env: streaming });
    let recovered = rightAfter;
    let pollStartedAt = killedAt;
    let lastBusyStartedAt = killedAt;
    while (recovered.status === "busy" && Date.now() - killedAt < 40_000) {
      lastBusyStartedAt = pollStartedAt;
      await sleep(500);
      pollStartedAt = Date.now();
      recovered = await poll(bed, guard, { env: streaming });
    }
    const recoveredAfterMs = pollStartedAt - killedAt;

    // Assert
    expect(exit.signal).toBe("SIGKILL");
    expect(exit.result).toBeUndefined();
    expect(shownAtKill.length).toBeGreaterThanOrEqual(3);
    expect(shownAtKill.length).toBeLessThan(questions.length);
    expect(rightAfter.status).toBe("busy");
    expect(rightAfter.message).toMatch(/another poller holds the lease/i);
    expect(recovered).toMatchObject({ status: "ok", failed: 0 });
    // The dead invoke's lease ends within one lease length of its last renewal, and the
    // first poll that starts after it ends takes over: every refused poll started before it.
    expect(leaseUntil).toBeLessThanOrEqual(killedAt + LEASE_MS);
    expect(lastBusyStartedAt).toBeLessThanOrEqual(leaseUntil);
    expect(typeof offsetAtKill === "number" ? offsetAtKill : 0).toBeGreaterThan(0);
    // Nothing lost: every question has a complete answer.
    for (const q of questions) expect(answersTo(ada, q).map((m) => m.text)).toContain(answerTo(q));
    // Nothing twice, except an answer already showing when the process died and not yet recorded.
    const repeated = questions.filter((q) => answersTo(ada, q).length > 1);
    expect(repeated.length).toBeLessThanOrEqual(1);
    for (const q of repeated) {
      expect(shownAtKill).toContain(q);
      expect(storedAtKill).not.toContain(q);
    }
    // Stored exactly once each, in order.
    const stored = await storedConversation(bed, ada.user.id);
    expect(stored.filter((m) => m.role === "user").map((m) => m.content)).toEqual(questions);
    expect(stored.filter((m) => m.role === "assistant").map((m) => m.content)).toEqual(
      questions.map(answerTo),
    );
    recordMeasurement("crash mid-batch", {
      showingAtKill: shownAtKill.length,
      recordedAtKill: storedAtKill.length,
      repeated,
      recoveredAfterMs,
      streamingShownToRecordedMs: windows,
    });
  }, 60_000);

  it("duplicate window, measured: a reply sent without streaming is recorded within milliseconds", async () => {
    // Arrange
    const bob = person("Bob");
    const questions = [1, 2, 3, 4].map((n) => `window ${n}`);
    for (const q of questions) bed.telegram.pushText(bob.user, bob.chat, q);

    // Act
    const summary = await poll(bed, guard, { env: { ...streaming, STREAM_REPLIES: "false" } });
    const windows = unrecordedWindows(bob, questions);

    // Assert
    expect(summary).toMatchObject({ handled: 4, failed: 0 });
    expect(windows).toHaveLength(4);
    for (const w of windows) expect(w).toBeGreaterThanOrEqual(0);
    // Recorded before the next reply goes out: the window never spans a second answer.
    const sentAt = (q: string) =>
      bed.telegram
        .requests("sendMessage")
        .find(
          (r) => r.params.chat_id === bob.chat.id && String(r.params.text).startsWith(`re ${q}:`),
        )?.at ?? 0;
    for (let i = 0; i + 1 < questions.length; i++) {
      const q = questions[i] ?? "";
      const next = questions[i + 1] ?? "";
      expect(sentAt(q) + (windows[i] ?? Number.POSITIVE_INFINITY)).toBeLessThanOrEqual(
        sentAt(next),
      );
    }
    recordMeasurement("duplicate window without streaming", { sentToRecordedMs: windows });
  });
});
